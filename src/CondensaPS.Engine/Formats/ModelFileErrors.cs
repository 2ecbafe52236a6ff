namespace CondensaPS.Engine.Formats;

/// <summary>The errors the model file readers share, so each ErrorId means one thing everywhere.</summary>
internal static class ModelFileErrors
{
    public static EngineException NotReadable(string path, Exception e) => e is UnauthorizedAccessException
        ? new EngineException("ModelFileNotReadable", EngineErrorKind.PermissionDenied, $"Cannot read '{path}': {e.Message}", path, e)
        : new EngineException("ModelFileNotReadable", EngineErrorKind.InvalidOperation, $"Cannot read '{path}': {e.Message}", path, e);
}
