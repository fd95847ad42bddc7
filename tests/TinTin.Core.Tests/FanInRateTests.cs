using System;
using System.Linq;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>Issue 13 item 10: one learning rate safe for any fan-in (Network.SetFanInRateScaling, ContinualConfig.ScaleRateByFanIn).</summary>
    public class FanInRateTests
    {
        private static ParameterLayer[] Parameters(Network net) => net.Layers.OfType<ParameterLayer>().ToArray();

        [Fact]
        public void The_shift_follows_the_fan_in_and_layers_up_to_16_inputs_keep_the_rate()
        {
            Network net = Network.CreateMlp(new[] { 784, 128, 16, 6, 2 }, 1, -1, false);
            net.SetFanInRateScaling(true);
            Assert.Equal(new[] { 6, 3, 0, 0 }, Parameters(net).Select(p => p.RateShift).ToArray()); // 784 → 2^6·16 = 1024 ≥ 784; 128 = 2^3·16
            net.SetFanInRateScaling(false);
            Assert.All(Parameters(net), p => Assert.Equal(0, p.RateShift));
            Network board = Network.CreateMlp(new[] { 6, 16, 2 }, 1, -1, false); // the default board model: unchanged
            board.SetFanInRateScaling(true);
            Assert.All(Parameters(board), p => Assert.Equal(0, p.RateShift));
        }

        [Fact]
        public void A_scaled_layer_steps_exactly_as_at_the_shifted_rate_and_its_bias_at_the_rate_as_given()
        {
            // 128 inputs: shift 3, so rate 1/64 scaled steps the first layer's weights as 1/512 unscaled does.
            Network a = Network.CreateMlp(new[] { 128, 16, 2 }, 11, -1, false), b = Network.CreateMlp(new[] { 128, 16, 2 }, 11, -1, false);
            foreach (Network n in new[] { a, b }) n.SetAllTrainable(true);
            a.SetFanInRateScaling(true);
            var rng = new Random(9);
            sbyte[] x = Enumerable.Range(0, 128).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
            foreach (Network n in new[] { a, b }) { Array.Copy(x, n.Input.Data, 128); n.Input.Exponent = -6; n.TrainSample(1); }
            a.Step(ShiftSum.FromRatio(1, 64, 3), null);
            b.Step(ShiftSum.FromRatio(1, 512, 3), null);
            ParameterLayer first = Parameters(a)[0], firstSlow = Parameters(b)[0];
            Assert.Equal(firstSlow.MasterExponent, first.MasterExponent);
            Assert.Equal(firstSlow.MasterWeights, first.MasterWeights);
            Assert.NotEqual(firstSlow.Bias, first.Bias); // biases step at the rate as given (8× further)
            Network untouched = Network.CreateMlp(new[] { 128, 16, 2 }, 11, -1, false);
            Assert.NotEqual(Parameters(untouched)[0].MasterWeights, first.MasterWeights); // the step did move the weights
        }

        [Fact]
        public void The_continual_learner_scales_by_default_and_can_be_told_not_to()
        {
            Network net = Network.CreateMlp(new[] { 128, 16, 2 }, 3, -1, false);
            var model = new Model(net, null);
            var learner = new ContinualLearner(model, new ContinualConfig { Profile = DeviceProfile.ByName("esp32") });
            Assert.Equal(3, Parameters(net)[0].RateShift);
            Assert.Equal(0, Parameters(net)[1].RateShift);
            new ContinualLearner(model, new ContinualConfig { Profile = DeviceProfile.ByName("esp32"), ScaleRateByFanIn = false });
            Assert.Equal(0, Parameters(net)[0].RateShift);
            Assert.NotNull(learner);
        }
    }
}
