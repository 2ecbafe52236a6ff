using System.Runtime.InteropServices;
using SkiaSharp;

namespace CondensaPS.Engine.Data;

/// <summary>
/// Makes SkiaSharp find libSkiaSharp in the module's own runtimes/&lt;rid&gt;/native folder. A binary module's
/// deps.json is not consulted by the PowerShell host that loads it, so SkiaSharp's DllImport would otherwise look only
/// beside the host; a resolver on the SkiaSharp assembly loads the library by absolute path instead. A missing or
/// unloadable library becomes one <see cref="EngineException"/> (ImageDecoderUnavailable) naming where it looked.
/// </summary>
public static class SkiaNative
{
    private static readonly object Gate = new();
    private static bool _done;
    private static string? _loadedFrom;

    /// <summary>The libSkiaSharp file loaded (null before the first image, or when the default probing found it).</summary>
    public static string? LoadedFrom => _loadedFrom;

    public static void EnsureLoaded()
    {
        if (_done) return;
        lock (Gate)
        {
            if (_done) return;
            if (OperatingSystem.IsLinux())
            {
                var rid = RuntimeInformation.ProcessArchitecture switch
                {
                    Architecture.Arm64 => "linux-arm64",
                    Architecture.Arm => "linux-arm",
                    _ => "linux-x64",
                };
                var dir = Path.GetDirectoryName(typeof(SkiaNative).Assembly.Location) ?? AppContext.BaseDirectory;
                var candidates = new[] { Path.Combine(dir, "runtimes", rid, "native", "libSkiaSharp.so"), Path.Combine(dir, "libSkiaSharp.so") };
                var found = candidates.FirstOrDefault(File.Exists);
                if (found != null)
                {
                    IntPtr handle;
                    try { handle = NativeLibrary.Load(found); }
                    catch (Exception e)
                    {
                        throw new EngineException("ImageDecoderUnavailable", EngineErrorKind.NotSupported,
                            $"CondensaPS could not load SkiaSharp's native library '{found}' to decode images: {e.Message}", found, e);
                    }
                    try
                    {
                        NativeLibrary.SetDllImportResolver(typeof(SKBitmap).Assembly,
                            (name, _, _) => name.Contains("SkiaSharp", StringComparison.Ordinal) ? handle : IntPtr.Zero);
                    }
                    catch (InvalidOperationException) { /* someone set a resolver already: theirs finds the library */ }
                    _loadedFrom = found;
                }
            }
            try { _ = SKColorType.Rgba8888.GetBytesPerPixel(); _ = new SKImageInfo(1, 1).BytesSize; using var probe = new SKBitmap(1, 1); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
            {
                throw new EngineException("ImageDecoderUnavailable", EngineErrorKind.NotSupported,
                    $"CondensaPS could not load SkiaSharp's native library (libSkiaSharp) to decode images: {e.Message}", null, e);
            }
            _done = true;
        }
    }
}
