using System.Globalization;
using System.Management.Automation;

namespace CondensaPS.Cmdlets;

/// <summary>A pruning ratio: 0 &lt;= r &lt; 1 (anything else is a parameter validation error).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateRatioAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject pso ? pso.BaseObject : arguments;
        double r = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        if (double.IsNaN(r) || r < 0 || r >= 1)
            throw new ValidationMetadataException($"The ratio {r.ToString(CultureInfo.InvariantCulture)} is out of range: it is the fraction of weights to remove, 0 <= ratio < 1.");
    }
}
