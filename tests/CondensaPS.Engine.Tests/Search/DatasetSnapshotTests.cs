using CondensaPS.Engine.Data;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Tests.Training;

namespace CondensaPS.Engine.Tests.Search;

/// <summary>Data handed to worker processes comes back with the same samples, labels, names and transforms.</summary>
public class DatasetSnapshotTests
{
    [Fact]
    public void A_snapshot_reads_back_identical_with_its_transforms()
    {
        var data = RetrainTestData.Train(50).WithTransforms(new[] { 0.1307 }, new[] { 0.3081 }, augment: true, padding: 3, flip: true, seed: 42);
        data.Name = "digits, first 50";
        var path = Path.Combine(TestPaths.NewTempFolder(), "train.safetensors");
        DatasetSnapshot.Write(data, path);
        var back = DatasetSnapshot.Read(path);
        Assert.Equal(data.Name, back.Name);
        Assert.Equal(data.Pixels, back.Pixels);
        Assert.Equal(data.Labels, back.Labels);
        Assert.Equal(data.ClassNames, back.ClassNames);
        Assert.Equal(data.Transforms, back.Transforms);
        Assert.Equal((data.Seed, data.Augment, data.AugmentPadding, data.AugmentFlip), (back.Seed, back.Augment, back.AugmentPadding, back.AugmentFlip));
        Assert.Equal(data.Order(3, shuffle: true), back.Order(3, shuffle: true));
        Assert.Equal("OutputExists", Assert.Throws<EngineException>(() => DatasetSnapshot.Write(data, path)).ErrorId);
    }

    [Fact]
    public void A_snapshot_is_a_plain_safetensors_data_set()
    {
        var data = RetrainTestData.Val(20);
        var path = Path.Combine(TestPaths.NewTempFolder(), "val.safetensors");
        DatasetSnapshot.Write(data, path);
        var plain = SafeTensorsDatasetReader.Read(path);
        Assert.Equal(data.Pixels, plain.Pixels);
        Assert.Equal(data.Labels, plain.Labels);
    }
}
