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
    public void Per_sample_values_average_to_each_terms_batch_mean()
    {
        using var scope = NewDisposeScope();
        var s = tensor(S, new long[] { 2, 3 });
        var t = tensor(T, new long[] { 2, 3 });
        var y = tensor(new long[] { 1, 2 });
        foreach (var term in new ILossTerm[] { new CrossEntropyTerm(), new DistillationTerm(2), new TeacherLabelTerm(), new LogitMseTerm(), new MarginTerm(1), new FocalDistillationTerm(3), new LogitDifferenceTerm() })
        {
            var perSample = term.PerSample(s, t, y);
            Assert.Equal(new long[] { 2 }, perSample.shape);
            Assert.Equal(term.Compute(s, t, y).item<float>(), perSample.mean().item<float>(), 5);
        }
        // Cross-entropy per sample, by hand: -log softmax(z_s)[y] for each row.
        var ce = new CrossEntropyTerm().PerSample(s, t, y).data<float>().ToArray();
        Assert.Equal(-(Row(S, 0)[1] - LogSumExp(Row(S, 0))), ce[0], 5);
        Assert.Equal(-(Row(S, 1)[2] - LogSumExp(Row(S, 1))), ce[1], 5);
    }

    /// <summary>The two-sample batch (labels 1 and 2) and a loss of cross-entropy and teacher-label, term weights 0.5 and 2.</summary>
    private static (Tensor S, Tensor T, Tensor Y, RetrainLoss Loss) CrossEntropyAndTeacherLabel() =>
        (tensor(S, new long[] { 2, 3 }), tensor(T, new long[] { 2, 3 }), tensor(new long[] { 1, 2 }),
         new RetrainLoss(new ILossTerm[] { new CrossEntropyTerm(), new TeacherLabelTerm() },
             new SoftAdapt(SoftAdaptVariant.None, 0.1, 10, new[] { 0.5, 2.0 })));

    /// <summary>Both terms per sample, by hand: -log softmax(z_s)[label] and -log softmax(z_s)[teacher's argmax].</summary>
    private static (double Ce0, double Ce1, double Tl0, double Tl1) CrossEntropyAndTeacherLabelByHand() =>
        (-(Row(S, 0)[1] - LogSumExp(Row(S, 0))), -(Row(S, 1)[2] - LogSumExp(Row(S, 1))),
         -(Row(S, 0)[0] - LogSumExp(Row(S, 0))), -(Row(S, 1)[1] - LogSumExp(Row(S, 1))));

    [Fact]
    public void Sample_weights_give_each_term_a_weighted_mean_and_term_weights_scale_it()
    {
        using var scope = NewDisposeScope();
        var (s, t, y, loss) = CrossEntropyAndTeacherLabel();
        var (ce0, ce1, tl0, tl1) = CrossEntropyAndTeacherLabelByHand();
        // Weights 1 and 3: each term is (1 l_0 + 3 l_1) / 4; the total is 0.5 CE + 2 TL.
        var weighted = loss.Compute(s, t, y, tensor(new float[] { 1f, 3f }));
        var terms = weighted.TermValues.data<double>().ToArray();
        Assert.Equal((ce0 + 3 * ce1) / 4, terms[0], 5);
        Assert.Equal((tl0 + 3 * tl1) / 4, terms[1], 5);
        Assert.Equal(0.5 * (ce0 + 3 * ce1) / 4 + 2 * (tl0 + 3 * tl1) / 4, weighted.Total.item<float>(), 5);
        // Equal weights give the plain means.
        var equal = loss.Compute(s, t, y, tensor(new float[] { 2f, 2f }));
        var plain = loss.Compute(s, t, y);
        Assert.Equal(plain.Total.item<float>(), equal.Total.item<float>(), 5);
        Assert.Equal(0.5 * (ce0 + ce1) / 2 + 2 * (tl0 + tl1) / 2, plain.Total.item<float>(), 5);
        Assert.Equal(new[] { 0.5, 2.0 }, plain.Weights);
    }

    [Fact]
    public void Teacher_weights_scale_only_the_teacher_terms_without_renormalising()
    {
        using var scope = NewDisposeScope();
        var (s, t, y, loss) = CrossEntropyAndTeacherLabel();
        var (ce0, ce1, tl0, tl1) = CrossEntropyAndTeacherLabelByHand();
        // Teacher weights 1 and 0.25: cross-entropy stays (ce0 + ce1) / 2, teacher-label becomes (tl0 + 0.25 tl1) / 2.
        var scaled = loss.Compute(s, t, y, sampleWeights: null, teacherWeights: tensor(new float[] { 1f, 0.25f }));
        var terms = scaled.TermValues.data<double>().ToArray();
        Assert.Equal((ce0 + ce1) / 2, terms[0], 5);
        Assert.Equal((tl0 + 0.25 * tl1) / 2, terms[1], 5);
        // With sample weights 1 and 3 as well: (1 tl0 + 3 * 0.25 tl1) / 4 for the teacher term, (ce0 + 3 ce1) / 4 for cross-entropy.
        var both = loss.Compute(s, t, y, tensor(new float[] { 1f, 3f }), tensor(new float[] { 1f, 0.25f }));
        Assert.Equal(0.5 * (ce0 + 3 * ce1) / 4 + 2 * (tl0 + 0.75 * tl1) / 4, both.Total.item<float>(), 5);
    }

    private static double Kl(int r, double temp)
    {
        var zt = Row(T, r, temp); var zs = Row(S, r, temp);
        double lt = LogSumExp(zt), ls = LogSumExp(zs), kl = 0;
        for (int k = 0; k < 3; k++) { double logPt = zt[k] - lt; kl += Math.Exp(logPt) * (logPt - (zs[k] - ls)); }
        return kl;
    }

    [Fact]
    public void Focal_distillation_weights_each_samples_T_squared_KL_by_alpha_plus_beta_where_the_reference_is_right()
    {
        // Teacher argmax: row 0 -> 0, row 1 -> 1. Labels 0, 2: the reference is right on row 0 only.
        const double temp = 2.0;
        double expected = ((1 + 5) * temp * temp * Kl(0, temp) + 1 * temp * temp * Kl(1, temp)) / 2;
        Assert.Equal(expected, Value(new FocalDistillationTerm(temp, 1, 5), new long[] { 0, 2 }), 5);
        // alpha 1, beta 0 is plain distillation; the paper's T = 100 is the default.
        Assert.Equal(Value(new DistillationTerm(3), new long[] { 0, 2 }), Value(new FocalDistillationTerm(3, 1, 0), new long[] { 0, 2 }), 5);
        Assert.Equal(100, new FocalDistillationTerm().Temperature);
        // At T = 100 the KL is ~1e-4 and float32 log-softmax differences carry ~1e-7 each: compare to 0.1 %.
        double paper = (6 * 1e4 * Kl(0, 100) + 1e4 * Kl(1, 100)) / 2;
        Assert.InRange(Value(new FocalDistillationTerm(), new long[] { 0, 2 }), paper * 0.999, paper * 1.001);
    }

    [Fact]
    public void Logit_difference_charges_differences_beyond_the_margin_to_the_power()
    {
        // |z_s - z_t|: row 0 = 1, 1.5, 0.5 (not beyond 0.5); row 1 = 0.7, 2, 0.2. Per row the mean over classes.
        double row0 = (1 + 2.25 + 0) / 3, row1 = (0.49 + 4 + 0) / 3;
        Assert.Equal((row0 + row1) / 2, Value(new LogitDifferenceTerm(0.5, 2), new long[] { 0, 0 }), 5);
        // Power 1, margin 1.2: only 1.5 and 2 count.
        Assert.Equal((1.5 / 3 + 2.0 / 3) / 2, Value(new LogitDifferenceTerm(1.2, 1), new long[] { 0, 0 }), 5);
        // Margin 0 and power 2 is logit MSE.
        Assert.Equal(Value(new LogitMseTerm(), new long[] { 0, 0 }), Value(new LogitDifferenceTerm(0, 2), new long[] { 0, 0 }), 5);
    }

    [Fact]
    public void Positive_congruent_is_cross_entropy_plus_focal_distillation_weighted_one_to_one()
    {
        var o = CondensaPS.Engine.Training.RetrainOptions.From(new CondensaPS.Engine.Operations.StepSettings("retrain").Set("loss", "PositiveCongruent"));
        Assert.Equal(new[] { "cross-entropy", "focal-distillation" }, o.Terms);
        Assert.Equal(new[] { 1.0, 1.0 }, o.Weights);
        Assert.Equal((100.0, 1.0, 5.0), (o.FocalTemperature, o.FocalAlpha, o.FocalBeta));
        var kd = CondensaPS.Engine.Training.RetrainOptions.From(new CondensaPS.Engine.Operations.StepSettings("retrain").Set("loss", "distillation"));
        Assert.Equal(new[] { 1.0 }, kd.Weights);
        Assert.Equal(4.0, kd.Temperature);
        Assert.Empty(kd.TeacherInputs);
        // The default recipe: the label-preserving terms at T = 2, also on mixed-up, affine, elastic and cut-mixed inputs, 15 epochs of cosine decay.
        var lp = CondensaPS.Engine.Training.RetrainOptions.From(new CondensaPS.Engine.Operations.StepSettings("retrain"));
        Assert.Equal(LossTerms.LabelPreservingTerms, lp.Terms);
        Assert.Equal(new[] { 0.5, 1.5, 1.5 }, lp.Weights);
        Assert.Equal(2.0, lp.Temperature);
        Assert.Equal(new[] { CondensaPS.Engine.Training.TeacherInputKind.Mixup, CondensaPS.Engine.Training.TeacherInputKind.Affine,
            CondensaPS.Engine.Training.TeacherInputKind.Elastic, CondensaPS.Engine.Training.TeacherInputKind.CutMix }, lp.TeacherInputs);
        Assert.Equal((15, CondensaPS.Engine.Training.LearningRateShape.Cosine), (lp.Epochs, lp.Schedule.Shape));
        // ... pruned again gradually from the reference where the model allows (auto), the reference's terms left out
        // on training samples it gets wrong; other losses keep them everywhere.
        Assert.Equal(CondensaPS.Engine.Training.RetrainMethod.Auto, lp.Method);
        Assert.Equal(0.0, lp.WrongReferenceWeight);
        Assert.Equal(1.0, kd.WrongReferenceWeight);
        Assert.Equal(0.5, CondensaPS.Engine.Training.RetrainOptions.From(new CondensaPS.Engine.Operations.StepSettings("retrain").Set("wrong-reference-weight", 0.5)).WrongReferenceWeight);
        // The same terms listed one by one are only the terms: no teacher inputs, distillation's own temperature.
        var listed = CondensaPS.Engine.Training.RetrainOptions.From(new CondensaPS.Engine.Operations.StepSettings("retrain").Set("loss", "cross-entropy,distillation,teacher-label"));
        Assert.Equal((0, 4.0, 1.0), (listed.TeacherInputs.Count, listed.Temperature, listed.WrongReferenceWeight));
        var e = Assert.Throws<CondensaPS.Engine.Operations.StepSettingException>(() => CondensaPS.Engine.Training.RetrainOptions.From(
            new CondensaPS.Engine.Operations.StepSettings("retrain").Set("loss", "distillation").Set("focal-beta", 2.0)));
        Assert.Contains("focal-distillation", e.Message);
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
