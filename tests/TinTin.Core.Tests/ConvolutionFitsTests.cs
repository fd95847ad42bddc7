using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// The engine is designed so a 1-D convolution and pooling over a window of sensor samples fit
    /// without changing it. This file proves it: both layers are written here, outside the engine,
    /// against its public/protected surface only, and a network of them trains, scores and
    /// freezes channels like a Dense one.
    /// </summary>
    public class ConvolutionFitsTests
    {
        /// <summary>
        /// Valid 1-D convolution, stride 1. Input [length][inChannels], output
        /// [length − kernel + 1][outChannels]; channel o's row is [kernel][inChannels], so the
        /// window at position p is the contiguous input slice [p·inC, (p+kernel)·inC).
        /// </summary>
        private sealed class Conv1DLayer : ParameterLayer
        {
            private readonly int inChannels, kernel, positions;
            private int[] scratch;

            public Conv1DLayer(int length, int inChannels, int outChannels, int kernel)
                : base(length * inChannels, (length - kernel + 1) * outChannels, outChannels, kernel * inChannels)
            {
                this.inChannels = inChannels; this.kernel = kernel; positions = length - kernel + 1;
            }

            public override LayerKind Kind => (LayerKind)100;
            public override long ForwardMacs => (long)positions * Channels * RowLength;
            public override int ScratchInts => Math.Max(OutputLength, InputLength);
            public override void BindScratch(int[] shared) { scratch = shared; }

            public override void Forward(QTensor input, QTensor output)
            {
                int accExponent = input.Exponent + WeightExponent;
                for (int p = 0; p < positions; p++)
                    for (int o = 0; o < Channels; o++)
                    {
                        int acc = DenseKernels.AlignedBias(Bias[o], BiasExponent, accExponent);
                        int start = p * inChannels, row = o * RowLength;
                        for (int j = 0; j < RowLength; j++) acc += Weights[row + j] * input.Data[start + j];
                        scratch[p * Channels + o] = acc;
                    }
                output.Exponent = accExponent + QMath.RequantizeToInt8(scratch, OutputLength, output.Data);
            }

            public override void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad)
            {
                if (FormsGradients)
                {
                    int shift = AlignGradientContribution(outputGrad.Exponent + input.Exponent);
                    for (int o = 0; o < Channels; o++)
                    {
                        int offset = GradientOffset(o);
                        if (offset < 0) continue;
                        for (int p = 0; p < positions; p++)
                        {
                            int e = outputGrad.Data[p * Channels + o];
                            for (int j = 0; j < RowLength; j++)
                                GradientPool[offset + j] += QMath.ShiftStochastic(e * input.Data[p * inChannels + j], -shift);
                            GradientPool[offset + RowLength] = QMath.SaturatingAdd(GradientPool[offset + RowLength], QMath.ShiftStochastic(e, input.Exponent - shift));
                        }
                    }
                }
                if (inputGrad == null) return;
                Array.Clear(scratch, 0, InputLength);
                for (int p = 0; p < positions; p++)
                    for (int o = 0; o < Channels; o++)
                    {
                        int e = outputGrad.Data[p * Channels + o];
                        for (int j = 0; j < RowLength; j++) scratch[p * inChannels + j] += Weights[o * RowLength + j] * e;
                    }
                inputGrad.Exponent = WeightExponent + outputGrad.Exponent + QMath.RequantizeToInt8(scratch, InputLength, inputGrad.Data);
            }
        }

        /// <summary>Global max pooling over positions: [positions][channels] → [channels].</summary>
        private sealed class GlobalMaxPoolLayer : Layer
        {
            private readonly int channels;
            public GlobalMaxPoolLayer(int positions, int channels) : base(positions * channels, channels) { this.channels = channels; }
            public override LayerKind Kind => (LayerKind)101;
            public override bool KeepsInputForBackward(bool propagatesError, int weightChannels, int biasOnlyChannels) => propagatesError;

            public override void Forward(QTensor input, QTensor output)
            {
                for (int c = 0; c < channels; c++)
                {
                    int best = -128;
                    for (int i = c; i < InputLength; i += channels) if (input.Data[i] > best) best = input.Data[i];
                    output.Data[c] = (sbyte)best;
                }
                output.Exponent = input.Exponent;
            }

            public override void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad)
            {
                if (inputGrad == null) return;
                Array.Clear(inputGrad.Data, 0, InputLength);
                for (int c = 0; c < channels; c++)
                    for (int i = c; i < InputLength; i += channels)
                        if (input.Data[i] == output.Data[c]) { inputGrad.Data[i] = outputGrad.Data[c]; break; }
                inputGrad.Exponent = outputGrad.Exponent;
            }
        }

        private static Network BuildWindowClassifier(uint seed)
        {
            const int window = 8, filters = 6, kernel = 3;
            var conv = new Conv1DLayer(window, 1, filters, kernel);
            conv.InitializeHeUniform(seed, kernel);
            var dense = new DenseLayer(filters, 2);
            dense.InitializeHeUniform(seed + 1, filters);
            var net = new Network(new Layer[] { conv, new ReluLayer(conv.OutputLength), new GlobalMaxPoolLayer(window - kernel + 1, filters), dense }, -1, false);
            net.SetAllTrainable(true);
            return net;
        }

        /// <summary>A window of 8 readings: class 1 when it contains a step up, 0 for a step down.</summary>
        private static int Sample(Random random, QTensor input)
        {
            int label = random.Next(2);
            int at = random.Next(1, 8), level = random.Next(-40, 40), step = random.Next(20, 60) * (label == 1 ? 1 : -1);
            for (int i = 0; i < 8; i++) input.Data[i] = QMath.SaturateToInt8(level + (i >= at ? step : 0) + random.Next(-6, 7));
            input.Exponent = -5;
            return label;
        }

        [Fact]
        public void A_convolution_and_pooling_network_trains_on_windows_of_samples()
        {
            Network net = BuildWindowClassifier(3);
            var random = new Random(1);
            ShiftSum lr = ShiftSum.FromRatio(1, 64, 3);
            for (int s = 0; s < 4000; s++)
            {
                int label = Sample(random, net.Input);
                net.TrainSample(label);
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
        public void Frozen_convolution_filters_stay_bit_for_bit_unchanged()
        {
            Network net = BuildWindowClassifier(5);
            var conv = (ParameterLayer)net.Layers[0];
            for (int c = 0; c < conv.Channels; c++) conv.ChannelTrainable[c] = c % 2 == 0;
            net.ApplySelection();
            short[] master = (short[])conv.MasterWeights.Clone();
            sbyte[] weights = (sbyte[])conv.Weights.Clone();
            var random = new Random(2);
            for (int s = 0; s < 200; s++)
            {
                net.TrainSample(Sample(random, net.Input));
                if (s % 4 == 3) net.Step(ShiftSum.FromRatio(1, 16, 3), null);
            }
            bool changed = false;
            for (int c = 0; c < conv.Channels; c++)
                for (int j = 0; j < conv.RowLength; j++)
                {
                    int i = c * conv.RowLength + j;
                    if (c % 2 == 1)
                    {
                        Assert.Equal(master[i], conv.MasterWeights[i]);
                        Assert.Equal(weights[i], conv.Weights[i]);
                    }
                    else changed |= master[i] != conv.MasterWeights[i];
                }
            Assert.True(changed, "the trainable filters never changed");
        }
    }
}
