using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>New-Model; its help (synopsis, description, parameters, examples) is docs/en-US/New-Model.md.</summary>
[Cmdlet(VerbsCommon.New, "Model")]
[OutputType(typeof(CompressionModel))]
public sealed class NewModelCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    public string Architecture { get; set; } = "";

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
    public long? Seed { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(DeviceCompleter))]
    public string Device { get; set; } = "cpu";

    [Parameter]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            WriteObject(ModelLoader.New(new ModelLoadOptions
            {
                Architecture = Architecture,
                NumClasses = NumClasses,
                InputChannels = InputChannels,
                InputSize = InputSize,
                HiddenSizes = HiddenSizes,
                PoolSize = PoolSize,
                Device = Device,
                Name = Name,
                Seed = Seed,
            }));
        }
        catch (EngineException e)
        {
            // An unknown architecture or device is about this call's model: non-terminating, as New-Item's errors are.
            WriteEngineError(e);
        }
    }
}
