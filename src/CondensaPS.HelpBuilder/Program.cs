using CondensaPS.HelpBuilder;

// Usage: CondensaPS.HelpBuilder <docs/en-US> <out/CondensaPS/en-US/CondensaPS.dll-Help.xml>
// Reads every cmdlet page (<Verb-Noun>.md; about_ topics are plain text and copied by the module build) and writes
// the MAML atomically. A page that breaks the schema stops the build with its file and line.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: CondensaPS.HelpBuilder <docs folder> <output MAML file>");
    return 2;
}
var (docs, output) = (args[0], args[1]);
var pages = new List<CmdletPage>();
var failed = false;
foreach (var file in Directory.GetFiles(docs, "*-*.md").Order(StringComparer.Ordinal))
{
    try
    {
        var page = CmdletPageReader.Read(file);
        var expected = Path.GetFileNameWithoutExtension(file);
        if (page.Name != expected) throw new HelpPageException($"{file}:1: the page's '# {page.Name}' heading does not match its file name {expected}.md");
        pages.Add(page);
    }
    catch (HelpPageException e)
    {
        // MSBuild's canonical form, so that the build lists it as an error with its place.
        var colon = e.Message.IndexOf(": ", StringComparison.Ordinal);
        var place = e.Message[..colon];
        var line = place.LastIndexOf(':') is var i && i > 0 && int.TryParse(place[(i + 1)..], out var n) ? $"{place[..i]}({n})" : place;
        Console.Error.WriteLine($"{line}: error HELP001: {e.Message[(colon + 2)..]}");
        failed = true;
    }
}
if (failed) return 1;
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
var temp = output + ".tmp";
MamlWriter.Write(pages).Save(temp);
File.Move(temp, output, overwrite: true);
Console.WriteLine($"{pages.Count} cmdlet help pages -> {output}");
return 0;
