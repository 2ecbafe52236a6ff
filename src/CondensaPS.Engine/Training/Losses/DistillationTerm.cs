using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// Knowledge distillation, T^2 * KL(softmax(z_t / T) || softmax(z_s / T)) with batch-mean reduction: the sum over
/// classes of p_t (log p_t - log softmax(z_s / T)), summed over the batch and divided by its size. Written out
/// because TorchSharp's kl_div defaults to log_target = true and has no batchmean reduction.
/// </summary>
public sealed class DistillationTerm : ILossTerm
{
    public DistillationTerm(double temperature)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be > 0");
        Temperature = temperature;
    }

    public double Temperature { get; }
    public string Name => "distillation";
    public bool NeedsTeacher => true;
    public bool NeedsLabels => false;

    public Tensor Compute(Tensor student, Tensor? teacher, Tensor labels)
    {
        var t = teacher ?? throw new ArgumentNullException(nameof(teacher));
        var logPt = nn.functional.log_softmax(t.Over(Temperature), 1);
        var logPs = nn.functional.log_softmax(student.Over(Temperature), 1);
        var kl = (logPt.exp() * (logPt - logPs)).sum().Over(student.shape[0]);
        return kl.Times(Temperature * Temperature);
    }

    public Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels) =>
        KlPerSample(student, teacher ?? throw new ArgumentNullException(nameof(teacher)), Temperature).Times(Temperature * Temperature);

    /// <summary>KL(softmax(z_t / T) || softmax(z_s / T)) for each sample (N values, not scaled by T^2).</summary>
    public static Tensor KlPerSample(Tensor student, Tensor teacher, double temperature)
    {
        var logPt = nn.functional.log_softmax(teacher.Over(temperature), 1);
        var logPs = nn.functional.log_softmax(student.Over(temperature), 1);
        return (logPt.exp() * (logPt - logPs)).sum(new long[] { 1 });
    }
}
