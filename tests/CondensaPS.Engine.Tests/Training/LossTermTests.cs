using CondensaPS.Engine.Training.Losses;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class LossTermTests
{
    public LossTermTests() => TorchRuntime.EnsureInitialized();

    private static readonly float[] S = { 1f, 2f, 0.5f, 0.2f, -1f, 0.3f };
    private static readonly float[] T = { 2f, 0.5f, 0f, -0.5f, 1f, 0.5f };

    private static double LogSumExp(double[] z) { double m = z.Max(); return m + Math.Log(z.Sum(v => Math.Exp(v - m))); }
    private static double[] Row(float[] a, int r, double scale = 1) => a.Skip(3 * r).Take(3).Select(v => v / scale).ToArray();

    private static double Value(ILossTerm term, long[] labels)
    {
        using var scope = NewDisposeScope();
        var s = tensor(S, new long[] { 2, 3 });
        var t = tensor(T, new long[] { 2, 3 });
        return term.Compute(s, t, tensor(labels)).item<float>();
    }

    [Fact]
    public void Cross_entropy_is_the_mean_negative_log_softmax_of_the_label()
    {
        double expected = (-(Row(S, 0)[1] - LogSumExp(Row(S, 0))) - (Row(S, 1)[2] - LogSumExp(Row(S, 1)))) / 2;
        Assert.Equal(expected, Value(new CrossEntropyTerm(), new long[] { 1, 2 }), 5);
    }

    [Fact]
    public void Distillation_is_T_squared_KL_teacher_student_batch_mean()
    {
        const double temp = 2.0;
        double sum = 0;
        for (int r = 0; r < 2; r++)
        {
            var zt = Row(T, r, temp); var zs = Row(S, r, temp);
            double lt = LogSumExp(zt), ls = LogSumExp(zs);
            for (int k = 0; k < 3; k++) { double logPt = zt[k] - lt; sum += Math.Exp(logPt) * (logPt - (zs[k] - ls)); }
        }
        Assert.Equal(temp * temp * sum / 2, Value(new DistillationTerm(temp), new long[] { 0, 0 }), 5);
    }

    [Fact]
    public void Distillation_is_zero_when_student_equals_teacher()
    {
        using var scope = NewDisposeScope();
        var t = tensor(T, new long[] { 2, 3 });
        Assert.Equal(0.0, new DistillationTerm(4).Compute(t.clone(), t, tensor(new long[] { 0, 0 })).item<float>(), 6);
    }

    [Fact]
    public void Teacher_label_is_cross_entropy_with_the_teachers_argmax()
    {
        // Teacher argmax: row 0 -> 0, row 1 -> 1. The data labels are ignored.
        double expected = (-(Row(S, 0)[0] - LogSumExp(Row(S, 0))) - (Row(S, 1)[1] - LogSumExp(Row(S, 1)))) / 2;
        Assert.Equal(expected, Value(new TeacherLabelTerm(), new long[] { 2, 2 }), 5);
    }

    [Fact]
    public void Logit_mse_is_the_mean_squared_difference()
    {
        double expected = S.Zip(T, (a, b) => (double)(a - b) * (a - b)).Average();
        Assert.Equal(expected, Value(new LogitMseTerm(), new long[] { 0, 0 }), 5);
    }

    [Fact]
    public void Margin_is_a_hinge_on_the_students_margin_for_the_teachers_label()
    {
        // Row 0: teacher label 0, student margin 1 - 2 = -1 -> hinge 1 - (-1) = 2. Row 1: label 1, margin -1 - 0.3 = -1.3 -> 2.3.
        Assert.Equal((2.0 + 2.3) / 2, Value(new MarginTerm(1.0), new long[] { 0, 0 }), 5);
        // A margin the student already exceeds costs nothing.
        using var scope = NewDisposeScope();
        var s = tensor(new float[] { 5f, 0f, 0f }, new long[] { 1, 3 });
        Assert.Equal(0.0, new MarginTerm(1.0).Compute(s, s, tensor(new long[] { 0 })).item<float>(), 6);
    }

    [Fact]
    public void Label_preserving_expands_to_its_terms_and_unknown_terms_are_errors()
    {
        Assert.Equal(LossTerms.LabelPreservingTerms, LossTerms.Expand(new[] { "label-preserving" }));
        Assert.Equal(new[] { "cross-entropy", "margin" }, LossTerms.Expand(new[] { "CrossEntropy", "margin" }));
        Assert.Throws<ArgumentException>(() => LossTerms.Expand(new[] { "hinge" }));
        Assert.Throws<ArgumentException>(() => LossTerms.Expand(new[] { "ce", "cross-entropy" }));
    }
}
