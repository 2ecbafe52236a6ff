using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// A hinge on the student's logit margin for the teacher's label t = argmax(z_t): mean over the batch of
/// max(0, m - (z_s[t] - max_{j != t} z_s[j])). Zero once the student prefers the teacher's label by at least m.
/// </summary>
public sealed class MarginTerm : ILossTerm
{
    public MarginTerm(double margin = 1.0) => Margin = margin;

    public double Margin { get; }
    public string Name => "margin";
    public bool NeedsTeacher => true;
    public bool NeedsLabels => false;

    public Tensor Compute(Tensor student, Tensor? teacher, Tensor labels) => PerSample(student, teacher, labels).mean();

    public Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels)
    {
        var target = (teacher ?? throw new ArgumentNullException(nameof(teacher))).argmax(1, keepdim: true);
        var chosen = student.gather(1, target).squeeze(1);
        var others = student.scatter(1, target, full_like(target, double.NegativeInfinity, dtype: student.dtype)).amax(new long[] { 1 });
        return nn.functional.relu((chosen - others).SubtractedFrom(Margin));
    }
}
