namespace CondensaPS.Engine.LongTail;

/// <summary>
/// The difference of two observed proportions, x1/n1 - x2/n2 (the form of Feldman and Zhang's memorisation and
/// influence estimates: accuracy on an example over the models that trained on it minus over those that did not),
/// and its standard error. The standard error is Agresti and Caffo's (2000): each group's proportion with one success
/// and one failure added, p~ = (x + 1) / (n + 2), and sqrt(p~1 (1 - p~1) / (n1 + 2) + p~2 (1 - p~2) / (n2 + 2)). Unlike
/// the plug-in sqrt(p (1 - p) / n), it does not claim certainty for a group whose models were all right (or all
/// wrong), which is most of the groups on an easy data set. Undefined (NaN, both) when a group is empty.
/// </summary>
public readonly record struct ProportionDifference(double Estimate, double StandardError)
{
    public static readonly ProportionDifference Undefined = new(double.NaN, double.NaN);

    public bool IsDefined => !double.IsNaN(Estimate);

    public static ProportionDifference Of(int right1, int count1, int right2, int count2)
    {
        if (count1 <= 0 || count2 <= 0) return Undefined;
        if (right1 < 0 || right1 > count1 || right2 < 0 || right2 > count2)
            throw new ArgumentOutOfRangeException(nameof(right1), $"{right1}/{count1} and {right2}/{count2} are not proportions.");
        double estimate = (double)right1 / count1 - (double)right2 / count2;
        return new ProportionDifference(estimate, StandardErrorOf(right1, count1, right2, count2));
    }

    /// <summary>Agresti-Caffo's standard error of x1/n1 - x2/n2.</summary>
    public static double StandardErrorOf(int right1, int count1, int right2, int count2)
    {
        double p1 = (right1 + 1.0) / (count1 + 2.0), p2 = (right2 + 1.0) / (count2 + 2.0);
        return Math.Sqrt(p1 * (1 - p1) / (count1 + 2.0) + p2 * (1 - p2) / (count2 + 2.0));
    }
}
