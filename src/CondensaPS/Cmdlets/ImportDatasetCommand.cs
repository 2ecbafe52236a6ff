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
}

/// <summary>
/// <para type="synopsis">Reads an image data set (MNIST IDX, plain or .gz; CIFAR-10 binary batches) with its transforms: normalisation, training augmentation and a seed for shuffling.</para>
/// </summary>
[Cmdlet(VerbsData.Import, "Dataset")]
[OutputType(typeof(Dataset))]
public sealed class ImportDatasetCommand : CondensaCmdlet
{
    /// <summary>IDX: the image file. CIFAR-10: one or more batch files.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>IDX: the label file (default: the images file's name with images-idx3 replaced by labels-idx1).</summary>
    [Parameter(Position = 1)]
    public string? LabelPath { get; set; }

    /// <summary>Default: Cifar10 for .bin files, otherwise Idx.</summary>
    [Parameter]
    public DatasetFormat Format { get; set; }

    /// <summary>Mean and standard deviation (one pair, or one per channel as mean1,mean2,mean3,std1,std2,std3) applied after scaling pixels to [0, 1]. IDX default 0.1307,0.3081 (MNIST's usual values); pass 0,1 for none.</summary>
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

    protected override void ProcessRecord()
    {
        try
        {
            TorchRuntime.EnsureInitialized();
            var paths = Path.Select(ResolveOutputPath).ToList();
            var format = MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format
                : paths[0].EndsWith(".bin", StringComparison.OrdinalIgnoreCase) ? DatasetFormat.Cifar10 : DatasetFormat.Idx;
            Dataset data;
            if (format == DatasetFormat.Idx)
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
            double[]? mean = null, std = null;
            var norm = Normalize ?? (format == DatasetFormat.Idx ? new[] { 0.1307, 0.3081 } : new[] { 0.4914, 0.4822, 0.4465, 0.2470, 0.2435, 0.2616 });
            if (norm.Length % 2 != 0)
                throw new EngineException("DatasetBadNormalize", EngineErrorKind.InvalidArgument, $"-Normalize takes means then standard deviations, an even count; got {norm.Length} values.", norm);
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
            Throw(e);
        }
    }
}
