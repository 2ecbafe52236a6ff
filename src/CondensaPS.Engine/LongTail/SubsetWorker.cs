using System.Globalization;
using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using static TorchSharp.torch;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// Trains one subset model inside a worker process: reads subset.json (<see cref="SubsetJobSpec"/>), draws the subset
/// again from the plan, starts from a fresh seeded initialisation of the model's architecture or from the given
/// weights, runs the recipe as a "retrain" step (the path Start-LabelPreservingRetrain takes) on the subset, and
/// records which training and test examples the trained model gets right. Writes result.json last; a model that fails
/// to train still writes it, with the error (<see cref="WorkerJobRun"/>, the frame both kinds of worker job share). The entry point is the module's Jobs/MemorizationSubset.ps1, run by the
/// `condensa` host: <c>condensa &lt;module&gt;/Jobs/MemorizationSubset.ps1 -Spec subset.json</c>.
/// </summary>
public static class SubsetWorker
{
    /// <summary>Trains the subset model; returns the process exit code: 0 when it succeeded, 1 when it failed (result written).</summary>
    public static int Run(string specPath, OperationContext? context = null) =>
        WorkerJobRun.Run(specPath, context, SubsetJobSpec.Read, (spec, c) => Execute(spec, specPath, c),
            spec => new SubsetJobResult { Number = spec.Number, Succeeded = false });

    private static SubsetJobResult Execute(SubsetJobSpec spec, string specPath, OperationContext context)
    {
        TorchRuntime.EnsureInitialized();
        TorchRuntime.ApplyThreadsToCurrentThread();
        string Resolve(string relative) => SubsetJobSpec.Resolve(specPath, relative);
        var training = DatasetSnapshot.Read(Resolve(spec.TrainingData));
        var test = spec.TestData is null ? null : DatasetSnapshot.Read(Resolve(spec.TestData));
        var mask = SubsetPlan.Draw(training.Count, spec.SubsetRatio, spec.PlanSeed, spec.Number);
        var members = SubsetPlan.Members(mask);
        var subset = training.Subset(members, $"{training.Name} subset {spec.Number}");
        context.Log($"Subset model {spec.Number}: {members.Length:N0} of {training.Count:N0} training examples, {spec.Initialization.ToString().ToLowerInvariant()} initialisation, seed {spec.TrainingSeed}.");

        using var start = StartingModel(spec, Resolve(spec.Model), context);
        var settings = new StepSettings("retrain", spec.Recipe);
        settings.Set(Training.RetrainOptions.Key.Seed, (long)spec.TrainingSeed);
        using var trained = OperationRunner.Run("retrain", start, settings, new OperationInputs { TrainingData = subset }, context);

        var trainingCorrect = Correct(Predictor.Predict(trained, training, context), training);
        var testCorrect = test is null ? Array.Empty<bool>() : Correct(Predictor.Predict(trained, test, context), test);
        double subsetAccuracy = members.Count(i => trainingCorrect[i]) / (double)members.Length;
        double testAccuracy = test is null ? double.NaN : testCorrect.Count(c => c) / (double)testCorrect.Length;
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"Subset model {spec.Number}: accuracy {subsetAccuracy:P2} on its subset, {trainingCorrect.Where((c, i) => !mask[i] && c).Count() / (double)(mask.Length - members.Length):P2} on the held-out training examples{(test is null ? "" : $", {testAccuracy:P2} on the test data")}."));
        return new SubsetJobResult
        {
            Number = spec.Number,
            Succeeded = true,
            TrainingCount = training.Count,
            TestCount = test?.Count ?? 0,
            SubsetSize = members.Length,
            TrainingCorrect = trainingCorrect,
            TestCorrect = testCorrect,
            SubsetAccuracy = subsetAccuracy,
            TestAccuracy = testAccuracy,
        };
    }

    /// <summary>The given model, or a fresh seeded initialisation of its built-in architecture (dense, float32).</summary>
    private static CompressionModel StartingModel(SubsetJobSpec spec, string path, OperationContext context)
    {
        var given = ModelLoader.Load(path, new ModelLoadOptions(), context);
        if (spec.Initialization == MemorizationInitialization.Given) return given;
        using (given)
        {
            var architecture = given.Spec ?? throw new EngineException("FreshInitializationNeedsBuiltIn", EngineErrorKind.NotSupported,
                $"A fresh initialisation needs a built-in architecture; '{given.Name}' is {given.Architecture}. Use -Initialization Given to start every subset model from its weights.", given.Name);
            random.manual_seed(spec.TrainingSeed);
            return CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(architecture), architecture,
                $"{given.Name}-subset{spec.Number}", $"new {architecture.Name} (seed {spec.TrainingSeed})", ModelDevice.Parse(given.Device));
        }
    }

    private static bool[] Correct(long[] predicted, Dataset data)
    {
        var correct = new bool[predicted.Length];
        for (int i = 0; i < predicted.Length; i++) correct[i] = predicted[i] == data.Labels[i];
        return correct;
    }
}
