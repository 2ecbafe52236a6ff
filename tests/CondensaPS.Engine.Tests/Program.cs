using CondensaPS.Engine.Tests.Robustness;

namespace CondensaPS.Engine.Tests;

/// <summary>
/// The test assembly's entry point. `dotnet test` never calls it (the test host loads the assembly); the robustness
/// suite starts this assembly as a child process, `dotnet CondensaPS.Engine.Tests.dll robustness-worker ...`, so a
/// native crash in one mutated input ends that child, not the test run.
/// </summary>
public static class Program
{
    public static int Main(string[] args) =>
        args.Length > 0 && args[0] == RobustnessWorker.Command
            ? RobustnessWorker.Run(args)
            : Usage();

    private static int Usage()
    {
        Console.Error.WriteLine($"usage: dotnet CondensaPS.Engine.Tests.dll {RobustnessWorker.Command} SEED FIRST STEP COUNT");
        return 2;
    }
}
