using System.Text;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Search.Trials;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Execution;

/// <summary>
/// Result files keep their bytes: each literal below is what a worker wrote before the two kinds of result shared
/// <see cref="WorkerJobResultFile"/> (made by that build), so a folder from an earlier run still reads
/// (-Resume) and a result read and written again is the same file.
/// </summary>
public class WorkerJobResultFileTests
{
    private const string SubsetSucceeded = """
        {
          "kind": "memorization-subset-result",
          "number": 3,
          "succeeded": true,
          "training-count": 3,
          "test-count": 2,
          "subset-size": 2,
          "subset-accuracy": 0.5,
          "test-accuracy": 1,
          "training-correct": "BQ==",
          "test-correct": "Aw==",
          "elapsed-seconds": 12.25,
          "worker": "pid 42 on node1"
        }
        """;

    private const string SubsetFailed = """
        {
          "kind": "memorization-subset-result",
          "number": 4,
          "succeeded": false,
          "error-id": "ModelFileNotFound",
          "error": "The model file \u0027m.pt\u0027 does not exist.",
          "elapsed-seconds": 0.5,
          "worker": "pid 43 on node1"
        }
        """;

    private const string TrialSucceeded = """
        {
          "succeeded": true,
          "metrics": {
            "accuracy": 0.975,
            "latency-ms": "NaN"
          },
          "model": "model.cpz",
          "history": [],
          "elapsed-ticks": 123456789,
          "worker": "pid 42 on node1"
        }
        """;

    private const string TrialFailed = """
        {
          "succeeded": false,
          "metrics": {},
          "history": [],
          "error-id": "StrategyInvalidSetting",
          "error": "ratio must be \u003C 1 \u0026 \u003E 0",
          "elapsed-ticks": 5000000,
          "worker": "pid 7 on node2"
        }
        """;

    private static string FileWith(string text)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "result.json");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Reads the file written before, checks that writing it again gives the same bytes, and returns it.</summary>
    private static T ReadAndWriteBack<T>(string before, Func<string, T> read) where T : IWorkerJobResult<T>
    {
        var result = read(FileWith(before));
        var again = Path.Combine(TestPaths.NewTempFolder(), "result.json");
        result.Write(again);
        Assert.Equal(before, File.ReadAllText(again, Encoding.UTF8));
        return result;
    }

    [Fact]
    public void Subset_results_written_before_read_and_write_back_to_the_same_bytes()
    {
        var ok = ReadAndWriteBack(SubsetSucceeded, SubsetJobResult.Read);
        Assert.Equal((3, true, 2, (string?)null), (ok.Number, ok.Succeeded, ok.SubsetSize, ok.ErrorId));
        Assert.Equal(new[] { true, false, true }, ok.TrainingCorrect);
        Assert.Equal((TimeSpan.FromSeconds(12.25), "pid 42 on node1"), (ok.Elapsed, ok.Worker));

        var failed = ReadAndWriteBack(SubsetFailed, SubsetJobResult.Read);
        Assert.Equal((false, "ModelFileNotFound", "The model file 'm.pt' does not exist."), (failed.Succeeded, failed.ErrorId, failed.Error));
        Assert.Equal(TimeSpan.FromSeconds(0.5), failed.Elapsed);
    }

    [Fact]
    public void Trial_results_written_before_read_and_write_back_to_the_same_bytes()
    {
        var ok = ReadAndWriteBack(TrialSucceeded, TrialResult.Read);
        Assert.True(ok.Succeeded);
        Assert.Equal(0.975, ok.Metrics["accuracy"]);
        Assert.True(double.IsNaN(ok.Metrics["latency-ms"]));
        Assert.Equal(("model.cpz", "pid 42 on node1", TimeSpan.FromTicks(123456789)), (ok.Model, ok.Worker, ok.Elapsed));

        var failed = ReadAndWriteBack(TrialFailed, TrialResult.Read);
        Assert.Equal((false, "StrategyInvalidSetting", "ratio must be < 1 & > 0"), (failed.Succeeded, failed.ErrorId, failed.Error));
        Assert.Equal(TimeSpan.FromTicks(5000000), failed.Elapsed);
    }

    [Fact]
    public void A_result_without_its_elapsed_field_is_not_a_result_of_that_kind()
    {
        // Each kind keeps its own field: a trial result with seconds, or a subset result with ticks, does not pass.
        var trial = FileWith(TrialFailed.Replace("\"elapsed-ticks\": 5000000", "\"elapsed-seconds\": 0.5"));
        Assert.Equal("TrialResultInvalid", Assert.Throws<EngineException>(() => TrialResult.Read(trial)).ErrorId);
        var subset = FileWith(SubsetFailed.Replace("\"elapsed-seconds\": 0.5", "\"elapsed-ticks\": 5000000"));
        Assert.Equal("SubsetResultInvalid", Assert.Throws<EngineException>(() => SubsetJobResult.Read(subset)).ErrorId);
    }
}
