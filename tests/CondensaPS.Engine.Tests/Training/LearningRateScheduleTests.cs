using CondensaPS.Engine.Training;

namespace CondensaPS.Engine.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void Constant_is_the_rate_throughout_and_leaves_the_optimizer_alone()
    {
        var s = new LearningRateSchedule(LearningRateShape.Constant, 0.1, 3);
        Assert.True(s.IsConstant);
        Assert.Equal(0.1, s.At(1, 0, 10));
        Assert.Equal(0.1, s.At(3, 9, 10));
    }

    [Fact]
    public void Step_multiplies_by_the_decay_every_step_epochs()
    {
        var s = new LearningRateSchedule(LearningRateShape.Step, 0.1, 6, stepEpochs: 2, decay: 0.5);
        Assert.Equal(0.1, s.At(2, 9, 10), 12);   // progress 1.9
        Assert.Equal(0.05, s.At(3, 0, 10), 12);  // progress 2.0
        Assert.Equal(0.025, s.At(5, 3, 10), 12); // progress 4.3
    }

    [Fact]
    public void Cosine_anneals_from_the_rate_to_the_minimum_and_restarts_each_cycle()
    {
        var s = new LearningRateSchedule(LearningRateShape.Cosine, 0.1, 4, minimum: 0.02);
        Assert.Equal(0.1, s.At(1, 0, 4), 12);
        // Halfway (progress 2 of 4): the mean of rate and minimum.
        Assert.Equal(0.06, s.At(3, 0, 4), 12);
        // Progress 1: 0.02 + 0.08 * (1 + cos(pi / 4)) / 2.
        Assert.Equal(0.02 + 0.04 * (1 + Math.Cos(Math.PI / 4)), s.At(2, 0, 4), 12);
        var restarts = new LearningRateSchedule(LearningRateShape.Cosine, 0.1, 4, cycles: 2);
        Assert.Equal(0.05, restarts.At(2, 0, 4), 12); // halfway through the first 2-epoch cycle
        Assert.Equal(0.1, restarts.At(3, 0, 4), 12);  // the second cycle starts at the rate again
        Assert.Equal(0.05 * (1 + Math.Cos(Math.PI * 0.75)), restarts.At(4, 2, 4), 12);
    }

    [Fact]
    public void Warm_up_rises_linearly_to_the_rate_by_the_end_of_its_batches_then_the_shape_starts()
    {
        var s = new LearningRateSchedule(LearningRateShape.Cosine, 0.1, 5, warmupEpochs: 1);
        Assert.False(s.IsConstant);
        Assert.Equal(0.025, s.At(1, 0, 4), 12);  // the first of 4 warm-up batches ends a quarter in
        Assert.Equal(0.075, s.At(1, 2, 4), 12);
        Assert.Equal(0.1, s.At(1, 3, 4), 12);    // the last warm-up batch runs at the rate
        Assert.Equal(0.1, s.At(2, 0, 4), 12);    // the cosine over the 4 epochs left starts at the rate
        Assert.Equal(0.05, s.At(4, 0, 4), 12);   // halfway through those 4
    }

    [Fact]
    public void Out_of_range_settings_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(LearningRateShape.Constant, 0.1, 3, warmupEpochs: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(LearningRateShape.Cosine, 0.1, 3, minimum: 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(LearningRateShape.Step, 0.1, 3, decay: 1.5));
    }
}
