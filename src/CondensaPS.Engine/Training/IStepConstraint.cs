namespace CondensaPS.Engine.Training;

/// <summary>
/// What fine-tuning keeps true of the student around each optimizer step: pruned weights at zero, quantized weights
/// on their grid, shared weights tied. <see cref="BeforeStep"/> runs after the backward pass, before the optimizer
/// step (to edit gradients, say, summing them over weights that share a value); <see cref="AfterStep"/> runs after
/// the step (to put the parameters back inside the constraint, say, rounding them again). Constraints run in the
/// order <see cref="StepConstraints.For"/> lists them, and are disposed with the trainer.
/// </summary>
internal interface IStepConstraint : IDisposable
{
    void BeforeStep();
    void AfterStep();
}
