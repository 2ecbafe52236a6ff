using CondensaPS.Module.Tests.Support;
using Xunit.Abstractions;

namespace CondensaPS.Module.Tests;

/// <summary>
/// Native loading from a module folder somewhere else, in a child `condensa` process (this process has its natives
/// loaded already): a read-only copy of out/CondensaPS works, and a copy without its natives fails to import with one
/// message naming libtorch_cpu.so.
/// </summary>
[Collection(ModuleCollection.Name)]
public class ModelFileNativeLoadingTests
{
    private const string Nobody = "65534";
    private readonly ModuleSession _m;
    private readonly ITestOutputHelper _log;
    public ModelFileNativeLoadingTests(ModuleSession m, ITestOutputHelper log) { _m = m; _log = log; }

    private string ModuleFolder => Path.Combine(_m.RepoRoot, "out", "CondensaPS");

    /// <summary>Copies out/CondensaPS without patched copies of libLibTorchSharp, so the child must make its own.</summary>
    private static void CopyModule(string from, string to, bool withNatives)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            if (withNatives || !Path.GetRelativePath(from, dir).StartsWith("runtimes", StringComparison.Ordinal))
                Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (Path.GetFileName(file).Contains(".glibcxx-weak.")) continue;
            if (!withNatives && relative.StartsWith("runtimes", StringComparison.Ordinal)) continue;
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static void Chmod(string mode, string path)
    {
        var (code, _, err) = ChildProcess.Run("chmod", new[] { "-R", mode, path }, new Dictionary<string, string>());
        Assert.True(code == 0, err);
    }

    /// <summary>
    /// As root, a read-only folder is still writable, so the child runs as user nobody (setpriv) when nobody can
    /// reach dotnet and the host; otherwise it runs as root and the test can only show that loading works.
    /// </summary>
    private static bool CanRunAsNobody(string[] mustRead)
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv")) return false;
        var check = string.Join(" && ", mustRead.Select(p => $"test -r '{p}'"));
        var (code, _, _) = ChildProcess.Run("/usr/bin/setpriv", new[] { $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "/bin/sh", "-c", check }, new Dictionary<string, string>());
        return code == 0;
    }

    private (int Code, string Out, string Err) RunHost(string module, string work, bool asNobody)
    {
        var script = Path.Combine(work, "count.ps1");
        File.WriteAllText(script, "$m = New-Model -Architecture lenet5 -Seed 3\nWrite-Host \"parameters: $($m.Parameters)\"\n");
        var home = Path.Combine(work, "home");
        var temp = Path.Combine(work, "tmp");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(temp);
        Chmod("a+rwx", home);
        Chmod("a+rwx", temp);
        Chmod("a+r", script);
        var environment = new Dictionary<string, string>
        {
            ["CONDENSAPS_MODULE_PATH"] = module,
            ["CONDENSAPS_THREADS"] = "1",
            ["HOME"] = home,
            ["DOTNET_CLI_HOME"] = home,
            ["TMPDIR"] = temp,
        };
        var dotnetArgs = new[] { ChildProcess.HostDll, script };
        return asNobody
            ? ChildProcess.Run("/usr/bin/setpriv", new[] { $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", ChildProcess.Dotnet }.Concat(dotnetArgs), environment)
            : ChildProcess.Run(ChildProcess.Dotnet, dotnetArgs, environment);
    }

    [Fact]
    public void A_read_only_module_folder_elsewhere_loads_its_natives_and_adds_no_file_to_itself()
    {
        var work = _m.NewTempFolder();
        var module = Path.Combine(work, "CondensaPS");
        try
        {
            CopyModule(ModuleFolder, module, withNatives: true);
            Chmod("a-w", module);
            var before = Directory.GetFiles(module, "*", SearchOption.AllDirectories).Order().ToList();
            bool asNobody = CanRunAsNobody(new[] { ChildProcess.Dotnet, ChildProcess.HostDll, Path.Combine(module, "CondensaPS.psd1") });
            Chmod("a+rx", work);
            var (code, stdout, stderr) = RunHost(module, work, asNobody);
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Contains("parameters: 61706", stdout);

            // This process imported out/CondensaPS already: a patched copy beside its natives means this system's
            // libstdc++ lacks GLIBCXX_3.4.32, so the child needed one too.
            bool patchNeeded = Directory.GetFiles(Path.Combine(ModuleFolder, "runtimes", "linux-x64", "native"), "*.glibcxx-weak.*").Length > 0;
            var after = Directory.GetFiles(module, "*", SearchOption.AllDirectories).Order().ToList();
            _log.WriteLine($"child ran as {(asNobody ? "nobody" : Environment.UserName)}; GLIBCXX patch needed: {patchNeeded}; files added: {string.Join(", ", after.Except(before))}");
            if (asNobody || Environment.UserName != "root")
            {
                // The folder really was read-only to the child: nothing was added to it, and the patched copy (when
                // one was needed) went to the per-user temp folder.
                Assert.Equal(before, after);
                var user = asNobody ? "nobody" : Environment.UserName;
                var patched = Directory.Exists(Path.Combine(work, "tmp", $"condensaps-{user}"))
                    ? Directory.GetFiles(Path.Combine(work, "tmp", $"condensaps-{user}"), "libLibTorchSharp.glibcxx-weak.*.so")
                    : Array.Empty<string>();
                Assert.Equal(patchNeeded ? 1 : 0, patched.Length);
            }
            // Otherwise the child ran as root, for whom chmod a-w stops nothing: it may have written the patched copy
            // beside the original, and all this test can show is that loading from a copied folder works.
        }
        finally
        {
            Chmod("u+w", work);
            Directory.Delete(work, true);
        }
    }

    [Fact]
    public void A_module_folder_without_natives_fails_to_import_with_one_message_naming_libtorch()
    {
        var work = _m.NewTempFolder();
        var module = Path.Combine(work, "CondensaPS");
        try
        {
            CopyModule(ModuleFolder, module, withNatives: false);
            Assert.False(Directory.Exists(Path.Combine(module, "runtimes")));
            var (code, stdout, stderr) = RunHost(module, work, asNobody: false);
            Assert.NotEqual(0, code);
            Assert.DoesNotContain("parameters:", stdout);
            _log.WriteLine(stderr);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines, l => l.Contains("libtorch_cpu.so"));
            Assert.Contains("Import-Module", stderr);
            Assert.Contains("[NativeLibraryLoadFailed,Microsoft.PowerShell.Commands.ImportModuleCommand] (NotInstalled)", stderr);
            Assert.Contains("dotnet build CondensaPS.sln", stderr);
            Assert.DoesNotContain("   at ", stderr); // one message, no stack trace
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
