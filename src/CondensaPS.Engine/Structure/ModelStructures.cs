using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Structure.Script;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Structure;

/// <summary>
/// Finds a model's structure for an input size: from the TorchScript program the model was read with (Import-Model
/// keeps the code and data.pkl of the file), or from an archive written from the model now; analysed once per input
/// shape and kept on the model.
/// </summary>
public static class ModelStructures
{
    public static ModelStructure Of(CompressionModel model, IReadOnlyList<long>? sampleShape = null)
    {
        var shape = sampleShape ?? model.InputShape ?? throw new EngineException("InputShapeRequired", EngineErrorKind.InvalidArgument,
            $"Model '{model.Name}' is TorchScript and does not say what input it takes; give the shape of one sample (e.g. 3,224,224).", model.Name);
        if (shape.Count == 0 || shape.Count > 6 || shape.Any(d => d < 1))
            throw new EngineException("InvalidInputShape", EngineErrorKind.InvalidArgument,
                $"'{string.Join(",", shape)}' is not the shape of one sample: give 1 to 6 positive sizes, e.g. 3,224,224.", shape);
        var key = string.Join(",", shape);
        if (model.Structures.TryGetValue(key, out var known)) return known;
        var structure = StructureAnalyzer.Analyze(Program(model), shape, model.Name);
        model.Structures[key] = structure;
        return structure;
    }

    /// <summary>The model's program: kept from its file, or read from an archive written from the model now.</summary>
    internal static ScriptProgram Program(CompressionModel model)
    {
        if (model.Program is { } kept) return kept;
        TorchRuntime.EnsureInitialized();
        if (!model.IsTorchScript)
        {
            model.Program = BuiltInProgram(model);
            return model.Program;
        }
        // Serialized in memory, not through a temp file: libtorch's file writer kills the process on a full disk.
        using var archive = ScriptArchive.Open(ScriptModuleArchive.Bytes((jit.ScriptModule)model.Module), model.Name);
        var program = Read(archive, model.Name);
        model.Program = program;
        return program;
    }

    /// <summary>
    /// A built-in model's program: the TorchScript code and data.pkl that Export-Model writes for it (the same classes
    /// torch.jit.script makes of torchvision's models), made in memory without its tensor data.
    /// </summary>
    internal static ScriptProgram BuiltInProgram(CompressionModel model)
    {
        var root = BuiltInTorchScript.Module(model.Module, model.Spec!);
        var classes = new TorchScriptClassTable(root);
        var (pickle, _) = TorchScriptPickler.Pickle(root, classes);
        var code = classes.Files.ToDictionary(f => f.Key.StartsWith("code/", StringComparison.Ordinal) ? f.Key["code/".Length..] : f.Key, f => f.Value, StringComparer.Ordinal);
        return new ScriptProgram(code, ScriptArchive.ModuleFrom(pickle), Array.Empty<object?>());
    }

    /// <summary>Reads an archive's program; a damaged or unusual archive is ModelStructureNotUnderstood.</summary>
    internal static ScriptProgram Read(ScriptArchive archive, string modelName)
    {
        try
        {
            return ScriptProgram.Read(archive);
        }
        catch (ScriptArchiveException e)
        {
            throw new EngineException("ModelStructureNotUnderstood", EngineErrorKind.NotSupported,
                $"The structure of model '{modelName}' cannot be read from its TorchScript archive: {e.Message}.", modelName, e);
        }
    }

    /// <summary>The program of a TorchScript file, or null when it cannot be read (the model still loads; its structure is then read later, or not at all).</summary>
    internal static ScriptProgram? TryRead(string path)
    {
        try
        {
            using var archive = ScriptArchive.Open(path);
            return ScriptProgram.Read(archive);
        }
        catch (Exception e) when (e is ScriptArchiveException or ScriptSyntaxException or IOException or InvalidDataException)
        {
            return null;
        }
    }
}
