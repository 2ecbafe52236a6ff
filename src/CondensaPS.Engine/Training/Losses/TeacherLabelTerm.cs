using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>Cross-entropy with the teacher's predicted label argmax(z_t): pulls the student to the reference's decisions.</summary>
public sealed class TeacherLabelTerm : ILossTerm
{
    public string Name => "teacher-label";
    public bool NeedsTeacher => true;
    public bool NeedsLabels => false;

    public Tensor Compute(Tensor student, Tensor? teacher, Tensor labels) =>
        nn.functional.cross_entropy(student, (teacher ?? throw new ArgumentNullException(nameof(teacher))).argmax(1));

    public Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels) =>
        nn.functional.cross_entropy(student, (teacher ?? throw new ArgumentNullException(nameof(teacher))).argmax(1), reduction: nn.Reduction.None);
}
