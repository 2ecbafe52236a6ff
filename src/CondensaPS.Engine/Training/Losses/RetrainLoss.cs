using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// The retraining loss: a weighted sum of terms, the weights fixed or adapted online by <see cref="SoftAdapt"/>.
/// Without sample weights each term is its batch mean. With sample weights w (N values &gt;= 0, not all zero) each
/// term is the weighted mean sum_i w_i l_i / sum_i w_i of its per-sample values, so weights that are all equal give
/// the plain mean and only their ratios matter.
/// </summary>
public sealed class RetrainLoss
{
    private readonly SoftAdapt _adapt;

    public RetrainLoss(IReadOnlyList<ILossTerm> terms, SoftAdapt adapt)
    {
        if (terms.Count == 0) throw new ArgumentException("no loss term given.", nameof(terms));
        Terms = terms;
        _adapt = adapt;
    }

    public IReadOnlyList<ILossTerm> Terms { get; }
    public bool NeedsTeacher => Terms.Any(t => t.NeedsTeacher);

    /// <summary>The term weights the next <see cref="Compute"/> uses.</summary>
    public IReadOnlyList<double> Weights => _adapt.Current;

    /// <summary>
    /// The weighted total (with gradients) and the detached term values stacked as float64 (one per term), in the
    /// caller's dispose scope, with the term weights used. <paramref name="teacherWeights"/> (N values, or null)
    /// scale each sample's share of the terms that read the teacher only, without renormalising: with sample
    /// weights w and teacher weights v such a term is sum_i w_i v_i l_i / sum_i w_i (plain: mean of v_i l_i).
    /// </summary>
    public LossValue Compute(Tensor student, Tensor? teacher, Tensor labels, Tensor? sampleWeights = null, Tensor? teacherWeights = null)
    {
        var weights = _adapt.Current;
        var termValues = new Tensor[Terms.Count];
        Tensor? total = null;
        Tensor? weightSum = sampleWeights?.sum();
        for (int k = 0; k < Terms.Count; k++)
        {
            var scale = Terms[k].NeedsTeacher ? teacherWeights : null;
            var v = (sampleWeights, scale) switch
            {
                (null, null) => Terms[k].Compute(student, teacher, labels),
                (null, _) => (Terms[k].PerSample(student, teacher, labels) * scale).mean(),
                (_, null) => (Terms[k].PerSample(student, teacher, labels) * sampleWeights).sum() / weightSum!,
                _ => (Terms[k].PerSample(student, teacher, labels) * sampleWeights * scale).sum() / weightSum!,
            };
            termValues[k] = v.detach();
            var weighted = v.Times(weights[k]);
            total = total is null ? weighted : total + weighted;
        }
        return new LossValue(total!, stack(termValues).to(ScalarType.Float64), weights);
    }

    /// <summary>
    /// The weighted sum of the terms that read no labels, on inputs the teacher labels (extra inputs made from a
    /// batch), with the same term weights; null when the loss has no such term.
    /// </summary>
    public Tensor? ComputeLabelFree(Tensor student, Tensor teacher, Tensor? sampleWeights = null)
    {
        var weights = _adapt.Current;
        var teacherLabels = teacher.argmax(1);
        Tensor? weightSum = sampleWeights?.sum();
        Tensor? total = null;
        for (int k = 0; k < Terms.Count; k++)
        {
            if (Terms[k].NeedsLabels) continue;
            var v = sampleWeights is null
                ? Terms[k].Compute(student, teacher, teacherLabels)
                : (Terms[k].PerSample(student, teacher, teacherLabels) * sampleWeights).sum() / weightSum!;
            var weighted = v.Times(weights[k]);
            total = total is null ? weighted : total + weighted;
        }
        return total;
    }

    /// <summary>Records one step's term values (SoftAdapt's history); the weights for the next step follow from them.</summary>
    public void Observe(Tensor termValues)
    {
        if (_adapt.Variant != SoftAdaptVariant.None) _adapt.Update(termValues.data<double>().ToArray());
    }
}

/// <summary>One batch's loss: the total to differentiate, the term values (float64, detached) and the term weights used.</summary>
public sealed record LossValue(Tensor Total, Tensor TermValues, IReadOnlyList<double> Weights);
