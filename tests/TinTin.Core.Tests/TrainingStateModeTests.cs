using System;
using System.Linq;
using TinTin.Core;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// The training-state modes (TrainingStateMode): fused kernels agree with their references bit
    /// for bit, the fused step allocates nothing, frozen channels stay frozen, the memory plan holds
    /// what the mode keeps, and the lean modes learn.
    /// </summary>
    public class TrainingStateModeTests
    {
        // Channel o: weights and bias (o % 3 == 0), frozen (1), bias only (2). Only the sign of an offset is read.
        private static (int[] Rows, int[] Biases) Masks(int outSize)
        {
            var rows = new int[outSize];
            var biases = new int[outSize];
            for (int o = 0; o < outSize; o++)
            {
                rows[o] = o % 3 == 0 ? o : -1;
                biases[o] = o % 3 == 1 ? -1 : o;
            }
            return (rows, biases);
        }

        [Theory]
        [InlineData(1, 16, -9, true, 0)]
        [InlineData(1, 256, -14, true, 0)]
        [InlineData(1, 64, -14, true, 6)]   // fan-in rate scaling: the weight step is 2^-6 finer
        [InlineData(3, 1000, -20, false, 0)]
        [InlineData(1, 2, 4, true, 0)]      // shift < 2: the fast kernel takes the reference path
        [InlineData(1, 3, -60, true, 0)]    // shift > 62: weights cannot move, biases and errors still do
        public void Fused_master_kernel_equals_reference(int lrNumerator, int lrDenominator, int masterExponent, bool propagate, int rateShift)
        {
            var random = new Random(lrDenominator + masterExponent);
            int inSize = 41, outSize = 10;
            (int[] rows, int[] biases) = Masks(outSize);
            ShiftSum lr = ShiftSum.FromRatio(lrNumerator, lrDenominator, 3);
            for (int trial = 0; trial < 30; trial++)
            {
                QTensor input = TestData.RandomTensor(random, inSize, random.Next(-9, 0), 0.4);
                QTensor grad = TestData.RandomTensor(random, outSize, random.Next(-14, -4), 0.2);
                sbyte[] weights = TestData.RandomInt8(random, inSize * outSize);
                var master = new short[inSize * outSize];
                for (int i = 0; i < master.Length; i++) master[i] = (short)random.Next(-32767, 32768);
                var bias = new int[outSize];
                for (int o = 0; o < outSize; o++) bias[o] = random.Next(-(1 << 26), 1 << 26);
                short[] masterRef = (short[])master.Clone();
                int[] biasRef = (int[])bias.Clone();
                QTensor fast = propagate ? new QTensor(inSize) : null, reference = propagate ? new QTensor(inSize) : null;
                FusedMasterKernels.DenseBackwardUpdate(input, grad, weights, -7, rows, biases, lr, rateShift, inSize, outSize,
                    masterExponent, master, masterExponent - 8, bias, new int[inSize + outSize], fast);
                FusedMasterKernelsReference.DenseBackwardUpdate(input, grad, weights, -7, rows, biases, lr, rateShift, inSize, outSize,
                    masterExponent, masterRef, masterExponent - 8, biasRef, new int[inSize + outSize], reference);
                Assert.Equal(masterRef, master);
                Assert.Equal(biasRef, bias);
                if (propagate) { Assert.Equal(reference.Exponent, fast.Exponent); Assert.Equal(reference.Data, fast.Data); }
            }
        }

        [Theory]
        [InlineData(1, 16, -9, true, 0)]
        [InlineData(1, 256, -6, true, 0)]
        [InlineData(1, 16, -9, true, 4)]    // fan-in rate scaling
        [InlineData(5, 1000, -12, false, 0)]
        [InlineData(1, 2, 12, true, 0)]     // shift < 2
        [InlineData(1, 3, -60, true, 0)]    // shift > 62
        public void Int8_update_kernel_equals_reference(int lrNumerator, int lrDenominator, int weightExponent, bool propagate, int rateShift)
        {
            var random = new Random(lrDenominator * 3 + weightExponent);
            int inSize = 37, outSize = 9;
            (int[] rows, int[] biases) = Masks(outSize);
            ShiftSum lr = ShiftSum.FromRatio(lrNumerator, lrDenominator, 3);
            for (int trial = 0; trial < 30; trial++)
            {
                QTensor input = TestData.RandomTensor(random, inSize, random.Next(-9, 0), 0.4);
                QTensor grad = TestData.RandomTensor(random, outSize, random.Next(-14, -4), 0.2);
                sbyte[] weights = TestData.RandomInt8(random, inSize * outSize);
                var bias = new int[outSize];
                for (int o = 0; o < outSize; o++) bias[o] = random.Next(-(1 << 26), 1 << 26);
                sbyte[] weightsRef = (sbyte[])weights.Clone();
                int[] biasRef = (int[])bias.Clone();
                QTensor fast = propagate ? new QTensor(inSize) : null, reference = propagate ? new QTensor(inSize) : null;
                Int8UpdateKernels.DenseBackwardUpdate(input, grad, rows, biases, lr, rateShift, inSize, outSize, weightExponent, weights,
                    weightExponent - 8, bias, new int[inSize + outSize], fast);
                Int8UpdateKernelsReference.DenseBackwardUpdate(input, grad, rows, biases, lr, rateShift, inSize, outSize, weightExponent, weightsRef,
                    weightExponent - 8, biasRef, new int[inSize + outSize], reference);
                Assert.Equal(weightsRef, weights);
                Assert.Equal(biasRef, bias);
                if (propagate) { Assert.Equal(reference.Exponent, fast.Exponent); Assert.Equal(reference.Data, fast.Data); }
            }
        }

        [Fact]
        public void The_fused_kernels_propagate_the_error_through_the_weights_of_before_the_update()
        {
            var random = new Random(5);
            int inSize = 20, outSize = 6;
            QTensor input = TestData.RandomTensor(random, inSize, -6);
            QTensor grad = TestData.RandomTensor(random, outSize, -6);
            sbyte[] weights = TestData.RandomInt8(random, inSize * outSize);
            var expected = new QTensor(inSize);
            DenseKernelsReference.BackwardInput(grad, (sbyte[])weights.Clone(), -7, inSize, outSize, new int[inSize + outSize], expected);
            var all = Enumerable.Range(0, outSize).ToArray();
            var actual = new QTensor(inSize);
            sbyte[] updated = (sbyte[])weights.Clone();
            Int8UpdateKernels.DenseBackwardUpdate(input, grad, all, all, ShiftSum.FromRatio(1, 2, 3), 0, inSize, outSize, -7, updated,
                -15, new int[outSize], new int[inSize + outSize], actual);
            Assert.NotEqual(weights, updated); // a large rate: the weights moved
            Assert.Equal(expected.Exponent, actual.Exponent);
            Assert.Equal(expected.Data, actual.Data);
        }

        [Theory]
        [InlineData(TrainingStateMode.FusedMaster)]
        [InlineData(TrainingStateMode.FusedInt8)]
        [InlineData(TrainingStateMode.FusedInt8Residue)]
        public void A_fused_training_step_allocates_nothing_after_warm_up(TrainingStateMode mode)
        {
            Network net = Network.CreateMlp(new[] { 8, 32, 16, 3 }, 3, -1, false, mode);
            ShiftSum lr = ShiftSum.FromRatio(1, 128, 3);
            net.SetLearningRate(lr);
            var random = new Random(1);
            var inputs = new QTensor[16];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = TestData.RandomTensor(random, 8, -5);
            void Steps(int count)
            {
                for (int s = 0; s < count; s++)
                {
                    net.Input.CopyFrom(inputs[s % 16]);
                    net.Counters.BeginStep();
                    net.TrainSample(s % 3);
                    if (s % 4 == 3) net.Step(lr, null);
                    net.Predict();
                }
            }
            Steps(32);
            Assert.Equal(0, Allocations.FewestBytes(() => Steps(200)));
        }

        [Theory]
        [InlineData(TrainingStateMode.GradientArena, 717_612)]
        [InlineData(TrainingStateMode.FusedMaster, 310_532)]
        [InlineData(TrainingStateMode.FusedInt8Residue, 158_084)]
        [InlineData(TrainingStateMode.FusedInt8, 107_268)]
        public void Mnist_784_128_10_state_bytes_per_mode(TrainingStateMode mode, int expected)
        {
            Network net = Network.CreateMlp(new[] { 784, 128, 10 }, 1, -1, false, mode);
            MemoryPlan plan = net.DescribeMemory();
            Assert.Equal(expected, plan.TotalBytes);
            Assert.Equal(plan.TotalBytes, net.TotalMemoryBytes());
            Assert.Equal(mode == TrainingStateMode.GradientArena, plan.BytesIn(MemoryCategory.Gradients) > 0);
            // int32 biases stay in every mode; the int16 master goes in FusedInt8 and, for a 4-bit residue per weight, in FusedInt8Residue.
            int master = mode == TrainingStateMode.FusedInt8 ? 0 : mode == TrainingStateMode.FusedInt8Residue ? 101_632 / 2 : 2 * 101_632;
            Assert.Equal(4 * 138 + master, plan.BytesIn(MemoryCategory.MasterWeights));
            // float32 reference for the same network: 4 · (2 · 101,770 parameters + 2 · 1,050 activations) = 822,560 B.
            if (mode == TrainingStateMode.FusedInt8 || mode == TrainingStateMode.FusedInt8Residue)
                Assert.True(4 * plan.TotalBytes <= 822_560, TrainingStateModeNames.Name(mode) + " mode is not 4x below float32");
        }

        [Theory]
        [InlineData(TrainingStateMode.FusedMaster)]
        [InlineData(TrainingStateMode.FusedInt8)]
        [InlineData(TrainingStateMode.FusedInt8Residue)]
        public void The_cost_model_prices_no_gradient_rows_in_the_fused_modes(TrainingStateMode mode)
        {
            Network arena = Network.CreateMlp(new[] { 6, 12, 3 }, 2, -1, false);
            Network fused = Network.CreateMlp(new[] { 6, 12, 3 }, 2, -1, false, mode);
            int ints = arena.TrainingIntsFor(new[] { 12, 0, 3 }, null);
            Assert.Equal(12 * 7 + 3 * 13, ints);
            Assert.Equal(arena.FullBackwardBytes() - 4 * ints, fused.FullBackwardBytes());
        }

        [Theory]
        [InlineData(TrainingStateMode.FusedMaster)]
        [InlineData(TrainingStateMode.FusedInt8)]
        [InlineData(TrainingStateMode.FusedInt8Residue)]
        public void Frozen_channels_stay_bit_for_bit_unchanged_in_a_fused_mode(TrainingStateMode mode)
        {
            Network net = Network.CreateMlp(new[] { 5, 12, 8, 3 }, 3, -1, false, mode);
            ParameterLayer[] layers = net.Layers.OfType<ParameterLayer>().ToArray();
            foreach (ParameterLayer p in layers)
                for (int c = 0; c < p.Channels; c++) { p.ChannelTrainable[c] = c % 3 != 1; p.ChannelBiasOnly[c] = c % 3 == 2; }
            net.ApplySelection();
            sbyte[][] weights = layers.Select(p => (sbyte[])p.Weights.Clone()).ToArray();
            int[][] bias = layers.Select(p => (int[])p.Bias.Clone()).ToArray();
            int[] exponents = layers.Select(p => p.WeightExponent * 1000 + p.BiasExponent).ToArray();
            var rng = new Random(4);
            net.SetLearningRate(ShiftSum.FromRatio(1, 8, 3));
            for (int s = 0; s < 300; s++)
            {
                for (int i = 0; i < net.InputLength; i++) net.Input.Data[i] = (sbyte)rng.Next(-127, 128);
                net.Input.Exponent = -6;
                net.TrainSample(rng.Next(3));
            }
            bool trainedMoved = false, biasOnlyMoved = false;
            for (int q = 0; q < layers.Length; q++)
            {
                ParameterLayer p = layers[q];
                Assert.Equal(exponents[q], p.WeightExponent * 1000 + p.BiasExponent);
                for (int c = 0; c < p.Channels; c++)
                {
                    bool same = weights[q].Skip(c * p.RowLength).Take(p.RowLength).SequenceEqual(p.Weights.Skip(c * p.RowLength).Take(p.RowLength));
                    if (c % 3 == 1) { Assert.True(same); Assert.Equal(bias[q][c], p.Bias[c]); }
                    if (c % 3 == 2) { Assert.True(same); biasOnlyMoved |= bias[q][c] != p.Bias[c]; }
                    if (c % 3 == 0) trainedMoved |= !same;
                }
            }
            Assert.True(trainedMoved, "no trainable row moved");
            Assert.True(biasOnlyMoved, "no bias-only channel learned");
        }

        [Theory]
        [InlineData(TrainingStateMode.GradientArena)]
        [InlineData(TrainingStateMode.FusedMaster)]
        [InlineData(TrainingStateMode.FusedInt8)]
        [InlineData(TrainingStateMode.FusedInt8Residue)]
        public void Every_mode_learns_two_separable_blobs(TrainingStateMode mode)
        {
            Network net = Network.CreateMlp(new[] { 4, 16, 2 }, 7, -1, false, mode);
            ShiftSum lr = ShiftSum.FromRatio(1, 32, 3);
            net.SetLearningRate(lr);
            var rng = new Random(9);
            void Sample(out int label)
            {
                label = rng.Next(2);
                for (int i = 0; i < 4; i++) net.Input.Data[i] = (sbyte)Math.Clamp((label == 0 ? -40 : 40) * (i % 2 == 0 ? 1 : -1) + rng.Next(-50, 51), -127, 127);
                net.Input.Exponent = -6;
            }
            for (int s = 0; s < 1600; s++)
            {
                Sample(out int label);
                net.TrainSample(label);
                if (s % 8 == 7) net.Step(lr, null);
            }
            int correct = 0;
            for (int s = 0; s < 400; s++) { Sample(out int label); if (net.Predict() == label) correct++; }
            Assert.True(correct >= 380, TrainingStateModeNames.Name(mode) + ": " + correct + "/400 correct");
        }

        [Fact]
        public void An_int8_model_saves_its_weights_as_an_exact_master_and_loads_back_identical()
        {
            Network net = Network.CreateMlp(new[] { 6, 10, 3 }, 11, -1, false, TrainingStateMode.FusedInt8);
            net.SetLearningRate(ShiftSum.FromRatio(1, 8, 3));
            var rng = new Random(2);
            for (int s = 0; s < 200; s++)
            {
                for (int i = 0; i < 6; i++) net.Input.Data[i] = (sbyte)rng.Next(-127, 128);
                net.Input.Exponent = -5;
                net.TrainSample(rng.Next(3));
            }
            Assert.All(net.Layers.OfType<ParameterLayer>(), p => Assert.Null(p.MasterWeights));
            byte[] bytes = ModelFile.Save(new Model(net, null));
            foreach (TrainingStateMode mode in TrainingStateModeNames.All)
            {
                Model loaded = ModelFile.Load(bytes, bytes.Length, -1, false, ModelFile.DefaultMaxBytes, mode);
                var a = net.Layers.OfType<ParameterLayer>().ToArray();
                var b = loaded.Network.Layers.OfType<ParameterLayer>().ToArray();
                for (int l = 0; l < a.Length; l++)
                {
                    Assert.Equal(a[l].Weights, b[l].Weights);
                    Assert.Equal(a[l].WeightExponent, b[l].WeightExponent);
                    Assert.Equal(a[l].Bias, b[l].Bias);
                    Assert.Equal(a[l].BiasExponent, b[l].BiasExponent);
                }
                Assert.Equal(bytes, ModelFile.Save(loaded));
            }
        }

        [Fact]
        public void Fused_modes_refuse_momentum_and_layers_without_a_fused_kernel()
        {
            var e = Assert.Throws<ArgumentException>(() => Network.CreateMlp(new[] { 4, 8, 2 }, 1, -1, true, TrainingStateMode.FusedMaster));
            Assert.Contains("momentum", e.Message);
            var conv = new Conv1DLayer(8, 2, 4, 3);
            var layers = new Layer[] { conv, new ReluLayer(conv.OutputLength), new GlobalMaxPoolLayer(6, 4), new DenseLayer(4, 2) };
            var c = Assert.Throws<ArgumentException>(() => new Network(layers, -1, false, TrainingStateMode.FusedInt8));
            Assert.Contains("gradient-arena", c.Message);
        }

        [Fact]
        public void A_fused_mode_says_when_no_learning_rate_was_set()
        {
            Network net = Network.CreateMlp(new[] { 4, 8, 2 }, 1, -1, false, TrainingStateMode.FusedInt8);
            net.Input.Data[0] = 50;
            var e = Assert.Throws<InvalidOperationException>(() => net.TrainSample(1));
            Assert.Contains("SetLearningRate", e.Message);
        }

        [Fact]
        public void A_board_profile_keeps_its_training_mode_through_every_With_helper()
        {
            Assert.Equal(DeviceProfile.DefaultTrainingMode, DeviceProfile.Esp32.TrainingMode);
            DeviceProfile lean = DeviceProfile.Esp32C3.WithTrainingMode(TrainingStateMode.FusedMaster);
            Assert.Equal(TrainingStateMode.FusedMaster, lean.TrainingMode);
            Assert.Equal(DeviceProfile.Esp32C3.HeapBytes, lean.HeapBytes);
            Assert.Equal(DeviceProfile.Esp32C3.ReservedBytes, lean.ReservedBytes);
            Assert.Equal(DeviceProfile.Esp32C3.UpdateAllowanceMs, lean.UpdateAllowanceMs);
            Assert.Equal(DeviceProfile.Esp32C3.TrainingBudgetMacs(), lean.TrainingBudgetMacs());
            Assert.Equal(TrainingStateMode.FusedMaster, lean.WithHeap(60_000, 30_000).TrainingMode);
            Assert.Equal(TrainingStateMode.FusedMaster, lean.WithUpdateAllowance(250).TrainingMode);
            Assert.Equal(250, lean.WithUpdateAllowance(250).UpdateAllowanceMs);
        }
    }
}
