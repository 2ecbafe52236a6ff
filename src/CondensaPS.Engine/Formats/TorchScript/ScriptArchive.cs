using System.IO.Compression;
using System.Text;
using CondensaPS.Engine.Formats.Pickle;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// A TorchScript archive (what torch.jit.save writes): a zip whose single top folder holds <c>data.pkl</c> (the module
/// objects), <c>constants.pkl</c> (tensor constants the code names as CONSTANTS.cN), <c>code/</c> (each class and
/// function as Python source), <c>data/&lt;key&gt;</c> (the raw bytes of each storage) and <c>version</c>.
/// Entries are read on demand, so tensor data is never loaded unless asked for.
/// </summary>
internal sealed class ScriptArchive : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly Stream _stream;

    private ScriptArchive(Stream stream, string source)
    {
        _stream = stream;
        Source = source;
        try
        {
            _zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new ScriptArchiveException($"it is not a zip archive ({e.Message})");
        }
        var pkl = _zip.Entries.Select(e => e.FullName)
            .FirstOrDefault(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.Count(c => c == '/') == 1);
        if (pkl is null)
        {
            _zip.Dispose();
            throw new ScriptArchiveException("the archive has no <folder>/data.pkl");
        }
        Root = pkl[..^"data.pkl".Length];
    }

    public static ScriptArchive Open(string path) => new(File.OpenRead(path), path);
    public static ScriptArchive Open(byte[] bytes, string source) => new(new MemoryStream(bytes, writable: false), source);

    /// <summary>Where the archive came from (a path, or a description), for messages.</summary>
    public string Source { get; }
    /// <summary>The top folder, with its trailing slash ("resnet18/").</summary>
    public string Root { get; }

    /// <summary>Entry names below the top folder.</summary>
    public IEnumerable<string> Names => _zip.Entries.Where(e => e.FullName.StartsWith(Root, StringComparison.Ordinal)).Select(e => e.FullName[Root.Length..]);

    public bool Contains(string name) => _zip.GetEntry(Root + name) is not null;

    public byte[] Read(string name)
    {
        var entry = _zip.GetEntry(Root + name) ?? throw new ScriptArchiveException($"the entry '{name}' is missing");
        if (entry.Length > int.MaxValue) throw new ScriptArchiveException($"the entry '{name}' is larger than 2 GB");
        var bytes = new byte[entry.Length];
        using var s = entry.Open();
        s.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Copies an entry's bytes into a stream without holding them all.</summary>
    public void CopyTo(string name, Stream destination)
    {
        var entry = _zip.GetEntry(Root + name) ?? throw new ScriptArchiveException($"the entry '{name}' is missing");
        using var s = entry.Open();
        s.CopyTo(destination);
    }

    /// <summary>The root module object, with every object's path set.</summary>
    public ScriptObject ReadModule() => ModuleFrom(Read("data.pkl"), "data.pkl");

    /// <summary>The root module object of a data.pkl (read from an archive, or pickled for one), with every object's path set.</summary>
    internal static ScriptObject ModuleFrom(byte[] pickle, string name = "data.pkl")
    {
        var root = Unpickle(pickle, name) as ScriptObject ?? throw new ScriptArchiveException("data.pkl does not hold a module object");
        AssignPaths(root, "", new HashSet<ScriptObject>(ReferenceEqualityComparer.Instance));
        return root;
    }

    /// <summary>The tensor constants (CONSTANTS.c0, c1, ...), in order.</summary>
    public IReadOnlyList<object?> ReadConstants()
    {
        if (!Contains("constants.pkl")) return Array.Empty<object?>();
        return Unpickle(Read("constants.pkl"), "constants.pkl") switch
        {
            PyTuple t => t.Items,
            List<object?> l => l,
            _ => throw new ScriptArchiveException("constants.pkl does not hold a tuple"),
        };
    }

    /// <summary>Every code file's text by its path below code/ ("__torch__/torchvision/models/resnet.py").</summary>
    public IReadOnlyDictionary<string, string> ReadCode()
    {
        var code = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names.Where(n => n.StartsWith("code/", StringComparison.Ordinal) && n.EndsWith(".py", StringComparison.Ordinal)).ToList())
            code[name["code/".Length..]] = Encoding.UTF8.GetString(Read(name));
        return code;
    }

    private static object? Unpickle(byte[] bytes, string name)
    {
        try
        {
            return new PickleMachine(bytes, new ScriptArchivePickleHost()).Run();
        }
        catch (PickleFormatException e)
        {
            throw new ScriptArchiveException($"its {name} is damaged: {e.Message}");
        }
        catch (UnsupportedPickleOpcodeException e)
        {
            throw new ScriptArchiveException($"its {name} cannot be read: {e.Message}");
        }
    }

    private static void AssignPaths(ScriptObject obj, string path, HashSet<ScriptObject> seen)
    {
        if (!seen.Add(obj)) return;
        obj.Path = path;
        foreach (var (name, value) in obj.Attributes)
            if (value is ScriptObject child)
                AssignPaths(child, path.Length == 0 ? name : path + "." + name, seen);
    }

    public void Dispose()
    {
        _zip.Dispose();
        _stream.Dispose();
    }
}
