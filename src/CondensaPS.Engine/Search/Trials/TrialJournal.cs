using System.Text;
using System.Text.Json;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// A search's trials on disk, as JSON Lines: a first line that identifies the search (<see cref="SearchIdentity"/>),
/// then one line per finished trial, appended and flushed to the disk (fsync) before the trial goes to the pipeline. A
/// search killed at any moment (Ctrl+C, kill -9, a power cut) leaves every trial it reported, and at worst a partial
/// last line, which <see cref="Open"/> ignores and the next append replaces. Resuming reads the trials back so that
/// none of them runs again.
/// </summary>
public sealed class TrialJournal : IDisposable
{
    public const string FileName = "trials.jsonl";

    private readonly FileStream _stream;
    private readonly List<SearchTrial> _trials;

    private TrialJournal(string path, FileStream stream, SearchIdentity identity, List<SearchTrial> trials, int ignoredLines)
    {
        Path = path;
        _stream = stream;
        Identity = identity;
        _trials = trials;
        IgnoredLines = ignoredLines;
    }

    public string Path { get; }
    public SearchIdentity Identity { get; }
    /// <summary>The trials journaled so far, in order.</summary>
    public IReadOnlyList<SearchTrial> Trials => _trials;
    /// <summary>Lines that could not be read when the journal was opened (a last line cut short by a kill).</summary>
    public int IgnoredLines { get; }

    /// <summary>Starts a new journal (the file must not exist).</summary>
    public static TrialJournal Create(string path, SearchIdentity identity)
    {
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var journal = new TrialJournal(path, stream, identity, new List<SearchTrial>(), 0);
        journal.AppendLine(identity.ToLine());
        return journal;
    }

    /// <summary>
    /// Opens an existing journal to resume: checks that it is the same search (<paramref name="expected"/>), reads its
    /// trials, and cuts off a partial last line. Throws SearchJournalMismatch when the search differs, and
    /// SearchJournalInvalid when the file is not a journal.
    /// </summary>
    public static TrialJournal Open(string path, SearchIdentity expected)
    {
        var bytes = File.ReadAllBytes(path);
        var trials = new List<SearchTrial>();
        SearchIdentity? identity = null;
        int ignored = 0;
        long goodLength = 0;
        int start = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            bool complete = end >= 0;
            int length = (complete ? end : bytes.Length) - start;
            var line = Encoding.UTF8.GetString(bytes, start, length);
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var record = root.GetProperty("record").GetString();
                if (identity is null)
                {
                    if (record != "search") throw new JsonException("the first line is not a search record");
                    identity = SearchIdentity.Read(root);
                }
                else if (record == "trial")
                {
                    var trial = TrialJson.Read(root);
                    trials.RemoveAll(t => t.Number == trial.Number);
                    trials.Add(trial);
                }
                if (!complete) throw new JsonException("the last line has no end");
                goodLength = end + 1;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                if (identity is null)
                    throw new EngineException("SearchJournalInvalid", EngineErrorKind.InvalidData,
                        $"'{path}' is not a search journal: {e.Message}.", path, e);
                // Only a last line can be partial; anything unreadable before it is a damaged journal.
                if (complete && end + 1 < bytes.Length)
                    throw new EngineException("SearchJournalInvalid", EngineErrorKind.InvalidData,
                        $"'{path}' has an unreadable line (byte {start}): {e.Message}.", path, e);
                ignored++;
            }
            if (!complete) break;
            start = end + 1;
        }
        if (identity is null)
            throw new EngineException("SearchJournalInvalid", EngineErrorKind.InvalidData, $"'{path}' is empty; it is not a search journal.", path);
        if (identity.Difference(expected) is { } difference)
            throw new EngineException("SearchJournalMismatch", EngineErrorKind.InvalidOperation,
                $"The journal '{path}' belongs to another search ({difference}); resume with the same strategy, model, data and search settings, or start over with -Force.", path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        stream.SetLength(goodLength);
        stream.Seek(0, SeekOrigin.End);
        trials.Sort((a, b) => a.Number.CompareTo(b.Number));
        return new TrialJournal(path, stream, identity, trials, ignored);
    }

    /// <summary>Appends a finished trial and flushes it to the disk.</summary>
    public void Append(SearchTrial trial)
    {
        AppendLine(TrialJson.ToLine(trial));
        _trials.RemoveAll(t => t.Number == trial.Number);
        _trials.Add(trial);
    }

    private void AppendLine(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json + "\n");
        _stream.Write(bytes, 0, bytes.Length);
        _stream.Flush(flushToDisk: true);
    }

    public void Dispose() => _stream.Dispose();
}
