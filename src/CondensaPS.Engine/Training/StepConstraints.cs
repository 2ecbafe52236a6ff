using CondensaPS.Engine.Models;

namespace CondensaPS.Engine.Training;

/// <summary>The constraints fine-tuning keeps on a student, run in order around each optimizer step.</summary>
internal sealed class StepConstraints : IDisposable
{
    private readonly IReadOnlyList<IStepConstraint> _items;

    private StepConstraints(IReadOnlyList<IStepConstraint> items) => _items = items;

    /// <summary>
    /// The constraints for a student (the place to add a new kind): masks first (pruned weights back to zero), then
    /// quantized parameters rounded again (to nearest or stochastically, through full-precision masters or not), then
    /// shared (clustered) weights tied to their centroids. L-C keeps its constraint through its own penalty and C-step
    /// instead, so it gets none; gradual pruning keeps the masks it moves (its models are never quantized).
    /// </summary>
    public static StepConstraints For(CompressionModel student, RetrainOptions options, int seed) => options.Method switch
    {
        RetrainMethod.FineTune => new StepConstraints(new IStepConstraint[]
        {
            new MaskConstraint(student),
            new QuantizedMasters(student, options.Rounding, options.MasterWeights, seed),
            new SharedWeightsConstraint(student),
        }),
        RetrainMethod.Gradual => new StepConstraints(new IStepConstraint[] { new MaskConstraint(student) }),
        _ => new StepConstraints(Array.Empty<IStepConstraint>()),
    };

    public IReadOnlyList<IStepConstraint> Items => _items;

    public void BeforeStep()
    {
        foreach (var c in _items) c.BeforeStep();
    }

    public void AfterStep()
    {
        foreach (var c in _items) c.AfterStep();
    }

    public void Dispose()
    {
        foreach (var c in _items) c.Dispose();
    }
}
