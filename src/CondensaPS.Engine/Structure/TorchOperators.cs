using CondensaPS.Engine.Formats.Pickle;
using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>
/// The torch operators the structure interpreter understands, each with its shape rule and what it does to channels:
/// convolutions and linear layers make channel spaces (and count multiply-accumulates), batch norm follows them,
/// element-wise operators pass them on, additions and multiplications of two activations couple them, concatenation
/// along channels joins them, flatten and view turn them into blocks of features. Operators that mix channels in
/// ways slimming cannot follow fix the spaces they touch (those layers stay as they are). Any other operator stops
/// the analysis with its name and place.
/// </summary>
internal sealed class TorchOperators
{
    private static readonly HashSet<string> ElementWise = new(StringComparer.Ordinal)
    {
        "relu", "relu_", "relu6", "sigmoid", "sigmoid_", "tanh", "tanh_", "hardtanh", "hardtanh_", "hardswish", "hardswish_",
        "hardsigmoid", "hardsigmoid_", "silu", "silu_", "gelu", "elu", "elu_", "selu", "selu_", "celu", "leaky_relu", "leaky_relu_",
        "mish", "softplus", "dropout", "dropout_", "feature_dropout", "feature_dropout_", "alpha_dropout", "alpha_dropout_",
        "feature_alpha_dropout", "clamp", "clamp_", "clamp_min", "clamp_min_", "clamp_max", "clamp_max_", "contiguous", "clone",
        "detach", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "square", "reciprocal", "to", "type_as", "float", "sign",
    };

    private static readonly HashSet<string> InPlace = new(StringComparer.Ordinal)
    {
        "relu_", "sigmoid_", "tanh_", "hardtanh_", "hardswish_", "hardsigmoid_", "silu_", "elu_", "selu_", "leaky_relu_", "dropout_",
        "feature_dropout_", "alpha_dropout_", "clamp_", "clamp_min_", "clamp_max_", "add_", "sub_", "mul_", "div_",
    };

    private readonly ChannelGraph _graph;

    public TorchOperators(ChannelGraph graph) => _graph = graph;

