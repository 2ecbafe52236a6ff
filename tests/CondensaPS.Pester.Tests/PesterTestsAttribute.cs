using System.Reflection;
using Xunit.Sdk;

namespace CondensaPS.Pester.Tests;

/// <summary>
/// The Pester tests that discovery lists, as rows of a theory: either those run as usual, or those that their file skips
/// at discovery with a reason (a Slurm test where no cluster answers). For the latter this attribute carries the reasons
/// as its Skip, so that xUnit reports those rows skipped, saying why, as it does an xUnit [SlurmFact] there.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class PesterTestsAttribute : DataAttribute
{
    private readonly bool _skippedForAReason;

    public PesterTestsAttribute(bool skippedForAReason)
    {
        _skippedForAReason = skippedForAReason;
        if (!skippedForAReason) return;
        var reasons = Selected().Select(t => t.SkipReason!).Distinct().ToList();
        if (reasons.Count > 0) Skip = string.Join("; ", reasons);
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        Selected().Select(t => new object[] { new PesterCase(t.Id) });

    private IEnumerable<PesterTest> Selected() =>
        PesterSuites.Discovered.Value.Tests.Where(t => string.IsNullOrEmpty(t.SkipReason) != _skippedForAReason);
}
