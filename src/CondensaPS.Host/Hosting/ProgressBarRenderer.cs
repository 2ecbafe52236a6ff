using System.Management.Automation;

namespace CondensaPS.Host.Hosting;

/// <summary>
/// Draws Write-Progress records. On a terminal: one line, redrawn in place, "[#####-----]  45% Activity: status".
/// Elsewhere (CI logs): a plain line when an activity starts, ends, or passes another 25%.
/// </summary>
public sealed class ProgressBarRenderer
{
    private const int BarWidth = 24;
    private readonly TextWriter _writer;
    private readonly bool _terminal;
    private readonly Dictionary<int, int> _lastQuarter = new();
    private int _lineLength;

    public ProgressBarRenderer(TextWriter writer, bool terminal)
    {
        _writer = writer;
        _terminal = terminal;
    }

    public void Render(ProgressRecord record)
    {
        if (record.RecordType == ProgressRecordType.Completed)
        {
            _lastQuarter.Remove(record.ActivityId);
            Clear();
            return;
        }
        int percent = record.PercentComplete;
        var text = $"{record.Activity}: {record.StatusDescription}";
        if (_terminal)
        {
            var line = percent >= 0
                ? $"[{new string('#', percent * BarWidth / 100)}{new string('-', BarWidth - percent * BarWidth / 100)}] {percent,3}% {text}"
                : $"[{new string('.', BarWidth)}]      {text}";
            if (line.Length > 150) line = line[..150];
            _writer.Write("\r" + line.PadRight(_lineLength));
            _lineLength = line.Length;
            _writer.Flush();
            return;
        }
        int quarter = percent < 0 ? 0 : percent / 25;
        if (_lastQuarter.TryGetValue(record.ActivityId, out var last) && last == quarter) return;
        _lastQuarter[record.ActivityId] = quarter;
        _writer.WriteLine(percent >= 0 ? $"PROGRESS {percent,3}% {text}" : $"PROGRESS {text}");
    }

    public void Clear()
    {
        if (!_terminal || _lineLength == 0) return;
        _writer.Write("\r" + new string(' ', _lineLength) + "\r");
        _writer.Flush();
        _lineLength = 0;
    }
}