    public object? Call(string name, OperatorCall call)
    {
        call.Operator = name;
        var op = name["torch.".Length..];
        if (ElementWise.Contains(op)) return UnaryElementWise(call, InPlace.Contains(op));
        switch (op)
        {
            // Numbers, lists and shapes.
            case "size": return Size(call);
            case "dim": return (long)call.Tensor(0, "self").Rank;
            case "numel": return call.Tensor(0, "self").Shape.Aggregate(1L, (a, b) => a * b);
            case "len": return Arithmetic.Length(call.Arg(0, "a"), call.Span);
            case "eq": return Compare("==", call);
            case "ne": return Compare("!=", call);
            case "lt": return Compare("<", call);
            case "gt": return Compare(">", call);
            case "le": return Compare("<=", call);
            case "ge": return Compare(">=", call);
            case "__is__": return Identical(call.Arg(0, "a"), call.Arg(1, "b"));
            case "__isnot__": return !Identical(call.Arg(0, "a"), call.Arg(1, "b"));
            case "__not__": return !(call.Arg(0, "a") is true);
            case "__contains__": return Items(call.Arg(0, "a"), call).Any(i => Arithmetic.ValueEquals(i, call.Arg(1, "b")));
            case "format": return Format(call);
            case "warn": return null;
            case "append": { var list = call.Arg(0, "self") as List<object?> ?? throw call.Error("expects a list"); list.Add(call.Arg(1, "el")); return list; }
            case "list": return Items(call.Arg(0, "l"), call).ToList();
            case "floordiv": return Arithmetic.Apply("//", call.Arg(0, "a"), call.Arg(1, "b"), call.Span);
            case "remainder": return Arithmetic.Apply("%", call.Arg(0, "a"), call.Arg(1, "b"), call.Span);
            case "pow" when call.Arg(0, "a") is not AbstractTensor: return Arithmetic.Apply("**", call.Arg(0, "a"), call.Arg(1, "b"), call.Span);
            case "floor" when call.Arg(0, "a") is double d: return (long)Math.Floor(d);
            case "ceil" when call.Arg(0, "a") is double d: return (long)Math.Ceiling(d);
            case "__range_length":
            {
                long lo = call.Int(0, "lo"), hi = call.Int(1, "hi"), step = call.Int(2, "step");
                if (step == 0) throw call.Error("a range with step 0");
                return step > 0 ? Math.Max(0, (hi - lo + step - 1) / step) : Math.Max(0, (lo - hi - step - 1) / -step);
            }
            case "__derive_index": return call.Int(1, "start") + call.Int(0, "index") * call.Int(2, "step");
            case "_unwrap_optional": return call.Arg(0, "x");
            case "device": return call.Arg(0, "a");

            // Arithmetic, on numbers or tensors.
            case "add" or "add_" or "sub" or "sub_" or "mul" or "mul_" or "div" or "div_" or "maximum" or "minimum":
                if (call.Arg(0, "self") is not AbstractTensor && call.Arg(1, "other") is not AbstractTensor)
                    return Arithmetic.Apply(op.TrimEnd('_') switch { "add" => "+", "sub" => "-", "mul" => "*", "div" => "/", var o => throw call.Error($"{o} of two numbers") },
                        call.Arg(0, "self"), call.Arg(1, "other"), call.Span);
                return BinaryElementWise(call, InPlace.Contains(op));
            case "pow": return BinaryElementWise(call, false);

            // Layers.
            case "conv1d" or "conv2d" or "conv3d":
                return Convolution(call, weightIndex: 1, biasIndex: 2, strideIndex: 3, paddingIndex: 4, dilationIndex: 5, groupsIndex: 6, transposed: false);
            case "_convolution" or "convolution":
                return Convolution(call, 1, 2, 3, 4, 5, groupsIndex: 8, transposed: call.Bool(6, "transposed", false));
            case "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d":
                return TransposedConvolution(call);
            case "batch_norm": return BatchNorm(call);
            case "instance_norm" or "group_norm" or "layer_norm": return MixingNorm(call, op);
            case "linear": return Linear(call, call.Tensor(0, "input"), call.Tensor(1, "weight"), call.OptionalTensor(2, "bias"), weightTransposed: false);
            case "addmm": return AddMm(call);
            case "matmul" or "mm": return MatMul(call);
            case "t": return Transpose2d(call);

            // Pooling and shapes.
            case "max_pool1d" or "max_pool2d" or "max_pool3d": return Pool(call, op[^2] - '0', hasDilation: true);
            case "max_pool2d_with_indices": { var t = Pool(call, 2, hasDilation: true); return new PyTuple(new object?[] { t, new AbstractTensor(t.Shape) }); }
            case "avg_pool1d" or "avg_pool2d" or "avg_pool3d": return Pool(call, op[^2] - '0', hasDilation: false);
            case "adaptive_avg_pool1d" or "adaptive_avg_pool2d" or "adaptive_avg_pool3d" or "adaptive_max_pool1d" or "adaptive_max_pool2d" or "adaptive_max_pool3d":
            {
                var t = AdaptivePool(call, op[^2] - '0');
                return op.Contains("max", StringComparison.Ordinal) ? new PyTuple(new object?[] { t, new AbstractTensor(t.Shape) }) : t;
            }
            case "flatten": return Flatten(call);
            case "view" or "reshape": return Reshape(call);
            case "unsqueeze": return Unsqueeze(call);
            case "squeeze": return Squeeze(call);
            case "cat" or "concat": return Concatenate(call);
            case "mean" or "sum" or "amax" or "amin": return Reduce(call);
            case "softmax" or "log_softmax": return Softmax(call);
            case "transpose" or "permute": return Permute(call);
            case "zeros" or "ones" or "empty" or "full":
                return new AbstractTensor(call.Ints(0, "size", 1) ?? throw call.Error("needs a size"));
        }
        throw new StructureNotUnderstoodException(name, call.Span, "this operator is not understood");
    }

