using TorchSharp;
using TorchSharp.Modules;
using static CondensaPS.Engine.Formats.TorchScript.TorchScriptLiterals;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// torch.nn's layers as TorchScript modules, from the TorchSharp modules that hold their tensors: the class names,
/// constants (in_channels, out_channels, num_features, in_features, out_features, kernel sizes, strides, ...) and
/// forward methods of PyTorch's scripted modules, with every width taken from the tensors' actual shapes. Forward
/// methods call the aten operators on the module's own tensors: <c>torch.conv2d(input, weight, bias, stride,
/// padding, dilation[, groups])</c>, <c>torch.batch_norm(...)</c>, <c>torch.linear(input, weight, bias)</c>.
/// </summary>
public static class TorchScriptLayers
{
    /// <summary>
    /// Converts a module: <paramref name="custom"/> first (null when it does not handle the module), then the standard
    /// layers and Sequential (whose children are converted the same way).
    /// </summary>
    public static TorchScriptModule Convert(nn.Module module, Func<nn.Module, TorchScriptModule?>? custom = null)
    {
        if (custom?.Invoke(module) is { } converted) return converted;
        return module switch
        {
            Conv2d conv => Conv2d(conv),
            BatchNorm2d norm => BatchNorm2d(norm),
            Linear linear => Linear(linear),
            ReLU relu => Activation("ReLU", relu.training, relu.inplace, relu.inplace ? "torch.relu_(input)" : "torch.relu(input)"),
            ReLU6 relu6 => Activation("ReLU6", relu6.training, relu6.inplace,
                relu6.inplace ? "torch.hardtanh_(input, 0., 6.)" : "torch.hardtanh(input, 0., 6.)"),
            MaxPool2d pool => MaxPool2d(pool),
            AdaptiveAvgPool2d pool => AdaptiveAvgPool2d(pool),
            Dropout dropout => Dropout(dropout),
            Sequential sequential => Sequential("torch.nn.modules.container.Sequential", sequential, custom),
            _ => throw new EngineException("TorchScriptExportUnsupported", EngineErrorKind.NotSupported,
                $"CondensaPS cannot write a {module.GetType().Name} module as TorchScript.", module.GetType().Name),
        };
    }

    /// <summary>A Sequential-like module of class <paramref name="qualifiedName"/>: children "0", "1", ... called in turn.</summary>
    public static TorchScriptModule Sequential(string qualifiedName, nn.Module sequential, Func<nn.Module, TorchScriptModule?>? custom = null)
    {
        var module = new TorchScriptModule(qualifiedName, sequential.training);
        var forward = new ForwardWriter();
        var x = forward.Argument;
        foreach (var (name, child) in sequential.named_children())
        {
            module.Submodule(name, Convert(child, custom));
            x = forward.Call(name, x);
        }
        return module.Method(forward.Method(x));
    }

    public static TorchScriptModule Conv2d(Conv2d conv)
    {
        var weight = conv.weight!;
        long groups = conv.groups;
        var module = new TorchScriptModule("torch.nn.modules.conv.Conv2d", conv.training)
            .Parameter("weight", weight)
            .Parameter("bias", conv.bias)
            .Constant("in_channels", "int", Int(weight.shape[1] * groups))
            .Constant("out_channels", "int", Int(weight.shape[0]))
            .Constant("kernel_size", "Tuple[int, int]", IntTuple(weight.shape[2..]))
            .Constant("stride", "Tuple[int, int]", IntTuple(Pair(conv.stride)))
            .Constant("padding", "Tuple[int, int]", IntTuple(Padding(conv)))
            .Constant("dilation", "Tuple[int, int]", IntTuple(Pair(conv.dilation)))
            .Constant("groups", "int", Int(groups))
            .Constant("padding_mode", "str", String("zeros"));
        var arguments = $"{IntList(Pair(conv.stride))}, {IntList(Padding(conv))}, {IntList(Pair(conv.dilation))}" + (groups == 1 ? "" : $", {Int(groups)}");
        return module.Method(
            $"  def forward(self: {TorchScriptModule.Self},\n    input: Tensor) -> Tensor:\n" +
            "    weight = self.weight\n    bias = self.bias\n" +
            $"    return torch.conv2d(input, weight, bias, {arguments})\n");
    }

    private static long[] Padding(Conv2d conv)
    {
        if (conv.padding_type is not null || conv.padding_mode != PaddingModes.Zeros || conv.padding is null)
            throw new EngineException("TorchScriptExportUnsupported", EngineErrorKind.NotSupported,
                "CondensaPS writes convolutions with explicit zero padding as TorchScript, not 'same'/'valid' or non-zero padding modes.");
        return Pair(conv.padding);
    }

