using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace CondensaPS.Host.Hosting;

/// <summary>Writes host text to the output writer, warnings and errors to the error writer, and progress as a
/// one-line terminal bar (or, when the error stream is not a terminal, as occasional plain lines).</summary>
public sealed class CondensaHostUserInterface : PSHostUserInterface
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly ProgressBarRenderer _progress;

    public CondensaHostUserInterface(TextWriter output, TextWriter error, bool progressBar)
    {
        _out = output;
        _err = error;
        _progress = new ProgressBarRenderer(error, progressBar);
        _colour = progressBar;
    }

    public override PSHostRawUserInterface RawUI { get; } = new FixedRawUserInterface();

    public override string ReadLine() => throw NonInteractive();
    public override SecureString ReadLineAsSecureString() => throw NonInteractive();
    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw NonInteractive();
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw NonInteractive();
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw NonInteractive();
    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) =>
        throw new PSInvalidOperationException($"'{caption}: {message}' needs an answer, but condensa runs without a console. Pass -Confirm:$false or -Force.");

    private static readonly System.Text.RegularExpressions.Regex Escapes = new(@"\x1b\[[0-9;?]*[A-Za-z]", System.Text.RegularExpressions.RegexOptions.Compiled);
    private readonly bool _colour;

    /// <summary>Removes ANSI escape sequences unless the output is a terminal.</summary>
    private string Plain(string value) => _colour || value.IndexOf('\x1b') < 0 ? value : Escapes.Replace(value, "");

    public override void Write(string value) { _progress.Clear(); _out.Write(Plain(value)); }
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Write(value);
    public override void WriteLine(string value) { _progress.Clear(); _out.WriteLine(Plain(value)); }
    public override void WriteErrorLine(string value) { _progress.Clear(); _err.WriteLine(value); }
    public override void WriteDebugLine(string message) { _progress.Clear(); _err.WriteLine("DEBUG: " + message); }
    public override void WriteVerboseLine(string message) { _progress.Clear(); _err.WriteLine("VERBOSE: " + message); }
    public override void WriteWarningLine(string message) { _progress.Clear(); _err.WriteLine("WARNING: " + message); }
    public override void WriteInformation(InformationRecord record)
    {
        if (record.MessageData is HostInformationMessage) return; // already written through Write/WriteLine
        base.WriteInformation(record);
    }
    public override void WriteProgress(long sourceId, ProgressRecord record) => _progress.Render(record);

    /// <summary>Ends any progress line so that what follows starts on a clean line.</summary>
    public void FinishProgress() => _progress.Clear();

    private static PSInvalidOperationException NonInteractive() =>
        new("condensa runs scripts non-interactively and cannot read input.");

    private sealed class FixedRawUserInterface : PSHostRawUserInterface
    {
        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
        public override Size BufferSize { get; set; } = new(Width(), 9999);
        public override Coordinates CursorPosition { get; set; }
        public override int CursorSize { get; set; }
        public override bool KeyAvailable => false;
        public override Size MaxPhysicalWindowSize => BufferSize;
        public override Size MaxWindowSize => BufferSize;
        public override Coordinates WindowPosition { get; set; }
        public override Size WindowSize { get => new(BufferSize.Width, 50); set { } }
        public override string WindowTitle { get; set; } = "condensa";
        public override void FlushInputBuffer() { }
        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();
        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException("condensa cannot read keys.");
        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }

        private static int Width()
        {
            try { if (!Console.IsOutputRedirected && Console.WindowWidth > 40) return Console.WindowWidth; }
            catch (IOException) { }
            return 160;
        }
    }
}
