using CondensaPS.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Quantization;

/// <summary>
/// Weight sharing for one parameter (Deep Compression): k-means with k = 2^bits over the weights its mask keeps (every
/// weight when it has no mask), the weight replaced by its centroid in place, and a record of the codebook and each
/// element's index. Pruned elements get the index of their nearest centroid too (they stay zero), so a mask that later
/// keeps them again finds an index.
/// </summary>
internal static class ClusterQuantizer
{
    /// <summary>How many weights of <paramref name="tensor"/> are clustered (its mask's kept ones, or all).</summary>
    public static long Members(Tensor tensor, Tensor? mask) => mask is null ? tensor.numel() : mask.count_nonzero().item<long>();

    /// <summary>Clusters the kept weights; the tensor then holds codebook[index] (masked). The caller checks there are at least 2^bits of them.</summary>
    public static QuantizationState QuantizeInPlace(Tensor tensor, Tensor? mask, int bits, ClusterInitialization initialization)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int k = 1 << bits;
        var flat = tensor.detach().cpu().to(ScalarType.Float32).flatten();
        var all = flat.data<float>().ToArray();
        float[] members;
        if (mask is null) members = all;
        else
        {
            var kept = mask.detach().cpu().flatten().ne(0).data<bool>().ToArray();
            members = all.Where((_, i) => kept[i]).ToArray();
        }
        var result = KMeans1D.Run(members, k, initialization);
        var nearest = new NearestCentroid(result.Centroids);
        var indices = new byte[all.Length];
        for (int i = 0; i < all.Length; i++) indices[i] = (byte)nearest.Of(all[i]);

        var device = tensor.device;
        var codebook = torch.tensor(result.Centroids).to(device);
        var index = torch.tensor(indices, dtype: ScalarType.Byte).reshape(tensor.shape).to(device);
        Write(tensor, codebook, index, mask);
        return QuantizationState.Clustered(codebook.DetachFromDisposeScope(), index.DetachFromDisposeScope(), bits);
    }

    /// <summary>
    /// After training changed the tensor: each cluster's value becomes the mean (in double) of its kept members'
    /// current values, and every member takes it (assignments hold). Members that all hold the same value keep it
    /// exactly, so restoring saved values restores the codebook. A cluster with no kept member keeps its value.
    /// </summary>
    public static void Reapply(Tensor tensor, QuantizationState state, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var index = state.Indices!.flatten().to(ScalarType.Int64);
        var values = tensor.detach().flatten().to(ScalarType.Float64);
        if (mask is not null)
        {
            var kept = mask.flatten().ne(0);
            index = index.masked_select(kept);
            values = values.masked_select(kept);
        }
        long k = state.Codebook!.shape[0];
        var sums = zeros(k, dtype: ScalarType.Float64, device: tensor.device).index_add_(0, index, values, 1);
        var counts = zeros(k, dtype: ScalarType.Float64, device: tensor.device).index_add_(0, index, ones_like(values), 1);
        var means = where(counts.gt(0), sums / counts.clamp_min(1), state.Codebook.to(ScalarType.Float64));
        state.Codebook.copy_(means.to(state.Codebook.dtype));
        Write(tensor, state.Codebook, state.Indices, mask);
    }

    /// <summary>Moves each centroid by the sum of its kept members' changes (SGD on the centroid with the gradients gathered per cluster), then writes the members.</summary>
    public static void AddMemberChanges(Tensor tensor, Tensor before, QuantizationState state, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var index = state.Indices!.flatten().to(ScalarType.Int64);
        var change = (tensor.detach() - before).flatten().to(ScalarType.Float64);
        if (mask is not null)
        {
            var kept = mask.flatten().ne(0);
            index = index.masked_select(kept);
            change = change.masked_select(kept);
        }
        var moves = zeros(state.Codebook!.shape[0], dtype: ScalarType.Float64, device: tensor.device).index_add_(0, index, change, 1);
        state.Codebook.copy_((state.Codebook.to(ScalarType.Float64) + moves).to(state.Codebook.dtype));
        Write(tensor, state.Codebook, state.Indices, mask);
    }

    /// <summary>tensor = codebook[indices], times the mask.</summary>
    public static void Write(Tensor tensor, Tensor codebook, Tensor indices, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var shared = codebook.to(tensor.dtype).index_select(0, indices.flatten().to(ScalarType.Int64)).reshape(tensor.shape);
        if (mask is not null) shared = shared * mask.to(tensor.dtype);
        tensor.copy_(shared);
    }
}
