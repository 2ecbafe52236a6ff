using System.Text.Json;
using CondensaPS.Engine.Execution;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// What a subset model's worker hands back (result.json, written atomically as its last act): whether each training
/// and test example is classified correctly (bits), the accuracy on its own subset and on the test data, or the error
/// it failed with. A worker that dies writes none, which is how the run tells a crash from a recorded failure.
/// </summary>
public sealed record SubsetJobResult : IWorkerJobResult<SubsetJobResult>
{
    public const string FileName = "result.json";

    public required int Number { get; init; }
    public required bool Succeeded { get; init; }
    public int TrainingCount { get; init; }
    public int TestCount { get; init; }
    /// <summary>How many training examples the model trained on (its subset's size).</summary>
    public int SubsetSize { get; init; }
    public bool[] TrainingCorrect { get; init; } = Array.Empty<bool>();
    public bool[] TestCorrect { get; init; } = Array.Empty<bool>();
    public double SubsetAccuracy { get; init; } = double.NaN;
    public double TestAccuracy { get; init; } = double.NaN;
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
    public TimeSpan Elapsed { get; init; }
    public string? Worker { get; init; }

    public SubsetJobResult WithOutcome(string? errorId, string? error, TimeSpan elapsed, string? worker) =>
        this with { ErrorId = errorId, Error = error, Elapsed = elapsed, Worker = worker };

    public void Write(string path) => WorkerJobResultFile.Write(path, this, ElapsedField.Seconds, w =>
    {
        w.WriteString("kind", SubsetJobSpec.Kind + "-result");
        w.WriteNumber("number", Number);
        w.WriteBoolean("succeeded", Succeeded);
        if (!Succeeded) return;
        w.WriteNumber("training-count", TrainingCount);
        w.WriteNumber("test-count", TestCount);
        w.WriteNumber("subset-size", SubsetSize);
        w.WriteNumber("subset-accuracy", SubsetAccuracy);
        if (double.IsFinite(TestAccuracy)) w.WriteNumber("test-accuracy", TestAccuracy);
        w.WriteString("training-correct", Bits.Encode(TrainingCorrect));
        w.WriteString("test-correct", Bits.Encode(TestCorrect));
    });

    /// <summary>Reads a result; a file that is not one (cut short, foreign) is an error that says so.</summary>
    public static SubsetJobResult Read(string path) => WorkerJobResultFile.Read(path, ElapsedField.Seconds, (why, inner) =>
        new EngineException("SubsetResultInvalid", EngineErrorKind.InvalidData, $"'{path}' is not a subset result: {why}.", path, inner), e =>
    {
        if (e.GetProperty("kind").GetString() != SubsetJobSpec.Kind + "-result") throw new JsonException("'kind' is not a subset result");
        bool ok = e.GetProperty("succeeded").GetBoolean();
        int n = ok ? e.GetProperty("training-count").GetInt32() : 0, m = ok ? e.GetProperty("test-count").GetInt32() : 0;
        return new SubsetJobResult
        {
            Number = e.GetProperty("number").GetInt32(),
            Succeeded = ok,
            TrainingCount = n,
            TestCount = m,
            SubsetSize = ok ? e.GetProperty("subset-size").GetInt32() : 0,
            SubsetAccuracy = ok ? e.GetProperty("subset-accuracy").GetDouble() : double.NaN,
            TestAccuracy = e.TryGetProperty("test-accuracy", out var ta) ? ta.GetDouble() : double.NaN,
            TrainingCorrect = ok ? Bits.Decode(e.GetProperty("training-correct").GetString()!, n) : Array.Empty<bool>(),
            TestCorrect = ok ? Bits.Decode(e.GetProperty("test-correct").GetString()!, m) : Array.Empty<bool>(),
        };
    });
}
