using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>Extreme values saturate; nothing wraps around (nanoFramework ignores `checked`).</summary>
    public class SaturationTests
    {
        [Fact]
        public void Extreme_inputs_weights_and_bias_saturate_to_the_right_sign()
        {
            var layer = new DenseLayer(4096, 3);
            for (int i = 0; i < layer.MasterWeights.Length; i++) layer.MasterWeights[i] = (short)(i < 4096 ? 32767 : (i < 8192 ? -32767 : 32767));
            layer.MasterExponent = 10;
            layer.Bias[0] = int.MaxValue; layer.Bias[1] = -int.MaxValue; layer.Bias[2] = int.MaxValue;
            layer.BiasExponent = 60;   // aligned to the accumulator this overflows int32: must clamp, not wrap
            layer.RefreshInt8Weights();
            var net = new Network(new Layer[] { layer }, -1, false);
            for (int i = 0; i < 4096; i++) net.Input.Data[i] = 127;
            net.Input.Exponent = 20;
            net.Forward();
            // The clamped bias (2^30) plus the MACs (64·127·4096) stays below 2^31: no wrap, and
            // the exponent rule maps the largest magnitude into [64, 127].
            int expectedAcc = (1 << 30) + 64 * 127 * 4096;
            int shift = QMath.Int8ShiftFor(expectedAcc);
            sbyte expected = (sbyte)QMath.RoundingShiftRight(expectedAcc, shift);
            Assert.Equal(expected, net.Output.Data[0]);
            Assert.Equal(-expected, net.Output.Data[1]);
            Assert.Equal(expected, net.Output.Data[2]);
            Assert.InRange(expected, 64, 127);
            Assert.Equal(20 + layer.WeightExponent + shift, net.Output.Exponent);
            int predicted = SoftmaxCrossEntropy.ArgMax(net.Output, 3);
            Assert.Equal(0, predicted);
        }

        [Fact]
        public void Huge_updates_saturate_master_weights_instead_of_wrapping()
        {
            Network net = TestData.Mlp(new[] { 4, 3 }, 1);
            var dense = (DenseLayer)net.Layers[0];
            for (int i = 0; i < 4; i++) net.Input.Data[i] = 127;
            net.Input.Exponent = 30;               // enormous inputs → enormous gradients
            for (int step = 0; step < 5; step++)
            {
                net.TrainSample(0);
                net.Step(ShiftSum.FromRatio(1000, 1, 2), null);
                foreach (short w in dense.MasterWeights) Assert.InRange(w, -32767, 32767);
                foreach (sbyte w in dense.Weights) Assert.InRange(w, -127, 127);
            }
            // The label-0 logit must have been pushed up, not wrapped down.
            net.Forward();
            Assert.Equal(0, SoftmaxCrossEntropy.ArgMax(net.Output, 3));
        }

        [Fact]
        public void Extreme_logits_give_valid_probabilities()
        {
            var loss = new SoftmaxCrossEntropy(4);
            var z = new QTensor(4) { Exponent = 12 };
            z.Data[0] = 127; z.Data[1] = -127; z.Data[2] = 0; z.Data[3] = 127;
            loss.Forward(z);
            int sum = 0;
            foreach (int p in loss.Probabilities) { Assert.InRange(p, 0, 65536); sum += p; }
            Assert.InRange(sum, 65534, 65538);
            Assert.InRange(loss.LossQ16(1), 65536 * 5, int.MaxValue); // far from right: a large, positive loss
            Assert.InRange(loss.LossQ16(0), 0, 65536);                 // ≈ ln 2
        }
    }
}
