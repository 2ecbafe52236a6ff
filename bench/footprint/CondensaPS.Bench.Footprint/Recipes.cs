/// <summary>Every attempt the benchmark runs, in the order they were tried (each one's figures are reported, reached or not).</summary>
internal static class Recipes
{
    public static readonly Recipe[] LeNet =
    {
        // Deep Compression's own LeNet-5 ratios (Han et al. 2016, table 3: keeps 66%, 12%, 8%, 19%; 8-bit conv, 5-bit fc).
        new("lenet-dc", "lenet5-caffe",
            "conv1.weight=0.34;conv2.weight=0.88;fc1.weight=0.92;fc2.weight=0.81",
            "conv*.weight=8;fc*.weight=5"),
        // Global magnitude pruning in four stages to 99%, few-bit codebooks, biases shared too.
        new("lenet-g99", "lenet5-caffe",
            "global=0.9|global=0.95|global=0.98|global=0.99",
            "conv*.weight=4;fc*.weight=3;*.bias=3"),
    };

    public static readonly Recipe[] ResNet =
    {
        // Global magnitude pruning of every conv/linear weight in five stages to 99%, one recovery epoch each; weights
        // and batch-norm scales in 4-bit codebooks, biases in 3-bit ones, batch-norm statistics float16.
        new("resnet-g99", "resnet18", "global=0.8|global=0.9|global=0.95|global=0.98|global=0.99", "*.weight=4;*.bias=3")
        {
            InputSize = 32, ReferenceEpochs = 4, RecoveryEpochs = 1, ClusterEpochs = 1, Float16Rest = true,
        },
    };
}
