using CondensaPS.Engine.Data;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Native;
using CondensaPS.Engine.Operations;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Metrics;

/// <summary>A model's predicted labels (argmax of its outputs) over a data set in its own order, in eval mode, without augmentation.</summary>
public static class Predictor
{
    public static long[] Predict(CompressionModel model, Dataset data, OperationContext ctx, int batchSize = 500)
    {
        var order = data.Order(0, shuffle: false);
        var result = new long[data.Count];
        bool training = model.Module.training;
        model.Module.eval();
        try
        {
            for (int start = 0; start < order.Length; start += batchSize)
            {
                ctx.ThrowIfCancelled();
                using var pause = CollectionPause.Begin();
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var (x, _) = data.Batch(order, start, batchSize);
                var predicted = model.Forward(x).argmax(1).cpu().data<long>().ToArray();
                Array.Copy(predicted, 0, result, start, predicted.Length);
            }
        }
        finally { if (training) model.Module.train(); }
        return result;
    }
}
