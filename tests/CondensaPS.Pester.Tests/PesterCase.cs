using Xunit.Abstractions;

namespace CondensaPS.Pester.Tests;

/// <summary>
/// A Pester test's id as a theory argument: xUnit shows it whole (a plain string argument is cut at 50 characters).
/// </summary>
public sealed class PesterCase : IXunitSerializable
{
    public PesterCase() { }
    public PesterCase(string id) => Id = id;

    public string Id { get; private set; } = "";

    public void Deserialize(IXunitSerializationInfo info) => Id = info.GetValue<string>(nameof(Id));
    public void Serialize(IXunitSerializationInfo info) => info.AddValue(nameof(Id), Id);
    public override string ToString() => Id;
}
