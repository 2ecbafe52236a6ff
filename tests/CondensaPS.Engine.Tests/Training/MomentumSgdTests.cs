using CondensaPS.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class MomentumSgdTests
{
    public MomentumSgdTests() => TorchRuntime.EnsureInitialized();

    private static Parameter Weight(params float[] values) => new(tensor(values), requires_grad: true);

    private static void SetGradient(Parameter p, params float[] values) => p.grad = tensor(values);

    [Fact]
    public void Steps_follow_heavy_ball_momentum_by_hand()
    {
        // v1 = g1 = 0.5, w1 = 1 - 0.1 * 0.5 = 0.95; v2 = 0.9 * 0.5 - 0.25 = 0.2, w2 = 0.95 - 0.1 * 0.2 = 0.93;
        // v3 = 0.9 * 0.2 + 1 = 1.18, w3 = 0.93 - 0.118 = 0.812.
        var w = Weight(1f);
        using var sgd = new MomentumSgd(new[] { w }, 0.1, 0.9);
        var expected = new[] { 0.95, 0.93, 0.812 };
        var gradients = new[] { 0.5f, -0.25f, 1f };
        for (int i = 0; i < 3; i++)
        {
            SetGradient(w, gradients[i]);
            sgd.Step();
            Assert.Equal(expected[i], w.item<float>(), 5);
        }
    }

    [Fact]
    public void Without_momentum_a_step_is_plain_gradient_descent()
    {
        var w = Weight(1f, -2f);
        using var sgd = new MomentumSgd(new[] { w }, 0.5, 0);
        SetGradient(w, 0.2f, 0.4f);
        sgd.Step();
        SetGradient(w, 0.2f, 0.4f);
        sgd.Step();
        var after = w.data<float>().ToArray();
        Assert.Equal(0.8f, after[0], 6);
        Assert.Equal(-2.4f, after[1], 6);
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone()
    {
        var used = Weight(1f);
        var unused = Weight(3f);
        using var sgd = new MomentumSgd(new[] { used, unused }, 0.1, 0.9);
        SetGradient(used, 1f);
        sgd.Step();
        Assert.Equal(0.9f, used.item<float>(), 6);
        Assert.Equal(3f, unused.item<float>());
    }

    [Fact]
    public void Training_follows_TorchSharp_SGD_with_the_same_momentum()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        var x = randn(64, 8);
        var y = randint(0, 3, new long[] { 64 });
        Sequential Net()
        {
            random.manual_seed(11);
            return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3));
        }
        var ours = Net();
        var theirs = Net();
        var ourParameters = ours.parameters().ToList();
        var theirParameters = theirs.parameters().ToList();
        using var sgd = new MomentumSgd(ourParameters, 0.05, 0.9);
        using var reference = optim.SGD(theirParameters, 0.05, 0.9);
        for (int step = 0; step < 30; step++)
        {
            var rows = arange(step % 4 * 16, step % 4 * 16 + 16);
            Gradients.Clear(ourParameters);
            nn.functional.cross_entropy(ours.call(x[rows]), y[rows]).backward();
            sgd.Step();
            reference.zero_grad();
            nn.functional.cross_entropy(theirs.call(x[rows]), y[rows]).backward();
            reference.step();
        }
        for (int i = 0; i < ourParameters.Count; i++)
        {
            double scale = theirParameters[i].abs().max().item<float>();
            double difference = (ourParameters[i] - theirParameters[i]).abs().max().item<float>();
            Assert.True(difference <= 1e-5 * scale, $"parameter {i}: {difference} apart (scale {scale})");
        }
    }

    [Fact]
    public void Cleared_gradients_are_replaced_by_the_next_backward_pass_not_added_to()
    {
        var w = Weight(2f);
        (w * 3f).backward();
        Assert.Equal(3f, w.grad!.item<float>());
        Gradients.Clear(new[] { w });
        Assert.Null(w.grad);
        (w * 5f).backward();
        Assert.Equal(5f, w.grad!.item<float>());
    }
}
