namespace CondensaPS.Engine.LongTail;

/// <summary>
/// What one subset model contributes to a memorisation estimate: which training examples it was trained on
/// (<see cref="Included"/>), and whether it classifies each training example (<see cref="TrainingCorrect"/>) and each
/// test example (<see cref="TestCorrect"/>, empty without test data) correctly. Models that failed to train have no
/// outcome; they are listed as failures and never averaged in.
/// </summary>
public sealed record SubsetOutcome(int Model, bool[] Included, bool[] TrainingCorrect, bool[] TestCorrect);
