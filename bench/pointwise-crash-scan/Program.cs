// One backward pass of a 1x1 convolution at a stride, on CPU with oneDNN on (libtorch's default), in this process:
//   dotnet bin/Release/net10.0/CondensaPS.PointwiseCrashScan.dll <in channels> <out channels> <stride> <height=width> [batch]
// Prints "ok" and exits 0 when the pass completes. libtorch 2.10's oneDNN kills the process with SIGFPE on some shapes
// (see src/CondensaPS.Engine/Training/ConvolutionGradientGuard.cs), so scan.sh starts one process per shape.
using System.Globalization;
using CondensaPS.Engine;
using static TorchSharp.torch;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: <in channels> <out channels> <stride> <height=width> [batch]");
    return 2;
}
var numbers = args.Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToArray();
long inChannels = numbers[0], outChannels = numbers[1], stride = numbers[2], size = numbers[3];
long batch = numbers.Length > 4 ? numbers[4] : 4;
TorchRuntime.EnsureInitialized();
TorchRuntime.Threads = 2;
var x = randn(batch, inChannels, size, size).requires_grad_(true);
var w = randn(outChannels, inChannels, 1, 1).requires_grad_(true);
nn.functional.conv2d(x, w, null, new[] { stride, stride }).sum().backward();
Console.WriteLine("ok");
return 0;
