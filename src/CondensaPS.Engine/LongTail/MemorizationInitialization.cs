namespace CondensaPS.Engine.LongTail;

/// <summary>Where each subset model's weights start.</summary>
public enum MemorizationInitialization
{
    /// <summary>A new initialisation of the model's built-in architecture for each subset model, seeded by its number (Feldman and Zhang train from scratch).</summary>
    Fresh,
    /// <summary>Every subset model starts from the given model's weights (any model, TorchScript included); the subsets and batch orders still differ.</summary>
    Given,
}
