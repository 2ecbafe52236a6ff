using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// Focal distillation from positive-congruent training (Yan et al. 2021): distillation at temperature T weighted
/// per sample by alpha + beta * [the reference is right], so the student is pulled hardest towards the reference on
/// the samples where a disagreement would be a negative flip. Per sample:
/// (alpha + beta * [argmax z_t = y]) * T^2 * KL(softmax(z_t / T) || softmax(z_s / T)); the term is its batch mean.
/// The paper's defaults are T = 100, alpha = 1, beta = 5, added to cross-entropy with weight 1.
/// </summary>
public sealed class FocalDistillationTerm : ILossTerm
{
    public const double DefaultTemperature = 100;
    public const double DefaultAlpha = 1;
    public const double DefaultBeta = 5;

    public FocalDistillationTerm(double temperature = DefaultTemperature, double alpha = DefaultAlpha, double beta = DefaultBeta)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be > 0");
        if (!(alpha >= 0) || !(beta >= 0)) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha and beta must be >= 0");
        Temperature = temperature;
        Alpha = alpha;
        Beta = beta;
    }

    public double Temperature { get; }
    public double Alpha { get; }
    public double Beta { get; }
    public string Name => "focal-distillation";
    public bool NeedsTeacher => true;
    /// <summary>Its weights need the labels (whether the reference is right).</summary>
    public bool NeedsLabels => true;

    public Tensor Compute(Tensor student, Tensor? teacher, Tensor labels) => PerSample(student, teacher, labels).mean();

    public Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels)
    {
        var t = teacher ?? throw new ArgumentNullException(nameof(teacher));
        var referenceRight = t.argmax(1).eq(labels).to(student.dtype);
        var weights = referenceRight.TimesPlus(Beta, Alpha);
        return DistillationTerm.KlPerSample(student, t, Temperature).Times(Temperature * Temperature) * weights;
    }
}
