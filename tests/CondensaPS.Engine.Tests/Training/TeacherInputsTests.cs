using CondensaPS.Engine.Training;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class TeacherInputsTests
{
    public TeacherInputsTests() => TorchRuntime.EnsureInitialized();

    /// <summary>One 1 x 4 x 4 sample holding 0..15 row by row.</summary>
    private static Tensor Ramp() => arange(16, dtype: ScalarType.Float32).view(1, 1, 4, 4);

    private static float[,] Grid(Tensor t)
    {
        var v = t.contiguous().data<float>().ToArray();
        var g = new float[4, 4];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) g[y, x] = v[y * 4 + x];
        return g;
    }

    private static void Equal(float[,] expected, Tensor actual)
    {
        var a = Grid(actual);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.True(Math.Abs(expected[y, x] - a[y, x]) < 1e-4, $"({y}, {x}): expected {expected[y, x]}, got {a[y, x]}");
    }

    private static Tensor One(double v) => tensor(new[] { (float)v });

    [Fact]
    public void A_quarter_turn_moves_the_bottom_row_to_the_right_column()
    {
        using var scope = NewDisposeScope();
        // Turned counter-clockwise as displayed: output (y, x) shows input (x, 3 - y); pixel centres map onto centres.
        var turned = TeacherInputs.Transform(Ramp(), One(Math.PI / 2), One(1), One(0), One(0), zeros(1, 1, 1, 1));
        var expected = new float[4, 4];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) expected[y, x] = x * 4 + (3 - y);
        Equal(expected, turned);
        Assert.Equal(3f, Grid(turned)[0, 0], 3);
        Assert.Equal(12f, Grid(turned)[3, 3], 3);
    }

    [Fact]
    public void A_shift_of_a_quarter_moves_the_content_one_pixel_and_brings_in_black()
    {
        using var scope = NewDisposeScope();
        var background = full(1, 1, 1, 1, -1f);
        var right = TeacherInputs.Transform(Ramp(), One(0), One(1), One(0.25), One(0), background);
        var down = TeacherInputs.Transform(Ramp(), One(0), One(1), One(0), One(0.25), background);
        var er = new float[4, 4];
        var ed = new float[4, 4];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                er[y, x] = x == 0 ? -1 : y * 4 + x - 1;
                ed[y, x] = y == 0 ? -1 : (y - 1) * 4 + x;
            }
        Equal(er, right);
        Equal(ed, down);
    }

    [Fact]
    public void Scaling_by_two_about_the_centre_samples_halfway_between_pixels()
    {
        using var scope = NewDisposeScope();
        // Scale 2: output point p samples the input at p / 2. Output pixel (1, 1) is at (-0.25, -0.25) in grid
        // coordinates, so it samples (-0.125, -0.125): a quarter of the way from pixel 1 to pixel 2 along each axis
        // (centres at -0.25 and 0.25), pixel coordinate 1.25 on each axis: 4 * 1.25 + 1.25 = 6.25.
        var zoomed = TeacherInputs.Transform(Ramp(), One(0), One(2), One(0), One(0), zeros(1, 1, 1, 1));
        Assert.Equal(6.25f, Grid(zoomed)[1, 1], 3);
        Assert.Equal(8.75f, Grid(zoomed)[2, 2], 3);
    }

    [Fact]
    public void A_displacement_field_of_one_pixel_takes_each_pixel_from_its_right_neighbour()
    {
        using var scope = NewDisposeScope();
        var field = cat(new[] { ones(1, 1, 4, 4), zeros(1, 1, 4, 4) }, 1);
        var displaced = TeacherInputs.Displace(Ramp(), field, full(1, 1, 1, 1, -1f));
        var expected = new float[4, 4];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) expected[y, x] = x == 3 ? -1 : y * 4 + x + 1;
        Equal(expected, displaced);
        // No displacement is the identity.
        Equal(Grid(Ramp()), TeacherInputs.Displace(Ramp(), zeros(1, 2, 4, 4), zeros(1, 1, 1, 1)));
    }

    [Fact]
    public void Cut_mix_pastes_the_partners_rectangle()
    {
        using var scope = NewDisposeScope();
        var partner = full(1, 1, 4, 4, 100f);
        var pasted = TeacherInputs.Paste(Ramp(), partner, One(1), One(2), One(2), One(1));
        var expected = Grid(Ramp());
        expected[1, 2] = 100;
        expected[2, 2] = 100;
        Equal(expected, pasted);
    }

    [Fact]
    public void Each_kind_adds_a_batch_of_the_same_shape_the_same_seed_gives_the_same_inputs()
    {
        using var scope = NewDisposeScope();
        var data = RetrainTestData.Train(16);
        var order = Enumerable.Range(0, 16).ToArray();
        var (x, _) = data.Batch(order, 0, 8);
        var kinds = new[] { TeacherInputKind.Mixup, TeacherInputKind.Affine, TeacherInputKind.Elastic, TeacherInputKind.CutMix, TeacherInputKind.Shift, TeacherInputKind.Noise };
        using var a = new TeacherInputs(kinds, data, seed: 3);
        using var b = new TeacherInputs(kinds, data, seed: 3);
        var made = a.Make(x, order, 0, 8, new Random(1));
        Assert.Equal(new long[] { 8 * kinds.Length, 1, 28, 28 }, made.shape);
        Assert.True(made.eq(b.Make(x, order, 0, 8, new Random(1))).all().item<bool>());
        // Black stays black: an all-black batch is all black after every geometric kind and mixing.
        var black = a.Background.expand(8, 1, 28, 28).contiguous();
        using var geometric = new TeacherInputs(new[] { TeacherInputKind.Mixup, TeacherInputKind.Affine, TeacherInputKind.Elastic, TeacherInputKind.CutMix }, data, seed: 3);
        Assert.True((geometric.Make(black, order, 0, 8, new Random(1)) - a.Background).abs().max().item<float>() < 1e-5);
        // The normalised black pixel is -mean/std.
        Assert.Equal(-0.1307 / 0.3081, a.Background.item<float>(), 5);
        using var none = new TeacherInputs(new[] { TeacherInputKind.None }, data, seed: 3);
        Assert.False(none.Any);
    }
    [Fact]
    public void Teacher_data_adds_a_batch_of_its_own_samples_drawn_at_random_and_seeded()
    {
        using var scope = NewDisposeScope();
        var data = RetrainTestData.Train(16);
        var pool = RetrainTestData.Val(12);
        var order = Enumerable.Range(0, 16).ToArray();
        var (x, _) = data.Batch(order, 0, 8);
        var (all, _) = pool.Batch(Enumerable.Range(0, 12).ToArray(), 0, 12);
        using var a = new TeacherInputs(Array.Empty<TeacherInputKind>(), data, seed: 3, pool: pool);
        using var b = new TeacherInputs(Array.Empty<TeacherInputKind>(), data, seed: 3, pool: pool);
        Assert.True(a.Any);
        var made = a.Make(x, order, 0, 8, new Random(1));
        Assert.Equal(new long[] { 8, 1, 28, 28 }, made.shape);
        // Each made input is one of the pool's samples, exactly; the same seed draws the same ones.
        var drawn = new HashSet<long>();
        for (int i = 0; i < 8; i++)
        {
            var distance = (all - made[i].unsqueeze(0)).abs().flatten(1).amax(new long[] { 1 });
            Assert.Equal(0f, distance.min().item<float>());
            drawn.Add(distance.argmin().item<long>());
        }
        Assert.True(drawn.Count > 1, "the draws are not all the same sample");
        Assert.True(made.eq(b.Make(x, order, 0, 8, new Random(1))).all().item<bool>());
        // With a kind as well, the pool's batch comes after the kind's.
        using var both = new TeacherInputs(new[] { TeacherInputKind.Noise }, data, seed: 3, pool: pool);
        var two = both.Make(x, order, 0, 8, new Random(1));
        Assert.Equal(16, two.shape[0]);
        Assert.True(two.narrow(0, 8, 8).eq(made).all().item<bool>());
    }
}
