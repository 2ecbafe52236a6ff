using CondensaPS.Engine.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class GradientsTests
{
    public GradientsTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Cleared_gradients_are_replaced_by_the_next_backward_pass_not_added_to()
    {
        var w = new Parameter(tensor(new[] { 2f }), requires_grad: true);
        (w * 3f).sum().backward();
        Assert.Equal(3f, w.grad!.item<float>());
        Gradients.Clear(new[] { w });
        Assert.Null(w.grad);
        (w * 5f).sum().backward();
        Assert.Equal(5f, w.grad!.item<float>());
    }

    [Fact]
    public void Training_with_cleared_gradients_is_bit_identical_to_zeroed_ones()
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
        var cleared = Net();
        var zeroed = Net();
        var clearedParameters = cleared.parameters().ToList();
        using var clearedSgd = optim.SGD(clearedParameters, 0.05, 0.9);
        using var zeroedSgd = optim.SGD(zeroed.parameters(), 0.05, 0.9);
        for (int step = 0; step < 20; step++)
        {
            var rows = arange(step % 4 * 16, step % 4 * 16 + 16);
            nn.functional.cross_entropy(cleared.call(x[rows]), y[rows]).backward();
            clearedSgd.step();
            Gradients.Clear(clearedParameters);
            zeroedSgd.zero_grad();
            nn.functional.cross_entropy(zeroed.call(x[rows]), y[rows]).backward();
            zeroedSgd.step();
        }
        foreach (var (a, b) in clearedParameters.Zip(zeroed.parameters()))
            Assert.True(a.equal(b).all().item<bool>());
    }
}
