using System.Text;
using CondensaPS.Engine.History;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Search;
using CondensaPS.Engine.Search.Trials;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Search;

/// <summary>The journal: one JSON line per trial, flushed as it is written, read back whole, and a cut-off last line survived.</summary>
public class TrialJournalTests
{
    private static readonly SearchIdentity Identity = new("s", "ratio in [0.5, 0.99]", "abc", "epochs=1", "m1", "d1", DateTimeOffset.UnixEpoch);

    private static SearchTrial Trial(int number, double value, TrialStatus status = TrialStatus.Succeeded) => new()
    {
        Search = "s",
        Number = number,
        Parameter = "ratio",
        Value = value,
        Parameters = new OrderedSettings { { "epochs", 1L }, { "ratio", value } },
        Stage = SearchStage.LevelSet,
        Reason = "straddle 0.5",
        Status = status,
        Feasible = status == TrialStatus.Succeeded && value < 0.9,
        Metrics = status == TrialStatus.Succeeded ? new Dictionary<string, double> { [TrialMetrics.AccuracyDrop] = value * 2, [TrialMetrics.CompactBytes] = 1234 } : new Dictionary<string, double>(),
        Objective = status == TrialStatus.Succeeded ? 1234 : null,
        Elapsed = TimeSpan.FromSeconds(3.25),
        Started = DateTimeOffset.UnixEpoch.AddHours(1),
        Finished = DateTimeOffset.UnixEpoch.AddHours(2),
        ModelPath = status == TrialStatus.Succeeded ? "/t/model.cpz" : null,
        History = new[] { new HistoryStep("prune", new OrderedSettings { { "ratio", value } }, TimeSpan.FromMilliseconds(5), new ModelFigures(10, 10, 0, 40, "float32"), new ModelFigures(10, 3, 0.7, 40, "float32")) },
        ErrorId = status == TrialStatus.Failed ? "InvalidStepSetting" : null,
        Error = status == TrialStatus.Failed ? "Step 'prune', setting 'ratio': out of range" : null,
        Attempts = 2,
        Worker = "local pid 1",
        LogPath = "/t/worker.log",
    };

    [Fact]
    public void Trials_read_back_equal_to_what_was_written()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), TrialJournal.FileName);
        var expected = Trial(1, 0.99);
        using (var journal = TrialJournal.Create(path, Identity))
        {
            journal.Append(expected);
            journal.Append(Trial(2, 0.745, TrialStatus.Failed));
        }
        Assert.Equal(3, File.ReadAllLines(path).Length);
        using var reopened = TrialJournal.Open(path, Identity);
        Assert.Equal(0, reopened.IgnoredLines);
        Assert.Equal(2, reopened.Trials.Count);
        var a = reopened.Trials[0];
        Assert.Equal(TrialJson.ToLine(expected), TrialJson.ToLine(a));
        Assert.Equal(0.99, a.Value);
        Assert.Equal(1.98, a.AccuracyDrop);
        Assert.Equal(1L, a.Parameters["epochs"]);
        Assert.Equal("prune", a.History.Single().Operation);
        Assert.Equal(TimeSpan.FromSeconds(3.25), a.Elapsed);
        Assert.Equal(TrialStatus.Failed, reopened.Trials[1].Status);
        Assert.Equal("InvalidStepSetting", reopened.Trials[1].ErrorId);
    }

    [Fact]
    public void A_last_line_cut_short_by_a_kill_is_ignored_and_overwritten()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), TrialJournal.FileName);
        using (var journal = TrialJournal.Create(path, Identity)) journal.Append(Trial(1, 0.99));
        var partial = TrialJson.ToLine(Trial(2, 0.8));
        File.AppendAllText(path, partial[..(partial.Length / 2)]);
        using (var reopened = TrialJournal.Open(path, Identity))
        {
            Assert.Equal(1, reopened.IgnoredLines);
            Assert.Single(reopened.Trials);
            reopened.Append(Trial(3, 0.9));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        using var again = TrialJournal.Open(path, Identity);
        Assert.Equal(new[] { 1, 3 }, again.Trials.Select(t => t.Number));
        Assert.Equal(0, again.IgnoredLines);
    }

    [Fact]
    public void Another_search_s_journal_is_refused()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), TrialJournal.FileName);
        using (TrialJournal.Create(path, Identity)) { }
        var e = Assert.Throws<EngineException>(() => TrialJournal.Open(path, Identity with { ModelDigest = "m2" }));
        Assert.Equal("SearchJournalMismatch", e.ErrorId);
        Assert.Contains("a different model", e.Message);
        e = Assert.Throws<EngineException>(() => TrialJournal.Open(path, Identity with { Definition = "ratio in [0.6, 0.99]" }));
        Assert.Contains("search settings", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_refused()
    {
        var folder = TestPaths.NewTempFolder();
        var path = Path.Combine(folder, TrialJournal.FileName);
        File.WriteAllText(path, "hello\n");
        Assert.Equal("SearchJournalInvalid", Assert.Throws<EngineException>(() => TrialJournal.Open(path, Identity)).ErrorId);
        File.WriteAllText(path, Identity.ToLine() + "\n{broken\n" + TrialJson.ToLine(Trial(1, 0.5)) + "\n");
        var e = Assert.Throws<EngineException>(() => TrialJournal.Open(path, Identity));
        Assert.Equal("SearchJournalInvalid", e.ErrorId);
        Assert.Contains("unreadable line", e.Message);
    }

    [Fact]
    public void Each_append_is_on_disk_before_it_returns()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), TrialJournal.FileName);
        using var journal = TrialJournal.Create(path, Identity);
        journal.Append(Trial(1, 0.7));
        // Another reader sees the line while the journal is still open.
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var text = new StreamReader(reader, Encoding.UTF8).ReadToEnd();
        Assert.Equal(2, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
