using TorchSharp;
using TorchSharp.Modules;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// The initialisation torchvision's VGG and MobileNetV2 give their layers: convolutions Kaiming-normal (fan out, ReLU
/// gain) with zero bias, batch norm weight 1 and bias 0, linear layers normal(0, 0.01) with zero bias.
/// </summary>
internal static class TorchVisionInit
{
    public static void Apply(torch.nn.Module module)
    {
        using var _ = torch.no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    torch.nn.init.kaiming_normal_(conv.weight, mode: torch.nn.init.FanInOut.FanOut, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                    conv.bias?.zero_();
                    break;
                case BatchNorm2d norm:
                    norm.weight?.fill_(1);
                    norm.bias?.zero_();
                    break;
                case Linear linear:
                    torch.nn.init.normal_(linear.weight, 0, 0.01);
                    linear.bias?.zero_();
                    break;
            }
        }
    }
}
