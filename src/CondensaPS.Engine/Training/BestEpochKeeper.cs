using CondensaPS.Engine.Models;
using CondensaPS.Engine.Quantization;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Keeps a copy of the student (parameters, buffers, masks) at its best-scoring epoch so far, and puts it back at
/// the end when a later epoch scored lower.
/// </summary>
internal sealed class BestEpochKeeper : IDisposable
{
    private readonly CompressionModel _student;
    private Dictionary<string, Tensor>? _best;

    public BestEpochKeeper(CompressionModel student) => _student = student;

    public int BestEpoch { get; private set; }
    public double BestScore { get; private set; } = double.NegativeInfinity;

    /// <summary>Takes a copy when <paramref name="score"/> beats every earlier one; returns whether it did.</summary>
    public bool Offer(int epoch, double score)
    {
        if (!(score > BestScore)) return false;
        BestScore = score;
        BestEpoch = epoch;
        Release();
        _best = Snapshot();
        return true;
    }

    /// <summary>Restores the kept copy unless it is from <paramref name="lastEpoch"/>; returns whether it restored.</summary>
    public bool RestoreUnlessLast(int lastEpoch)
    {
        if (_best is null || BestEpoch == lastEpoch) return false;
        using var _ = no_grad();
        foreach (var (n, t) in _student.NamedParameters()) t.copy_(_best["p:" + n]);
        foreach (var (n, t) in _student.NamedBuffers()) t.copy_(_best["b:" + n]);
        foreach (var (n, t) in _student.Masks) t.copy_(_best["m:" + n]);
        QuantizationReapplier.ReapplyAll(_student);
        return true;
    }

    private Dictionary<string, Tensor> Snapshot()
    {
        using var _ = no_grad();
        var state = new Dictionary<string, Tensor>();
        foreach (var (n, t) in _student.NamedParameters()) state["p:" + n] = t.detach().clone();
        foreach (var (n, t) in _student.NamedBuffers()) state["b:" + n] = t.detach().clone();
        foreach (var (n, t) in _student.Masks) state["m:" + n] = t.detach().clone();
        return state;
    }

    private void Release()
    {
        if (_best is null) return;
        foreach (var t in _best.Values) t.Dispose();
        _best = null;
    }

    public void Dispose() => Release();
}
