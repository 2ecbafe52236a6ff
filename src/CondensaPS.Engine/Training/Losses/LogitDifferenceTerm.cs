using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// Logit-difference inhibition (after ELODI, Zhao et al. 2022): penalises each logit that moves more than a margin
/// away from the reference's, |z_s - z_t|^p where |z_s - z_t| &gt; margin and nothing below it. Per sample the mean
/// over classes; the term is the batch mean. Unlike logit MSE, small differences that cannot flip a label cost nothing.
/// </summary>
public sealed class LogitDifferenceTerm : ILossTerm
{
    public const double DefaultMargin = 0.5;
    public const double DefaultPower = 2;

    public LogitDifferenceTerm(double margin = DefaultMargin, double power = DefaultPower)
    {
        if (!(margin >= 0)) throw new ArgumentOutOfRangeException(nameof(margin), "margin must be >= 0");
        if (!(power >= 1)) throw new ArgumentOutOfRangeException(nameof(power), "power must be >= 1");
        Margin = margin;
        Power = power;
    }

    public double Margin { get; }
    public double Power { get; }
    public string Name => "logit-difference";
    public bool NeedsTeacher => true;
    public bool NeedsLabels => false;

    public Tensor Compute(Tensor student, Tensor? teacher, Tensor labels) => PerSample(student, teacher, labels).mean();

    public Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels)
    {
        var difference = (student - (teacher ?? throw new ArgumentNullException(nameof(teacher)))).abs();
        var beyond = difference.GreaterThan(Margin).to(student.dtype);
        return (difference.Power(Power) * beyond).mean(new long[] { 1 });
    }
}