    public static TorchScriptModule BatchNorm2d(BatchNorm2d norm)
    {
        double momentum = norm.momentum ?? throw new EngineException("TorchScriptExportUnsupported", EngineErrorKind.NotSupported,
            "CondensaPS writes batch norm with a momentum as TorchScript, not a cumulative average.");
        var weight = norm.weight ?? throw NotAffine();
        var module = new TorchScriptModule("torch.nn.modules.batchnorm.BatchNorm2d", norm.training)
            .Parameter("weight", weight)
            .Parameter("bias", norm.bias ?? throw NotAffine())
            .Buffer("running_mean", norm.running_mean!)
            .Buffer("running_var", norm.running_var!)
            .Buffer("num_batches_tracked", norm.num_batches_tracked!)
            .Constant("num_features", "int", Int(weight.shape[0]))
            .Constant("eps", "float", Float(norm.eps))
            .Constant("momentum", "float", Float(momentum))
            .Constant("affine", "bool", Bool(true))
            .Constant("track_running_stats", "bool", Bool(true));
        // As PyTorch's BatchNorm2d: count the batch and use batch statistics (updating the running ones) in training.
        return module.Method(
            $"  def forward(self: {TorchScriptModule.Self},\n    input: Tensor) -> Tensor:\n" +
            "    training = self.training\n" +
            "    if training:\n      num_batches_tracked = self.num_batches_tracked\n      _0 = torch.add_(num_batches_tracked, 1)\n    else:\n      pass\n" +
            "    running_mean = self.running_mean\n    running_var = self.running_var\n    weight = self.weight\n    bias = self.bias\n" +
            $"    return torch.batch_norm(input, weight, bias, running_mean, running_var, training, {Float(momentum)}, {Float(norm.eps)}, True)\n");
    }

    private static EngineException NotAffine() => new("TorchScriptExportUnsupported", EngineErrorKind.NotSupported,
        "CondensaPS writes batch norm with weight and bias (affine) as TorchScript.");

    public static TorchScriptModule Linear(Linear linear)
    {
        var weight = linear.weight!;
        return new TorchScriptModule("torch.nn.modules.linear.Linear", linear.training)
            .Parameter("weight", weight)
            .Parameter("bias", linear.bias)
            .Constant("in_features", "int", Int(weight.shape[1]))
            .Constant("out_features", "int", Int(weight.shape[0]))
            .Method($"  def forward(self: {TorchScriptModule.Self},\n    input: Tensor) -> Tensor:\n" +
                    "    weight = self.weight\n    bias = self.bias\n    return torch.linear(input, weight, bias)\n");
    }

    private static TorchScriptModule Activation(string name, bool training, bool inplace, string call) =>
        new TorchScriptModule("torch.nn.modules.activation." + name, training)
            .Constant("inplace", "bool", Bool(inplace))
            .Method($"  def forward(self: {TorchScriptModule.Self},\n    input: Tensor) -> Tensor:\n    return {call}\n");

    /// <summary>A 2-D size as [height, width] (TorchSharp keeps a square one as a single value at times).</summary>
    private static long[] Pair(long[] size) => size.Length == 1 ? new[] { size[0], size[0] } : size;

    public static TorchScriptModule MaxPool2d(MaxPool2d pool)
    {
        var kernel = Pair(pool.kernel_size);
        var stride = pool.stride is { Length: > 0 } s ? Pair(s) : kernel;
        var padding = pool.padding is { Length: > 0 } p ? Pair(p) : new long[] { 0, 0 };
        var dilation = pool.dilation is { Length: > 0 } d ? Pair(d) : new long[] { 1, 1 };
        return new TorchScriptModule("torch.nn.modules.pooling.MaxPool2d", pool.training)
            .Constant("kernel_size", "Tuple[int, int]", IntTuple(kernel))
            .Constant("stride", "Tuple[int, int]", IntTuple(stride))
            .Constant("padding", "Tuple[int, int]", IntTuple(padding))
            .Constant("dilation", "Tuple[int, int]", IntTuple(dilation))
            .Constant("ceil_mode", "bool", Bool(pool.ceil_mode))
            .Method($"  def forward(self: {TorchScriptModule.Self},\n    input: Tensor) -> Tensor:\n" +
                    $"    return torch.max_pool2d(input, {IntList(kernel)}, {IntList(stride)}, {IntList(padding)}, {IntList(dilation)}, {Bool(pool.ceil_mode)})\n");
    }

    public static TorchScriptModule AdaptiveAvgPool2d(AdaptiveAvgPool2d pool) =>
        new TorchScriptModule("torch.nn.modules.pooling.AdaptiveAvgPool2d", pool.training)
            .Constant("output_size", "Tuple[int, int]", IntTuple(Pair(pool.output_size)))
            .Method($"  def forward(self: {TorchScriptModule.Self},\n    input: Tensor) -> Tensor:\n" +
                    $"    return torch.adaptive_avg_pool2d(input, {IntList(Pair(pool.output_size))})\n");

    public static TorchScriptModule Dropout(Dropout dropout) =>
        new TorchScriptModule("torch.nn.modules.dropout.Dropout", dropout.training)
            .Constant("p", "float", Float(dropout.p))
            .Constant("inplace", "bool", Bool(dropout.inplace))
            .Method($"  def forward(self: {TorchScriptModule.Self},\n    input: Tensor) -> Tensor:\n" +
                    $"    training = self.training\n    return torch.{(dropout.inplace ? "dropout_" : "dropout")}(input, {Float(dropout.p)}, training)\n");
}
