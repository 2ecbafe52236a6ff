using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Data;

/// <summary>
/// Checks, before any training or measuring, that a data set fits a model: one sample goes through the model, and
/// the model's output width must cover the data set's classes.
/// </summary>
public static class DatasetModelCheck
{
    public static void Require(Dataset data, CompressionModel model)
    {
        if (data.Count == 0)
            throw new EngineException("DatasetEmpty", EngineErrorKind.InvalidData, $"Data set '{data.Name}' has no samples.", data);
        long width;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            bool training = model.Module.training;
            model.Module.eval();
            try
            {
                var (x, _) = data.Batch(new[] { 0 }, 0, 1);
                Tensor output;
                try { output = model.Forward(x); }
                catch (Exception e) when (e is not EngineException)
                {
                    throw new EngineException("DatasetShapeDoesNotFitModel", EngineErrorKind.InvalidData,
                        $"Samples of data set '{data.Name}' ({data.Shape}) do not fit model '{model.Name}': {FirstLine(e.Message)}", data, e);
                }
                if (output.dim() != 2)
                    throw new EngineException("DatasetShapeDoesNotFitModel", EngineErrorKind.InvalidData,
                        $"Model '{model.Name}' gives outputs of shape [{string.Join(",", output.shape)}] for a sample of '{data.Name}'; expected [1, classes].", data);
                width = output.shape[1];
            }
            finally { if (training) model.Module.train(); }
        }
        if (data.Classes > width)
            throw new EngineException("DatasetClassesDoNotFitModel", EngineErrorKind.InvalidData,
                $"Data set '{data.Name}' has {data.Classes} classes but model '{model.Name}' has {width} outputs.", data);
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
