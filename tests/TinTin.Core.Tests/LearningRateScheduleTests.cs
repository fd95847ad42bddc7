using TinTin.Core;
using TinTin.Reference;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>The learning-rate schedule of TrainOptions: halvings are exact (the same shift sum, one more fraction bit).</summary>
    public class LearningRateScheduleTests
    {
        [Fact]
        public void The_rate_halves_exactly_every_N_epochs()
        {
            var options = new TrainOptions { BatchSize = 16, LearningRateNumerator = 3, LearningRateDenominator = 40, HalveRateEvery = 3 };
            ShiftSum first = options.SumLearningRate(0);
            for (int epoch = 0; epoch < 10; epoch++)
            {
                ShiftSum rate = options.SumLearningRate(epoch);
                int halvings = epoch / 3;
                Assert.Equal(first.Mantissa, rate.Mantissa);
                Assert.Equal(first.FractionBits + halvings, rate.FractionBits);
                Assert.Equal(TrainOptions.Value(first) / (1 << halvings), TrainOptions.Value(rate));
            }
        }

        [Fact]
        public void Without_a_schedule_the_rate_is_constant()
        {
            var options = new TrainOptions { BatchSize = 8, LearningRateNumerator = 1, LearningRateDenominator = 16 };
            Assert.Equal(TrainOptions.Value(options.SumLearningRate(0)), TrainOptions.Value(options.SumLearningRate(9)));
            Assert.Equal(1.0 / 128, TrainOptions.Value(options.SumLearningRate(5)));
        }
    }
}
