namespace CondensaPS.Engine.Operations;

/// <summary>A step setting is unknown, of the wrong type or out of range. The strategy reader adds file, line and
/// column from the setting's position; a cmdlet reports it as a parameter error.</summary>
public sealed class StepSettingException : EngineException
{
    public StepSettingException(string step, string key, string message, object? value = null)
        : base("InvalidStepSetting", EngineErrorKind.InvalidArgument, $"Step '{step}', setting '{key}': {message}", value)
    {
        Step = step;
        Key = key;
    }

    public string Step { get; }
    public string Key { get; }
}
