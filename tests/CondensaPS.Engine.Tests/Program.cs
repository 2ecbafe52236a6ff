using CondensaPS.Engine.Tests.Robustness;
using CondensaPS.Engine.Tests.Slimming;

namespace CondensaPS.Engine.Tests;

/// <summary>
/// The test assembly's entry point. `dotnet test` never calls it (the test host loads the assembly); tests start this
/// assembly as a child process where a native crash must end the child, not the test run: the robustness suite
/// (`dotnet CondensaPS.Engine.Tests.dll robustness-worker ...`) and slimming on a full temp disk (`slim-worker ...`).
/// </summary>
public static class Program
{
    public static int Main(string[] args) =>
        args.Length > 0 && args[0] == RobustnessWorker.Command ? RobustnessWorker.Run(args)
        : args.Length == 3 && args[0] == SlimWorker.Command ? SlimWorker.Run(args)
        : Usage();

    private static int Usage()
    {
        Console.Error.WriteLine($"usage: dotnet CondensaPS.Engine.Tests.dll {RobustnessWorker.Command} SEED FIRST STEP COUNT");
        Console.Error.WriteLine($"       dotnet CondensaPS.Engine.Tests.dll {SlimWorker.Command} MODEL TARGET");
        return 2;
    }
}
