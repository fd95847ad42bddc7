using System;
using System.Linq;
using TinTin.Core;
using FsCheck.Xunit;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>Conv1D and global max pooling, tested as Dense is: fast kernels against the reference bit for bit, training, freezing, the model file, the cost model.</summary>
    public class Conv1DTests
    {
        private const int Window = 8, Filters = 6, Kernel = 3;

        private static Network WindowClassifier(uint seed, bool momentum = false)
        {
            var conv = new Conv1DLayer(Window, 1, Filters, Kernel);
            conv.InitializeHeUniform(seed, Kernel);
            var dense = new DenseLayer(Filters, 2);
            dense.InitializeHeUniform(seed + 1, Filters);
            return new Network(new Layer[] { conv, new ReluLayer(conv.OutputLength), new GlobalMaxPoolLayer(conv.Positions, Filters), dense }, -1, momentum);
        }

        /// <summary>A window of 8 readings: class 1 when it contains a step up, 0 for a step down.</summary>
        private static int Sample(Random random, QTensor input)
        {
            int label = random.Next(2);
            int at = random.Next(1, 8), level = random.Next(-40, 40), step = random.Next(20, 60) * (label == 1 ? 1 : -1);
            for (int i = 0; i < Window; i++) input.Data[i] = QMath.SaturateToInt8(level + (i >= at ? step : 0) + random.Next(-6, 7));
            input.Exponent = -5;
            return label;
        }

        /// <summary>
        /// FsCheck picks the shape (window length, channels, kernel width), the gradient shift and a seed for
        /// the values; a failure shrinks to the smallest shape. Channels cycle through trainable, frozen and
        /// bias-only so the gradient rows have gaps.
        /// </summary>
        [Property(MaxTest = 200)]
        public void Fast_kernels_equal_the_reference_bit_for_bit(byte extraPositions, byte inSeed, byte outSeed, byte kernelSeed, sbyte shiftSeed, int seed)
        {
            int kernel = kernelSeed % 6 + 1, length = kernel + extraPositions % 16;
            int inChannels = inSeed % 4 + 1, outChannels = outSeed % 9 + 1, shift = shiftSeed % 16;
            var random = new Random(seed);
            int rowLength = kernel * inChannels, positions = length - kernel + 1;
            int inLength = length * inChannels, outLength = positions * outChannels;
            // Channel o: frozen (o % 3 == 1), bias-only (o % 3 == 2), else weights and bias.
            var rows = new int[outChannels];
            var biases = new int[outChannels];
            int next = 0;
            for (int o = 0; o < outChannels; o++)
            {
                rows[o] = o % 3 == 0 ? next : -1;
                biases[o] = o % 3 == 1 ? -1 : (o % 3 == 0 ? next + rowLength : next);
                next += o % 3 == 0 ? rowLength + 1 : (o % 3 == 2 ? 1 : 0);
            }
            sbyte[] weights = TestData.RandomInt8(random, outChannels * rowLength);
            int[] bias = Enumerable.Range(0, outChannels).Select(_ => random.Next(-100000, 100000)).ToArray();
            QTensor input = TestData.RandomTensor(random, inLength, random.Next(-9, 2), 0.3);
            var scratchFast = new int[Math.Max(inLength, outLength)];
            var scratchReference = new int[Math.Max(inLength, outLength)];
            var fast = new QTensor(outLength);
            var reference = new QTensor(outLength);
            Conv1DKernels.Forward(input, weights, -7, bias, -15, length, inChannels, outChannels, kernel, scratchFast, fast);
            Conv1DKernelsReference.Forward(input, weights, -7, bias, -15, length, inChannels, outChannels, kernel, scratchReference, reference);
            Assert.Equal(reference.Data, fast.Data);
            Assert.Equal(reference.Exponent, fast.Exponent);

            QTensor grad = TestData.RandomTensor(random, outLength, -12, 0.3);
            var dxFast = new QTensor(inLength);
            var dxReference = new QTensor(inLength);
            Conv1DKernels.BackwardInput(grad, weights, -7, length, inChannels, outChannels, kernel, scratchFast, dxFast);
            Conv1DKernelsReference.BackwardInput(grad, weights, -7, length, inChannels, outChannels, kernel, scratchReference, dxReference);
            Assert.Equal(dxReference.Data, dxFast.Data);
            Assert.Equal(dxReference.Exponent, dxFast.Exponent);

            var gFast = new int[next];
            var gReference = new int[next];
            for (int i = 0; i < next; i++) gFast[i] = gReference[i] = random.Next(-1000000, 1000000);
            int biasShift = shift - input.Exponent;
            Conv1DKernels.BackwardWeights(input, grad, rows, biases, length, inChannels, outChannels, kernel, shift, biasShift, gFast);
            Conv1DKernelsReference.BackwardWeights(input, grad, rows, biases, length, inChannels, outChannels, kernel, shift, biasShift, gReference);
            Assert.Equal(gReference, gFast);
        }

        [Fact]
        public void A_convolution_and_pooling_network_learns_windows_of_samples()
        {
            Network net = WindowClassifier(3);
            var random = new Random(1);
            ShiftSum lr = ShiftSum.FromRatio(1, 64, 3);
            for (int s = 0; s < 4000; s++)
            {
                net.TrainSample(Sample(random, net.Input));
                if (s % 8 == 7) net.Step(lr, null);
            }
            int correct = 0;
            for (int s = 0; s < 500; s++)
            {
                int label = Sample(random, net.Input);
                if (net.Predict() == label) correct++;
            }
            Assert.True(correct >= 450, $"{correct}/500 windows classified correctly");
        }

        [Fact]
        public void Frozen_filters_stay_bit_for_bit_unchanged_and_bias_only_filters_keep_their_weights()
        {
            Network net = WindowClassifier(5);
            var conv = (Conv1DLayer)net.Layers[0];
            for (int c = 0; c < conv.Channels; c++) { conv.ChannelTrainable[c] = c % 3 != 1; conv.ChannelBiasOnly[c] = c % 3 == 2; }
            net.ApplySelection();
            short[] master = (short[])conv.MasterWeights.Clone();
            sbyte[] weights = (sbyte[])conv.Weights.Clone();
            int[] bias = (int[])conv.Bias.Clone();
            var random = new Random(2);
            for (int s = 0; s < 200; s++)
            {
                net.TrainSample(Sample(random, net.Input));
                if (s % 4 == 3) net.Step(ShiftSum.FromRatio(1, 16, 3), null);
            }
            bool trainedChanged = false, biasOnlyChanged = false;
            for (int c = 0; c < conv.Channels; c++)
            {
                var rowMaster = conv.MasterWeights.Skip(c * conv.RowLength).Take(conv.RowLength);
                if (c % 3 == 0) { trainedChanged |= !rowMaster.SequenceEqual(master.Skip(c * conv.RowLength).Take(conv.RowLength)); continue; }
                Assert.Equal(master.Skip(c * conv.RowLength).Take(conv.RowLength), rowMaster);
                Assert.Equal(weights.Skip(c * conv.RowLength).Take(conv.RowLength), conv.Weights.Skip(c * conv.RowLength).Take(conv.RowLength));
                if (c % 3 == 1) Assert.Equal(bias[c], conv.Bias[c]);
                else biasOnlyChanged |= bias[c] != conv.Bias[c];
            }
            Assert.True(trainedChanged, "the trainable filters never changed");
            Assert.True(biasOnlyChanged, "the bias-only filters' biases never changed");
        }

        [Fact]
        public void The_model_file_round_trips_a_convolution_network_exactly()
        {
            Network net = WindowClassifier(7);
            var random = new Random(3);
            for (int s = 0; s < 64; s++) { net.TrainSample(Sample(random, net.Input)); if (s % 8 == 7) net.Step(ShiftSum.FromRatio(1, 32, 3), null); }
            byte[] saved = ModelFile.Save(new Model(net, null));
            Model loaded = ModelFile.Load(saved, saved.Length, -1, false);
            Assert.Equal(saved, ModelFile.Save(loaded));
            Assert.Equal(new[] { LayerKind.Conv1D, LayerKind.Relu, LayerKind.GlobalMaxPool, LayerKind.Dense }, loaded.Network.Layers.Select(l => l.Kind));
            ModelFile.Shape(saved, saved.Length, out int inputs, out int classes);
            Assert.Equal((loaded.Network.InputLength, loaded.Network.ClassCount), (inputs, classes));
            var conv = (Conv1DLayer)loaded.Network.Layers[0];
            Assert.Equal((Window, 1, Filters, Kernel), (conv.Length, conv.InChannels, conv.OutChannels, conv.Kernel));
            for (int s = 0; s < 50; s++)
            {
                Sample(random, net.Input);
                loaded.Network.Input.CopyFrom(net.Input);
                net.Forward();
                loaded.Network.Forward();
                Assert.Equal(net.Output.Data, loaded.Network.Output.Data);
                Assert.Equal(net.Output.Exponent, loaded.Network.Output.Exponent);
            }
        }

        [Fact]
        public void A_convolution_shape_that_does_not_fit_is_rejected_naming_the_field()
        {
            byte[] saved = ModelFile.Save(new Model(WindowClassifier(9), null));
            // layer 0 header at 14: kind, in, out; then u16 input channels at 19, u16 kernel at 21.
            byte[] bad = (byte[])saved.Clone();
            LittleEndian.PutU16(bad, 21, Window + 1);
            LittleEndian.PutU32(bad, bad.Length - 4, Crc32.Compute(bad, 0, bad.Length - 4));
            var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(bad, bad.Length, -1, false));
            Assert.Contains("(Conv1D) kernel", e.Message);
            bad = (byte[])saved.Clone();
            LittleEndian.PutU16(bad, 19, 3);
            LittleEndian.PutU32(bad, bad.Length - 4, Crc32.Compute(bad, 0, bad.Length - 4));
            e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(bad, bad.Length, -1, false));
            Assert.Contains("(Conv1D) input channels", e.Message);
        }

        [Fact]
        public void Scoring_selection_and_the_cost_model_work_on_a_convolution_network()
        {
            Network net = WindowClassifier(11);
            var scorer = new FisherScorer(net);
            var selector = new ChannelSelector(net, scorer, 8);
            var random = new Random(4);
            scorer.Begin();
            for (int s = 0; s < 32; s++) scorer.AddCurrentInput(Sample(random, net.Input));
            scorer.Finish();
            Assert.True(scorer.HasScores);
            Assert.Contains(Enumerable.Range(0, Filters), c => scorer.Potential(0, c) > 0);
            selector.BudgetBytes = net.BackwardBytesFor(new[] { 0, 0, 0, 2 }, null) + 60;
            int selected = selector.SelectSparse();
            Assert.True(selected > 0);
            Assert.True(selector.SelectedBytes <= selector.BudgetBytes);
            net.Counters.BeginStep();
            net.TrainSample(Sample(random, net.Input));
            Assert.Equal(net.ForwardMacs() + net.BackwardMacs(), net.Counters.StepMacs);
            MemoryPlan plan = net.DescribeMemory();
            Assert.Equal(plan.UsedBytesIn(MemoryCategory.Activations) + plan.UsedBytesIn(MemoryCategory.ActivationGradients)
                + plan.UsedBytesIn(MemoryCategory.Gradients) + plan.UsedBytesIn(MemoryCategory.OptimizerState), net.BackwardBytes());
        }
    }
}