    private static bool Identical(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is bool or long or double or string) return Arithmetic.ValueEquals(a, b);
        return ReferenceEquals(a, b);
    }

    private static IEnumerable<object?> Items(object? v, OperatorCall call) => v switch
    {
        List<object?> l => l,
        PyTuple t => t.Items,
        _ => throw call.Error($"expects a list, got a {ScriptInterpreter.TypeName(v)}"),
    };

    private static object? Compare(string op, OperatorCall call)
    {
        var a = call.Arg(0, "a");
        var b = call.Arg(1, "b");
        if (a is AbstractTensor || b is AbstractTensor)
            throw call.Error("comparing tensor values is not understood");
        return Arithmetic.Apply(op, a, b, call.Span);
    }

    private static object Format(OperatorCall call)
    {
        var text = call.Arg(0, "self") as string ?? "";
        foreach (var a in call.Args.Skip(1))
        {
            int at = text.IndexOf("{}", StringComparison.Ordinal);
            if (at < 0) break;
            text = text[..at] + (a is List<object?> l ? "[" + string.Join(", ", l) + "]" : Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)) + text[(at + 2)..];
        }
        return text;
    }

    private static object Size(OperatorCall call)
    {
        var t = call.Tensor(0, "self");
        if (!call.Has(1, "dim")) return t.Shape.Select(d => (object?)d).ToList();
        return t.Shape[Dim(call.Int(1, "dim"), t.Rank, call)];
    }

    private static int Dim(long dim, int rank, OperatorCall call)
    {
        long d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= Math.Max(rank, 1)) throw call.Error($"dimension {dim} of a tensor of rank {rank}");
        return (int)d;
    }

    private static AbstractTensor UnaryElementWise(OperatorCall call, bool inPlace)
    {
        var t = call.Tensor(0, "self");
        return inPlace ? t : new AbstractTensor(t.Shape, t.Channels) { Scalar = t.Scalar };
    }

    private AbstractTensor BinaryElementWise(OperatorCall call, bool inPlace)
    {
        var a = call.Arg(0, "self");
        var b = call.Arg(1, "other");
        if (a is not AbstractTensor ta) return b is AbstractTensor tb0 ? new AbstractTensor(tb0.Shape, tb0.Channels) : throw call.Error("expects a tensor");
        if (b is not AbstractTensor tb) return inPlace ? ta : new AbstractTensor(ta.Shape, ta.Channels);
        var shape = Broadcast(ta.Shape, tb.Shape, call);
        int rank = shape.Length;
        var reason = $"{call.Operator} at {call.Span}";
        ChannelLayout? layout = null;
        if (rank >= 2)
        {
            var participants = new List<AbstractTensor>();
            foreach (var t in new[] { ta, tb })
            {
                int index = 1 - (rank - t.Rank);
                if (index >= 0 && t.Shape[index] > 1) participants.Add(t);
            }
            var withLayout = participants.Where(p => p.Channels is not null && p.Rank == rank).ToList();
            foreach (var p in withLayout)
                layout = layout is null ? p.Channels : _graph.Couple(layout, p.Channels!, reason);
            var others = participants.Where(p => p.Channels is null || p.Rank != rank).ToList();
            if (others.Count > 0 && layout is not null)
                _graph.Fix(layout, $"{reason} combines the channels with {others[0].Name ?? "a tensor"} of shape [{string.Join("x", others[0].Shape)}]");
            if (layout is null && rank == ta.Rank) layout = ta.Channels;
            if (layout is null && rank == tb.Rank) layout = tb.Channels;
            if (layout is not null && layout.Length != shape[1])
            {
                var fixedSpace = _graph.NewSpace(shape[1], reason);
                fixedSpace.Fix($"{reason} broadcasts its channels");
                _graph.Fix(layout, $"{reason} broadcasts its channels");
                layout = ChannelLayout.Of(fixedSpace);
            }
        }
        if (inPlace && ta.Shape.SequenceEqual(shape)) return ta;
        return new AbstractTensor(shape, layout);
    }

    private static long[] Broadcast(long[] a, long[] b, OperatorCall call)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            long y = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (x != y && x != 1 && y != 1) throw call.Error($"shapes [{string.Join("x", a)}] and [{string.Join("x", b)}] do not broadcast");
            shape[i] = Math.Max(x, y);
        }
        return shape;
    }

    private static string LayerName(string weight) => weight.EndsWith(".weight", StringComparison.Ordinal) ? weight[..^".weight".Length] : weight;

    private AbstractTensor Convolution(OperatorCall call, int weightIndex, int biasIndex, int strideIndex, int paddingIndex, int dilationIndex, int groupsIndex, bool transposed)
    {
        if (transposed) return TransposedConvolution(call);
        var input = call.Tensor(0, "input");
        var weight = call.Tensor(weightIndex, "weight");
        var bias = call.OptionalTensor(biasIndex, "bias");
        int spatial = weight.Rank - 2;
        if (spatial < 1 || input.Rank != spatial + 2) throw call.Error($"a convolution of a rank-{input.Rank} input with a rank-{weight.Rank} weight");
        var stride = call.Ints(strideIndex, "stride", spatial) ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilation = call.Ints(dilationIndex, "dilation", spatial) ?? Enumerable.Repeat(1L, spatial).ToArray();
        long groups = call.Int(groupsIndex, "groups", 1);
        var kernel = weight.Shape[2..];
        var padding = Padding(call, paddingIndex, spatial, kernel, dilation);
        long cin = input.Shape[1], cout = weight.Shape[0];
        if (groups < 1 || weight.Shape[1] * groups != cin)
            throw call.Error($"a weight of shape [{string.Join("x", weight.Shape)}] with groups {groups} cannot read {cin} channels");
        var output = new long[input.Rank];
        output[0] = input.Shape[0];
        output[1] = cout;
        for (int i = 0; i < spatial; i++)
        {
            long size = (input.Shape[i + 2] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i] + 1;
            if (size < 1) throw call.Error($"the input is too small: spatial size {input.Shape[i + 2]} gives {size}");
            output[i + 2] = size;
        }
        long macs = output.Aggregate(1L, (a, b) => a * b) * (cin / groups) * kernel.Aggregate(1L, (a, b) => a * b);
        var site = $"{call.Operator} at {call.Span}";
        if (weight.Name is null || input.Channels is null)
        {
            var opaque = _graph.NewSpace(cout, site);
            opaque.Fix($"{site} computes with a weight that is not a parameter");
            _graph.Fix(input.Channels, $"{site} computes with a weight that is not a parameter");
            return new AbstractTensor(output, ChannelLayout.Of(opaque));
        }
        var layer = LayerName(weight.Name);
        ChannelLayout outLayout;
        LayerKind kind;
        ChannelSpace outSpace;
        if (groups == 1)
        {
            kind = LayerKind.Convolution;
            AddConsumers(weight.Name, 1, input.Channels, layer);
            outSpace = _graph.ProducerSpace(weight.Name, cout, $"output of {layer}");
            outSpace.Add(new SpaceMember(weight.Name, 0, MemberRole.Producer, layer));
            if (bias?.Name is { } b) outSpace.Add(new SpaceMember(b, 0, MemberRole.Follower, layer));
            outLayout = ChannelLayout.Of(outSpace);
        }
        else if (groups == cin && cout == cin)
        {
            kind = LayerKind.DepthwiseConvolution;
            AddFollowers(weight.Name, input.Channels, layer);
            if (bias?.Name is { } b) AddFollowers(b, input.Channels, layer);
            foreach (var s in input.Channels.Spaces)
            {
                var root = s.Root;
                var coupling = $"depthwise convolution {layer}";
                if (!root.Couplings.Contains(coupling)) root.Couplings.Add(coupling);
            }
            outLayout = input.Channels;
            outSpace = input.Channels.Segments[0].Space;
        }
        else
        {
            kind = LayerKind.GroupedConvolution;
            var reason = $"grouped convolution {layer} (groups={groups}) at {call.Span}";
            _graph.Fix(input.Channels, reason);
            outSpace = _graph.ProducerSpace(weight.Name, cout, $"output of {layer}");
            outSpace.Fix(reason);
            outLayout = ChannelLayout.Of(outSpace);
        }
        var groupsExpr = call.Expression(groupsIndex, "groups");
        var weightExpr = call.Expression(weightIndex, "weight") as NameExpr;
        bool followsWeight = groupsExpr is CallExpr { Function: AttributeExpr { Target: NameExpr { Name: "torch" }, Name: "size" } } sizeCall
            && sizeCall.Arguments.Count == 2 && sizeCall.Arguments[0] is NameExpr sized && sized.Name == weightExpr?.Name
            && sizeCall.Arguments[1] is ConstantExpr { Value: 0L };
        _graph.Layers.Add(new LayerNode
        {
            Name = layer,
            Kind = kind,
            Weight = weight.Name,
            Bias = bias?.Name,
            InChannels = cin,
            OutChannels = cout,
            Groups = groups,
            Kernel = kernel,
            OutputShape = output,
            Macs = macs,
            Site = call.Span,
            GroupsLiteral = groupsExpr is ConstantExpr { Value: long } ? groupsExpr.Span : null,
            GroupsFollowWeight = followsWeight,
            WeightArgument = weightExpr?.Name,
            Input = input.Channels,
            Output = outSpace,
        });
        return new AbstractTensor(output, outLayout);
    }

    private static long[] Padding(OperatorCall call, int index, int spatial, long[] kernel, long[] dilation)
    {
        var v = call.Arg(index, "padding", null);
        if (v is string mode)
        {
            if (mode == "valid") return new long[spatial];
            if (mode == "same")
            {
                var total = kernel.Select((k, i) => dilation[i] * (k - 1)).ToArray();
                if (total.Any(t => t % 2 != 0)) throw call.Error("padding 'same' with an even kernel pads unevenly, which is not understood");
                return total.Select(t => t / 2).ToArray();
            }
            throw call.Error($"padding '{mode}' is not understood");
        }
        return call.Ints(index, "padding", spatial) ?? new long[spatial];
    }

    private AbstractTensor TransposedConvolution(OperatorCall call)
    {
        var input = call.Tensor(0, "input");
        var weight = call.Tensor(1, "weight");
        int spatial = weight.Rank - 2;
        bool explicitForm = call.Operator is "torch._convolution" or "torch.convolution";
        var stride = call.Ints(3, "stride", spatial) ?? Enumerable.Repeat(1L, spatial).ToArray();
        var padding = call.Ints(4, "padding", spatial) ?? new long[spatial];
        long[] outputPadding, dilation;
        long groups;
        if (explicitForm)
        {
            dilation = call.Ints(5, "dilation", spatial) ?? Enumerable.Repeat(1L, spatial).ToArray();
            outputPadding = call.Ints(7, "output_padding", spatial) ?? new long[spatial];
            groups = call.Int(8, "groups", 1);
        }
        else
        {
            outputPadding = call.Ints(5, "output_padding", spatial) ?? new long[spatial];
            groups = call.Int(6, "groups", 1);
            dilation = call.Ints(7, "dilation", spatial) ?? Enumerable.Repeat(1L, spatial).ToArray();
        }
        long cin = input.Shape[1], cout = weight.Shape[1] * groups;
        if (weight.Shape[0] != cin) throw call.Error($"a transposed weight of shape [{string.Join("x", weight.Shape)}] cannot read {cin} channels");
        var kernel = weight.Shape[2..];
        var output = new long[input.Rank];
        output[0] = input.Shape[0];
        output[1] = cout;
        for (int i = 0; i < spatial; i++)
            output[i + 2] = (input.Shape[i + 2] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1;
        long macs = input.Shape.Aggregate(1L, (a, b) => a * b) * (cout / groups) * kernel.Aggregate(1L, (a, b) => a * b);
        var reason = $"transposed convolution at {call.Span}";
        _graph.Fix(input.Channels, reason);
        var name = weight.Name ?? "transposed convolution";
        var outSpace = _graph.NewSpace(cout, $"output of {LayerName(name)}");
        outSpace.Fix(reason);
        if (weight.Name is not null && input.Channels is not null)
            _graph.Layers.Add(new LayerNode
            {
                Name = LayerName(weight.Name),
                Kind = LayerKind.TransposedConvolution,
                Weight = weight.Name,
                Bias = call.OptionalTensor(2, "bias")?.Name,
                InChannels = cin,
                OutChannels = cout,
                Groups = groups,
                Kernel = kernel,
                OutputShape = output,
                Macs = macs,
                Site = call.Span,
                Input = input.Channels,
                Output = outSpace,
            });
        return new AbstractTensor(output, ChannelLayout.Of(outSpace));
    }

    private void AddConsumers(string tensor, int dim, ChannelLayout layout, string layer)
    {
        long offset = 0;
        foreach (var segment in layout.Segments)
        {
            segment.Space.Add(new SpaceMember(tensor, dim, MemberRole.Consumer, layer, offset, segment.Block));
            offset += segment.Length;
        }
    }

    private void AddFollowers(string tensor, ChannelLayout layout, string layer)
    {
        long offset = 0;
        foreach (var segment in layout.Segments)
        {
            segment.Space.Add(new SpaceMember(tensor, 0, MemberRole.Follower, layer, offset, segment.Block));
            offset += segment.Length;
        }
    }

    private AbstractTensor BatchNorm(OperatorCall call)
    {
        var input = call.Tensor(0, "input");
        if (input.Rank < 2) throw call.Error("batch norm of a tensor without a channel dimension");
        var tensors = new[] { call.OptionalTensor(1, "weight"), call.OptionalTensor(2, "bias"), call.OptionalTensor(3, "running_mean"), call.OptionalTensor(4, "running_var") }
            .Where(t => t is not null).Select(t => t!).ToList();
        foreach (var t in tensors)
            if (t.Rank != 1 || t.Shape[0] != input.Shape[1])
                throw call.Error($"a batch-norm tensor of shape [{string.Join("x", t.Shape)}] for {input.Shape[1]} channels");
        if (input.Channels is null) return new AbstractTensor(input.Shape);
        var named = tensors.Where(t => t.Name is not null).Select(t => t.Name!).ToList();
        if (named.Count != tensors.Count)
        {
            _graph.Fix(input.Channels, $"batch norm at {call.Span} computes with tensors that are not parameters");
            return new AbstractTensor(input.Shape, input.Channels);
        }
        var layer = named.Count > 0 ? LayerName(named[0]).Replace(".running_mean", "") : $"batch norm at {call.Span}";
        foreach (var t in named) AddFollowers(t, input.Channels, layer);
        if (named.Count > 0)
            _graph.Norms.Add(new NormNode(layer, named, input.Channels.Segments[0].Space, call.Span));
        return new AbstractTensor(input.Shape, input.Channels);
    }

    private AbstractTensor MixingNorm(OperatorCall call, string op)
    {
        var input = call.Tensor(0, "input");
        _graph.Fix(input.Channels, $"{op} at {call.Span} normalizes across channels");
        return new AbstractTensor(input.Shape, input.Channels);
    }

    private AbstractTensor Linear(OperatorCall call, AbstractTensor input, AbstractTensor weight, AbstractTensor? bias, bool weightTransposed)
    {
        if (weight.Rank != 2) throw call.Error($"a linear weight of rank {weight.Rank}");
        long outFeatures = weightTransposed ? weight.Shape[1] : weight.Shape[0];
        long inFeatures = weightTransposed ? weight.Shape[0] : weight.Shape[1];
        if (input.Rank < 1 || input.Shape[^1] != inFeatures)
            throw call.Error($"a linear layer of {inFeatures} inputs applied to a tensor of shape [{string.Join("x", input.Shape)}]");
        var output = input.Shape.ToArray();
        output[^1] = outFeatures;
        long macs = input.Shape[..^1].Aggregate(1L, (a, b) => a * b) * inFeatures * outFeatures;
        var site = $"{call.Operator} at {call.Span}";
        if (weight.Name is null || input.Rank != 2 || input.Channels is null)
        {
            var why = weight.Name is null ? "computes with a weight that is not a parameter" : $"reads the last dimension of a rank-{input.Rank} tensor";
            _graph.Fix(input.Channels, $"{site} {why}");
            var opaque = _graph.NewSpace(output.Length >= 2 ? output[1] : outFeatures, site);
            opaque.Fix($"{site} {why}");
            if (weight.Name is not null && input.Channels is not null)
                _graph.Layers.Add(new LayerNode
                {
                    Name = LayerName(weight.Name), Kind = LayerKind.Linear, Weight = weight.Name, Bias = bias?.Name,
                    InChannels = inFeatures, OutChannels = outFeatures, Kernel = Array.Empty<long>(), OutputShape = output, Macs = macs,
                    Site = call.Span, Input = input.Channels, Output = opaque,
                });
            return new AbstractTensor(output, output.Length >= 2 ? ChannelLayout.Of(opaque) : null);
        }
        var layer = LayerName(weight.Name);
        AddConsumers(weight.Name, weightTransposed ? 0 : 1, input.Channels, layer);
        var space = _graph.ProducerSpace(weight.Name, outFeatures, $"output of {layer}");
        space.Add(new SpaceMember(weight.Name, weightTransposed ? 1 : 0, MemberRole.Producer, layer));
        if (bias?.Name is { } b) space.Add(new SpaceMember(b, 0, MemberRole.Follower, layer));
        _graph.Layers.Add(new LayerNode
        {
            Name = layer, Kind = LayerKind.Linear, Weight = weight.Name, Bias = bias?.Name,
            InChannels = inFeatures, OutChannels = outFeatures, Kernel = Array.Empty<long>(), OutputShape = output, Macs = macs,
            Site = call.Span, Input = input.Channels, Output = space,
        });
        return new AbstractTensor(output, ChannelLayout.Of(space));
    }

    private AbstractTensor AddMm(OperatorCall call)
    {
        var bias = call.Tensor(0, "self");
        var input = call.Tensor(1, "mat1");
        var weight = call.Tensor(2, "mat2");
        if (!weight.Transposed) throw call.Error("a matrix product with something other than a transposed weight");
        return Linear(call, input, weight, bias, weightTransposed: true);
    }

    private AbstractTensor MatMul(OperatorCall call)
    {
        var input = call.Tensor(0, "self");
        var weight = call.Tensor(1, "other");
        if (!weight.Transposed) throw call.Error("a matrix product with something other than a transposed weight");
        return Linear(call, input, weight, null, weightTransposed: true);
    }

    private static AbstractTensor Transpose2d(OperatorCall call)
    {
        var t = call.Tensor(0, "self");
        if (t.Name is null) throw call.Error("transposing an activation is not understood");
        if (t.Rank != 2) throw call.Error($"transposing a rank-{t.Rank} tensor");
        return new AbstractTensor(new[] { t.Shape[1], t.Shape[0] }, null, t.Name) { Transposed = !t.Transposed };
    }

    private static AbstractTensor Pool(OperatorCall call, int spatial, bool hasDilation)
    {
        var input = call.Tensor(0, "self");
        if (input.Rank < spatial + 1) throw call.Error($"pooling a rank-{input.Rank} tensor");
        var kernel = call.Ints(1, "kernel_size", spatial) ?? throw call.Error("needs a kernel size");
        var stride = call.Ints(2, "stride", spatial);
        if (stride is null || stride.Length == 0) stride = kernel;
        var padding = call.Ints(3, "padding", spatial) ?? new long[spatial];
        var dilation = hasDilation ? call.Ints(4, "dilation", spatial) ?? Enumerable.Repeat(1L, spatial).ToArray() : Enumerable.Repeat(1L, spatial).ToArray();
        bool ceil = call.Bool(hasDilation ? 5 : 4, "ceil_mode", false);
        var output = input.Shape.ToArray();
        int first = input.Rank - spatial;
        for (int i = 0; i < spatial; i++)
        {
            long size = input.Shape[first + i];
            long numerator = size + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1;
            long o = (ceil ? (numerator + stride[i] - 1) / stride[i] : numerator / stride[i]) + 1;
            if (ceil && (o - 1) * stride[i] >= size + padding[i]) o--;
            if (o < 1) throw call.Error($"the input is too small: spatial size {size} gives {o}");
            output[first + i] = o;
        }
        return new AbstractTensor(output, input.Channels);
    }

    private static AbstractTensor AdaptivePool(OperatorCall call, int spatial)
    {
        var input = call.Tensor(0, "self");
        var size = call.Arg(1, "output_size");
        var items = size switch
        {
            long l => Enumerable.Repeat((object?)l, spatial).ToList(),
            List<object?> list => list,
            PyTuple t => t.Items.ToList(),
            _ => throw call.Error("needs an output size"),
        };
        if (items.Count == 1 && spatial > 1) items = Enumerable.Repeat(items[0], spatial).ToList();
        var output = input.Shape.ToArray();
        int first = input.Rank - spatial;
        for (int i = 0; i < spatial; i++)
            if (items[i] is long l) output[first + i] = l;
        return new AbstractTensor(output, input.Channels);
    }

    private AbstractTensor Flatten(OperatorCall call)
    {
        var input = call.Tensor(0, "input");
        int rank = input.Rank;
        if (rank == 0) return new AbstractTensor(new long[] { 1 });
        int start = Dim(call.Int(1, "start_dim", 0), rank, call);
        int end = Dim(call.Int(2, "end_dim", -1), rank, call);
        if (end < start) throw call.Error("end_dim before start_dim");
        var output = input.Shape[..start].Append(input.Shape[start..(end + 1)].Aggregate(1L, (a, b) => a * b)).Concat(input.Shape[(end + 1)..]).ToArray();
        return new AbstractTensor(output, Reflow(input, output, call, $"flatten at {call.Span}"));
    }

    /// <summary>
    /// The channel layout after a reshape from the input's shape to <paramref name="output"/>: kept when dimensions 0
    /// and 1 are kept, scaled into blocks when the dimensions after 1 fold into it (or unfold from it), otherwise fixed.
    /// </summary>
    private ChannelLayout? Reflow(AbstractTensor input, long[] output, OperatorCall call, string site)
    {
        if (input.Channels is null) return null;
        if (input.Rank < 2 || output.Length < 2 || output[0] != input.Shape[0])
        {
            _graph.Fix(input.Channels, $"{site} moves the channels out of dimension 1");
            return output.Length >= 2 ? FixedLayout(output[1], site) : null;
        }
        long inInner = input.Shape[2..].Aggregate(1L, (a, b) => a * b);
        long outInner = output[2..].Aggregate(1L, (a, b) => a * b);
        if (input.Shape[1] * inInner != output[1] * outInner)
            throw call.Error($"reshaping [{string.Join("x", input.Shape)}] to [{string.Join("x", output)}]");
        var scaled = input.Channels.Scale(inInner, outInner);
        if (scaled is null || scaled.Segments.Any(s => s.Block < 1) || (outInner != inInner && output[1] % input.Shape[1] != 0 && input.Shape[1] % output[1] != 0))
        {
            _graph.Fix(input.Channels, $"{site} splits channels across dimensions");
            return FixedLayout(output[1], site);
        }
        return scaled;
    }

    private ChannelLayout FixedLayout(long size, string site)
    {
        var space = _graph.NewSpace(size, site);
        space.Fix($"{site} makes channels slimming cannot follow");
        return ChannelLayout.Of(space);
    }

    private AbstractTensor Reshape(OperatorCall call)
    {
        var input = call.Tensor(0, "self");
        var shape = call.Ints(1, "size", 1) ?? throw call.Error("needs a shape");
        long total = input.Shape.Aggregate(1L, (a, b) => a * b);
        int unknown = Array.IndexOf(shape, -1L);
        if (unknown >= 0)
        {
            long known = shape.Where((d, i) => i != unknown).Aggregate(1L, (a, b) => a * b);
            if (known == 0 || total % known != 0) throw call.Error($"reshaping [{string.Join("x", input.Shape)}] to [{string.Join(", ", shape)}]");
            shape[unknown] = total / known;
        }
        if (shape.Aggregate(1L, (a, b) => a * b) != total) throw call.Error($"reshaping [{string.Join("x", input.Shape)}] to [{string.Join(", ", shape)}]");
        var site = $"{call.Operator} at {call.Span}";
        var layout = Reflow(input, shape, call, site);
        // A shape spelled out in the code stops matching once channels are removed: those channels stay.
        if (input.Channels is not null && call.Expression(1, "size") is ListExpr literal
            && literal.Items.Skip(1).Any(i => i is ConstantExpr { Value: long v } && v > 1))
        {
            _graph.Fix(input.Channels, $"{site} reshapes to sizes written into the code");
            if (layout is not null) _graph.Fix(layout, $"{site} reshapes to sizes written into the code");
        }
        return new AbstractTensor(shape, layout);
    }

    private AbstractTensor Unsqueeze(OperatorCall call)
    {
        var input = call.Tensor(0, "self");
        int dim = Dim(call.Int(1, "dim"), input.Rank + 1, call);
        var output = input.Shape.ToList();
        output.Insert(dim, 1);
        if (input.Channels is not null && dim <= 1)
        {
            _graph.Fix(input.Channels, $"unsqueeze at {call.Span} moves the channels");
            return new AbstractTensor(output, output.Count >= 2 ? FixedLayout(output[1], $"unsqueeze at {call.Span}") : null);
        }
        return new AbstractTensor(output, input.Channels);
    }

    private AbstractTensor Squeeze(OperatorCall call)
    {
        var input = call.Tensor(0, "self");
        var dims = call.Has(1, "dim") ? new[] { Dim(call.Int(1, "dim"), input.Rank, call) } : Enumerable.Range(0, input.Rank).ToArray();
        var removed = dims.Where(d => input.Shape[d] == 1).ToHashSet();
        var output = input.Shape.Where((_, i) => !removed.Contains(i)).ToArray();
        if (input.Channels is not null && removed.Any(d => d <= 1))
        {
            _graph.Fix(input.Channels, $"squeeze at {call.Span} moves the channels");
            return new AbstractTensor(output, output.Length >= 2 ? FixedLayout(output[1], $"squeeze at {call.Span}") : null);
        }
        return new AbstractTensor(output, input.Channels);
    }

    private AbstractTensor Concatenate(OperatorCall call)
    {
        var tensors = Items(call.Arg(0, "tensors"), call).Select(t => t as AbstractTensor ?? throw call.Error("concatenates something other than tensors")).ToList();
        if (tensors.Count == 0) throw call.Error("concatenates nothing");
        int rank = tensors[0].Rank;
        int dim = Dim(call.Int(1, "dim", 0), rank, call);
        var output = tensors[0].Shape.ToArray();
        output[dim] = tensors.Sum(t => t.Shape[dim]);
        var site = $"{call.Operator} at {call.Span}";
        if (rank < 2) return new AbstractTensor(output);
        if (dim == 1)
        {
            if (tensors.Any(t => t.Channels is null))
            {
                foreach (var t in tensors) _graph.Fix(t.Channels, $"{site} joins the channels with a tensor that is not an activation");
                return new AbstractTensor(output, FixedLayout(output[1], site));
            }
            return new AbstractTensor(output, new ChannelLayout(tensors.SelectMany(t => t.Channels!.Segments).ToList()));
        }
        ChannelLayout? layout = null;
        foreach (var t in tensors)
        {
            if (t.Channels is null) { _graph.Fix(layout, $"{site} joins the channels with a tensor that is not an activation"); continue; }
            layout = layout is null ? t.Channels : _graph.Couple(layout, t.Channels, site);
        }
        if (dim == 0 && layout is not null) _graph.Fix(layout, $"{site} concatenates along the batch");
        return new AbstractTensor(output, layout);
    }

    private AbstractTensor Reduce(OperatorCall call)
    {
        var input = call.Tensor(0, "self");
        var dimArg = call.Arg(1, "dim", null);
        IEnumerable<long> dimList = dimArg switch
        {
            null => Enumerable.Range(0, input.Rank).Select(i => (long)i),
            long l => new[] { l },
            List<object?> list => list.Select(i => i is long l ? l : throw call.Error("reduces over a dimension that is not an integer")),
            _ => throw call.Error("needs dimensions to reduce"),
        };
        var dims = dimList.Select(d => Dim(d, input.Rank, call)).ToHashSet();
        if (dims.Count == 0) dims = Enumerable.Range(0, input.Rank).ToHashSet();
        bool keep = dimArg is not null && call.Bool(2, "keepdim", false);
        var output = keep ? input.Shape.Select((d, i) => dims.Contains(i) ? 1 : d).ToArray() : input.Shape.Where((_, i) => !dims.Contains(i)).ToArray();
        var site = $"{call.Operator} at {call.Span}";
        if (input.Channels is null) return new AbstractTensor(output);
        if (dims.Contains(1)) { _graph.Fix(input.Channels, $"{site} reduces over the channels"); return new AbstractTensor(output); }
        if (dims.Contains(0) && !keep) { _graph.Fix(input.Channels, $"{site} reduces over the batch"); return new AbstractTensor(output, output.Length >= 2 ? FixedLayout(output[1], site) : null); }
        return new AbstractTensor(output, input.Channels);
    }

    private AbstractTensor Softmax(OperatorCall call)
    {
        var input = call.Tensor(0, "self");
        int dim = Dim(call.Int(1, "dim"), input.Rank, call);
        if (dim == 1) _graph.Fix(input.Channels, $"{call.Operator} at {call.Span} mixes the channels");
        return new AbstractTensor(input.Shape, input.Channels);
    }

    private AbstractTensor Permute(OperatorCall call)
    {
        var input = call.Tensor(0, "self");
        int[] order;
        if (call.Operator == "torch.transpose")
        {
            int a = Dim(call.Int(1, "dim0"), input.Rank, call), b = Dim(call.Int(2, "dim1"), input.Rank, call);
            order = Enumerable.Range(0, input.Rank).ToArray();
            (order[a], order[b]) = (order[b], order[a]);
        }
        else order = (call.Ints(1, "dims", input.Rank) ?? throw call.Error("needs dimensions")).Select(d => Dim(d, input.Rank, call)).ToArray();
        var output = order.Select(i => input.Shape[i]).ToArray();
        if (input.Channels is null) return new AbstractTensor(output);
        if (order.Length >= 2 && order[0] == 0 && order[1] == 1) return new AbstractTensor(output, input.Channels);
        var site = $"{call.Operator} at {call.Span}";
        _graph.Fix(input.Channels, $"{site} moves the channels");
        return new AbstractTensor(output, output.Length >= 2 ? FixedLayout(output[1], site) : null);
    }
}
