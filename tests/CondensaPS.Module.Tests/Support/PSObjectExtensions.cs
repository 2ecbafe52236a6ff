using System.Management.Automation;

namespace CondensaPS.Module.Tests.Support;

public static class PSObjectExtensions
{
    /// <summary>A property of an output object, converted as PowerShell would.</summary>
    public static T Prop<T>(this PSObject o, string name)
    {
        var property = o.Properties[name] ?? throw new Xunit.Sdk.XunitException($"No property '{name}' on {o.BaseObject.GetType().Name}.");
        return LanguagePrimitives.ConvertTo<T>(property.Value);
    }

    public static T Base<T>(this PSObject o) => (T)o.BaseObject;
}
