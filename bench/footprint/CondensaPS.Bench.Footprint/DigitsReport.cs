using CondensaPS.Engine.Formats.Compact;

/// <summary>Prints the digits experiments: one row per recipe, then where each recipe's bytes go.</summary>
internal static class DigitsReport
{
    public static void Print(BenchArgs args, string title, string denseName, int inputSize, IReadOnlyList<Recipe> recipes)
    {
        var selected = recipes.Where(r => args.Recipe is null || r.Name == args.Recipe).ToList();
        if (selected.Count == 0) return;
        long denseBytes = DenseTorchScript.Bytes(args.Out, denseName);
        var experiment = new DigitsExperiment(args, inputSize);
        var rows = new List<DigitsExperiment.Row>();
        foreach (var recipe in selected)
        {
            var row = experiment.Run(recipe, denseName, denseBytes);
            rows.Add(row);
            Console.Error.WriteLine($"{recipe.Name}: {row.CompactBytes:N0} bytes ({row.Ratio:N1}x), accuracy {row.Accuracy:P2} against {row.ReferenceAccuracy:P2}, {row.Mismatches} mismatches, {row.RoundTrip}");
        }
        Console.WriteLine();
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        Console.WriteLine($"Dense = PyTorch's TorchScript file of the same architecture ({denseName}.pt, {denseBytes:N0} bytes); compact = Export-Model -Format Compact -ExcludeHistory of the recovered model (with its history in brackets). " +
                          "Accuracy and mismatches against the reference on the 2,000 test digits; round trip = the file read back equals the model bit for bit (tensors, masks, codebooks, outputs).");
        Console.WriteLine();
        Console.WriteLine("| Recipe | Sparsity | Compact bytes | Ratio | Reference acc. | Accuracy | Points | Mismatches (ref. right) | Round trip | Minutes |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Recipe.Name} | {r.Sparsity:P2} | {r.CompactBytes:N0} ({r.CompactBytesWithHistory:N0}) | **{r.Ratio:N1}x** | {r.ReferenceAccuracy:P2} | {r.Accuracy:P2} | {r.Points:+0.00;-0.00} | {r.Mismatches} ({r.MismatchesReferenceRight}) | {r.RoundTrip} | {r.Minutes:N1} |");
        Console.WriteLine();
        foreach (var r in rows) Console.WriteLine($"- {r.Recipe}");
        Console.WriteLine();
        Console.WriteLine("Where the bytes go (without history): per tensor, positions + values + codebook or scales + record header.");
        Console.WriteLine();
        Console.WriteLine("| Recipe | Tensor | Stored | Storage | Positions | Values | Codebook | Header | Total |");
        Console.WriteLine("|---|---|---:|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            foreach (var t in r.Footprint.Tensors.Where(t => t.Role == "parameter"))
                Console.WriteLine($"| {r.Recipe.Name} | {t.Name} | {t.StoredValues:N0} | {t.Storage}{(t.Positions is { } p ? $", {p}/{t.PositionCodec}" : "")}, {t.ValueCodec} | {t.PositionBytes:N0} | {t.ValueBytes:N0} | {t.QuantizationBytes:N0} | {t.Bytes - t.PositionBytes - t.ValueBytes - t.QuantizationBytes:N0} | {t.Bytes:N0} |");
            long buffers = r.Footprint.Tensors.Where(t => t.Role == "buffer").Sum(t => t.Bytes);
            Console.WriteLine($"| {r.Recipe.Name} | buffers, file and section headers, metadata, architecture ({r.Footprint.ArchitectureBytes:N0}) | | | | | | | {buffers + r.Footprint.OverheadBytes:N0} |");
        }
    }
}
