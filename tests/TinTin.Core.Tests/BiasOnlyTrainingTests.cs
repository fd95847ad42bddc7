using System;
using System.Linq;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>Bias-only channels (ChannelBiasOnly) train through the network's one backward and update path.</summary>
    public class BiasOnlyTrainingTests
    {
        private static Network Mlp(uint seed) => Network.CreateMlp(new[] { 5, 12, 8, 3 }, seed, -1, false);

        private static void RandomInput(Random rng, Network net)
        {
            for (int i = 0; i < net.InputLength; i++) net.Input.Data[i] = (sbyte)rng.Next(-127, 128);
            net.Input.Exponent = -6;
        }

        private static ParameterLayer[] Parameters(Network net) => net.Layers.OfType<ParameterLayer>().ToArray();

        [Fact]
        public void A_bias_only_channel_keeps_its_weights_and_learns_its_bias_beside_fully_trained_channels()
        {
            Network net = Mlp(3);
            foreach (ParameterLayer p in Parameters(net))
                for (int c = 0; c < p.Channels; c++) { p.ChannelTrainable[c] = true; p.ChannelBiasOnly[c] = c % 2 == 0; }
            net.ApplySelection();
            ParameterLayer[] layers = Parameters(net);
            short[][] master = layers.Select(p => (short[])p.MasterWeights.Clone()).ToArray();
            sbyte[][] weights = layers.Select(p => (sbyte[])p.Weights.Clone()).ToArray();
            int[][] bias = layers.Select(p => (int[])p.Bias.Clone()).ToArray();
            var rng = new Random(4);
            ShiftSum lr = ShiftSum.FromRatio(1, 16, 3);
            for (int step = 0; step < 40; step++)
            {
                for (int s = 0; s < 8; s++) { RandomInput(rng, net); net.TrainSample(rng.Next(3)); }
                net.Step(lr, null);
            }
            bool fullChanged = false, biasChanged = false;
            for (int q = 0; q < layers.Length; q++)
            {
                ParameterLayer p = layers[q];
                for (int c = 0; c < p.Channels; c++)
                {
                    var rowMaster = p.MasterWeights.Skip(c * p.RowLength).Take(p.RowLength);
                    var rowWeights = p.Weights.Skip(c * p.RowLength).Take(p.RowLength);
                    if (c % 2 == 0)
                    {
                        Assert.Equal(master[q].Skip(c * p.RowLength).Take(p.RowLength), rowMaster);
                        Assert.Equal(weights[q].Skip(c * p.RowLength).Take(p.RowLength), rowWeights);
                        biasChanged |= bias[q][c] != p.Bias[c];
                    }
                    else fullChanged |= !master[q].Skip(c * p.RowLength).Take(p.RowLength).SequenceEqual(rowMaster);
                }
            }
            Assert.True(biasChanged, "no bias-only channel learned");
            Assert.True(fullChanged, "no fully trainable channel learned");
        }

        [Fact]
        public void A_bias_only_layer_accumulates_the_output_gradient_exactly_and_forms_no_weight_gradients()
        {
            Network net = Mlp(5);
            foreach (ParameterLayer p in Parameters(net))
                for (int c = 0; c < p.Channels; c++) { p.ChannelTrainable[c] = true; p.ChannelBiasOnly[c] = true; }
            net.ApplySelection();
            RandomInput(new Random(6), net);
            net.Counters.BeginStep();
            net.TrainSample(1);
            // No weight-gradient MACs: forward plus the error passed down through every layer above the first.
            long propagation = Parameters(net).Skip(1).Sum(p => p.ForwardMacs);
            Assert.Equal(net.ForwardMacs() + propagation, net.Counters.StepMacs);
            var row = new int[13];
            for (int l = 0; l < net.Layers.Length; l++)
            {
                if (net.Layers[l] is not ParameterLayer p) continue;
                QTensor dy = net.Gradients[l + 1];
                row = new int[p.TrainingRowInts];
                for (int c = 0; c < p.Channels; c++)
                {
                    Assert.True(p.CopyGradientRow(c, row));
                    Assert.All(row.Take(p.RowLength), v => Assert.Equal(0, v));
                    // One sample: the bias gradient is dy at GradientExponent = dy's exponent − guard bits, exact.
                    Assert.Equal((long)dy.Data[c] << (dy.Exponent - p.GradientExponent), row[p.RowLength]);
                }
                Assert.Equal(dy.Exponent - ParameterLayer.GradientGuardBits, p.GradientExponent);
            }
        }

        [Fact]
        public void The_bias_only_backward_keeps_no_parameter_layer_input_and_one_int_per_channel()
        {
            Network net = Mlp(7);
            foreach (ParameterLayer p in Parameters(net))
                for (int c = 0; c < p.Channels; c++) { p.ChannelTrainable[c] = true; p.ChannelBiasOnly[c] = true; }
            net.ApplySelection();
            // What the backward needs: the ReLU inputs (masks), every activation gradient, an int32 per channel.
            int expected = 0;
            for (int a = 0; a < net.Layers.Length; a++)
            {
                if (net.Layers[a] is ReluLayer) expected += net.Activations[a].Bytes;
                expected += net.Gradients[a + 1].Bytes;
            }
            expected += 4 * Parameters(net).Sum(p => p.Channels);
            Assert.Equal(expected, net.BackwardBytes());
            Assert.Equal(Parameters(net).Sum(p => p.Channels), net.RequiredTrainingInts());
        }
    }
}
