using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Data;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Data-set file formats Import-Dataset reads.</summary>
public enum DatasetFormat
{
    Idx,
    Cifar10,
    /// <summary>A folder with one subfolder of PNG/JPEG images per class.</summary>
    ImageFolder,
    /// <summary>A safetensors file with "images" and "labels" tensors.</summary>
    SafeTensors,
}

/// <summary>Import-Dataset; its help (synopsis, description, parameters, examples) is docs/en-US/Import-Dataset.md.</summary>
[Cmdlet(VerbsData.Import, "Dataset")]
[OutputType(typeof(Dataset))]
public sealed class ImportDatasetCommand : CondensaCmdlet
{
    /// <summary>IDX: the image file. CIFAR-10: one or more batch files. ImageFolder: the folder of class subfolders. SafeTensors: the file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>IDX: the label file (default: the images file's name with images-idx3 replaced by labels-idx1).</summary>
    [Parameter(Position = 1)]
    public string? LabelPath { get; set; }

    /// <summary>Default: ImageFolder for a folder, SafeTensors for a .safetensors file or a safetensors header, Cifar10 for .bin files, otherwise Idx.</summary>
    [Parameter]
    public DatasetFormat Format { get; set; }

    /// <summary>Resize every sample once at import: n (n x n) or height,width. Bilinear, rounded back to bytes.</summary>
    [Parameter]
    [ValidateCount(1, 2)]
    [ValidateRange(1, 4096)]
    public int[]? Resize { get; set; }

    /// <summary>ImageFolder: 1 (grey) or 3 (RGB). Default: as the first image is.</summary>
    [Parameter]
    [ValidateSet("1", "3")]
    public int Channels { get; set; }

    /// <summary>Mean and standard deviation (one pair, or one per channel as mean1,mean2,mean3,std1,std2,std3) applied after scaling pixels to [0, 1]. IDX default 0.1307,0.3081 (MNIST's usual values), CIFAR-10 its per-channel values, ImageFolder and SafeTensors none; pass 0,1 for none.</summary>
    [Parameter]
    [ValidateCount(2, 8)]
    public double[]? Normalize { get; set; }

    /// <summary>Training augmentation: random crop after zero padding (and horizontal flips for CIFAR-10).</summary>
    [Parameter]
    public SwitchParameter Augment { get; set; }

    [Parameter]
    public int Seed { get; set; }

    /// <summary>Keep only the first N samples.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; }

    [Parameter]
    public string? Name { get; set; }

    protected override void BeginProcessing()
    {
        if (Normalize is { Length: > 0 } norm && norm.Length % 2 != 0)
            ThrowParameterError(new EngineException("DatasetBadNormalize", EngineErrorKind.InvalidArgument, $"-Normalize takes means then standard deviations, an even count; got {norm.Length} values.", norm));
    }

    protected override void ProcessRecord()
    {
        try
        {
            TorchRuntime.EnsureInitialized();
            var paths = Path.Select(ResolveOutputPath).ToList();
            var format = MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format : DetectFormat(paths[0]);
            (int Height, int Width)? size = Resize is null ? null : ImageResizer.ParseSize(Resize);
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Channels)) && format != DatasetFormat.ImageFolder)
                throw new EngineException("DatasetBadChannels", EngineErrorKind.InvalidArgument, $"-Channels applies to image folders; a {format} data set has its own channel count.", Channels);
            if (format is DatasetFormat.ImageFolder or DatasetFormat.SafeTensors && paths.Count != 1)
                throw new EngineException("DatasetTooManyPaths", EngineErrorKind.InvalidArgument, $"A {format} data set takes one path; got {paths.Count}.", Path);
            Dataset data;
            if (format == DatasetFormat.ImageFolder)
            {
                WriteVerbose($"Reading image folder '{paths[0]}'.");
                data = ImageFolderReader.Read(paths[0], MyInvocation.BoundParameters.ContainsKey(nameof(Channels)) ? Channels : null, size, Name);
            }
            else if (format == DatasetFormat.SafeTensors)
            {
                WriteVerbose($"Reading safetensors data set '{paths[0]}'.");
                data = SafeTensorsDatasetReader.Read(paths[0], Name);
            }
            else if (format == DatasetFormat.Idx)
            {
                if (paths.Count != 1)
                    throw new EngineException("DatasetTooManyPaths", EngineErrorKind.InvalidArgument, "An IDX data set takes one image file and one label file (-LabelPath).", Path);
                var labels = LabelPath != null ? ResolveOutputPath(LabelPath) : IdxReader.LabelPathFor(paths[0])
                    ?? throw new EngineException("DatasetLabelPathRequired", EngineErrorKind.InvalidArgument, $"No label file found beside '{paths[0]}'; pass -LabelPath.", paths[0]);
                WriteVerbose($"Reading IDX images '{paths[0]}' and labels '{labels}'.");
                data = IdxReader.Read(paths[0], labels, Name);
            }
            else
            {
                WriteVerbose($"Reading CIFAR-10 batches: {string.Join(", ", paths)}.");
                data = Cifar10Reader.Read(paths, Name);
            }
            if (size is { } s && (s.Height != data.Height || s.Width != data.Width))
            {
                WriteVerbose($"Resizing {data.Count:N0} samples from {data.Height}x{data.Width} to {s.Height}x{s.Width}.");
                data = ImageResizer.Resize(data, s.Height, s.Width);
            }
            double[]? mean = null, std = null;
            var norm = Normalize ?? format switch
            {
                DatasetFormat.Idx => new[] { 0.1307, 0.3081 },
                DatasetFormat.Cifar10 => new[] { 0.4914, 0.4822, 0.4465, 0.2470, 0.2435, 0.2616 },
                _ => new[] { 0.0, 1.0 },
            };
            if (!(norm.Length == 2 && norm[0] == 0 && norm[1] == 1))
            {
                mean = norm.Take(norm.Length / 2).ToArray();
                std = norm.Skip(norm.Length / 2).ToArray();
            }
            data = data.WithTransforms(mean, std, Augment, seed: Seed);
            if (MyInvocation.BoundParameters.ContainsKey(nameof(First))) data = data.Take(First);
            if (Name != null) data.Name = Name;
            WriteObject(data);
        }
        catch (EngineException e)
        {
            // About this data set (a missing or damaged file, a format that does not fit the options): non-terminating,
            // as Import-Csv's errors are.
            WriteEngineError(e);
        }
    }

    private static DatasetFormat DetectFormat(string path)
    {
        if (Directory.Exists(path)) return DatasetFormat.ImageFolder;
        if (SafeTensorsDatasetReader.LooksLikeSafeTensors(path)) return DatasetFormat.SafeTensors;
        return path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) ? DatasetFormat.Cifar10 : DatasetFormat.Idx;
    }
}
