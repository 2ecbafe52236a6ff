using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Import-Model; its help (synopsis, description, parameters, examples) is docs/en-US/Import-Model.md.</summary>
[Cmdlet(VerbsData.Import, "Model")]
[OutputType(typeof(CompressionModel))]
public sealed class ImportModelCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    public string? Architecture { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int NumClasses { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int InputChannels { get; set; }

    [Parameter]
    [ValidateRange(1, 65536)]
    public int InputSize { get; set; }

    /// <summary>mlp: the hidden layers' widths; vgg16_bn/vgg19_bn: the classifier's two hidden layers (torchvision: 4096,4096).</summary>
    [Parameter]
    public int[]? HiddenSizes { get; set; }

    /// <summary>vgg16_bn/vgg19_bn: the side of the adaptive average pool before the classifier (torchvision: 7; 1 suits 32x32 inputs).</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int PoolSize { get; set; }

    [Parameter]
    public ModelFileFormat? Format { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(DeviceCompleter))]
    public string Device { get; set; } = "cpu";

    [Parameter]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolveOutputPath(Path);
        try
        {
            var model = RunEngine("Import-Model", ctx => ModelLoader.Load(path, new ModelLoadOptions
            {
                Architecture = Architecture,
                NumClasses = NumClasses,
                InputChannels = InputChannels,
                InputSize = InputSize,
                HiddenSizes = HiddenSizes,
                PoolSize = PoolSize,
                Format = Format,
                Device = Device,
                Name = Name,
            }, ctx));
            if (model.IsTraced)
                WriteVerbose($"'{path}' was made by torch.jit.trace: batch norm is frozen in its traced mode, so retraining will not update its statistics.");
            WriteObject(model);
        }
        catch (EngineException e)
        {
            // One bad file in a pipeline of paths should not stop the others.
            WriteEngineError(e);
        }
    }
}
