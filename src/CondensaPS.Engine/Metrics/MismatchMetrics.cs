namespace CondensaPS.Engine.Metrics;

/// <summary>The mismatch figures from labels and two models' predicted labels (a pure function, testable on constructed predictions).</summary>
public static class MismatchMetrics
{
    public static MismatchReport Compute(IReadOnlyList<long> labels, IReadOnlyList<long> reference, IReadOnlyList<long> compressed, int classes,
        string referenceName = "", string compressedName = "", string dataName = "")
    {
        int n = labels.Count;
        if (reference.Count != n || compressed.Count != n)
            throw new ArgumentException($"labels ({n}), reference ({reference.Count}) and compressed ({compressed.Count}) predictions differ in length.");
        int k = Math.Max(classes, (int)Math.Max(labels.DefaultIfEmpty(0).Max(), Math.Max(reference.DefaultIfEmpty(0).Max(), compressed.DefaultIfEmpty(0).Max())) + 1);
        var confusion = Enumerable.Range(0, k).Select(_ => new long[k]).ToArray();
        var perClass = new long[k];
        var perClassMismatch = new long[k];
        var perClassNegative = new int[k];
        var perClassPositive = new int[k];
        var indices = new List<int>();
        int referenceRight = 0, compressedRight = 0, mismatchRefRight = 0, positiveFlips = 0;
        for (int i = 0; i < n; i++)
        {
            long y = labels[i], r = reference[i], c = compressed[i];
            confusion[r][c]++;
            perClass[y]++;
            if (r == y) referenceRight++;
            if (c == y) compressedRight++;
            if (r != c)
            {
                indices.Add(i);
                perClassMismatch[y]++;
                if (r == y) { mismatchRefRight++; perClassNegative[y]++; }
                else if (c == y) { positiveFlips++; perClassPositive[y]++; }
            }
        }
        return new MismatchReport
        {
            Reference = referenceName,
            Compressed = compressedName,
            Data = dataName,
            Samples = n,
            Mismatches = indices.Count,
            MismatchesReferenceRight = mismatchRefRight,
            PositiveFlips = positiveFlips,
            ReferenceAccuracy = n == 0 ? 0 : (double)referenceRight / n,
            CompressedAccuracy = n == 0 ? 0 : (double)compressedRight / n,
            ClassMismatchRates = Enumerable.Range(0, k).Select(j => perClass[j] == 0 ? 0.0 : (double)perClassMismatch[j] / perClass[j]).ToArray(),
            PerClass = Enumerable.Range(0, k).Select(j => new ClassMismatch
            {
                Class = j, Samples = (int)perClass[j], Mismatches = (int)perClassMismatch[j], NegativeFlips = perClassNegative[j], PositiveFlips = perClassPositive[j],
            }).ToArray(),
            MismatchIndices = indices.ToArray(),
            Confusion = confusion,
        };
    }
}
