using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Stochastic gradient descent with heavy-ball momentum, the update of PyTorch's <c>torch.optim.SGD</c> (no
/// dampening, no Nesterov, no weight decay): <c>v = momentum * v + g</c>, <c>w -= lr * v</c>. It keeps the velocity
/// scaled by <c>1 - momentum</c> (an exponential moving average of the gradients), <c>a = (1 - momentum) * v</c>, so
/// that one in-place <c>lerp_</c> updates it: <c>a += (1 - momentum) * (g - a)</c>, then <c>w -= lr / (1 - momentum) * a</c>.
/// The same arithmetic up to rounding, in two passes over each parameter's memory instead of the three of
/// TorchSharp's SGD (<c>v.mul_</c>, <c>v.add_</c>, <c>w.add_</c>), and no buffer is ever reallocated. The first step
/// starts the velocity at the gradient, as PyTorch does. Parameters without a gradient are left alone.
/// </summary>
internal sealed class MomentumSgd : IDisposable
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly double _rate;
    private readonly double _momentum;
    private readonly Tensor?[] _averages;

    public MomentumSgd(IReadOnlyList<Parameter> parameters, double learningRate, double momentum)
    {
        if (momentum < 0 || momentum >= 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1).");
        _parameters = parameters;
        _rate = learningRate;
        _momentum = momentum;
        _averages = new Tensor?[parameters.Count];
    }

    /// <summary>Applies one update from the gradients the last backward pass left on the parameters.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double keep = 1 - _momentum;
        for (int i = 0; i < _parameters.Count; i++)
        {
            using var gradient = _parameters[i].grad;
            if (gradient is null) continue;
            if (_momentum == 0)
            {
                _parameters[i].add_(gradient, alpha: -_rate);
                continue;
            }
            var average = _averages[i];
            if (average is null) _averages[i] = average = gradient.mul(keep).DetachFromDisposeScope();
            else average.lerp_(gradient, keep);
            _parameters[i].add_(average, alpha: -_rate / keep);
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _averages.Length; i++)
        {
            _averages[i]?.Dispose();
            _averages[i] = null;
        }
    }
}
