using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>The fast kernels and the plain reference kernels agree bit for bit.</summary>
    public class KernelAgreementTests
    {
        [Theory]
        [InlineData(1, 1, 0.0)]
        [InlineData(7, 3, 0.5)]
        [InlineData(64, 33, 0.0)]
        [InlineData(200, 17, 0.9)]
        public void Dense_forward_fast_equals_reference(int inSize, int outSize, double zeroFraction)
        {
            var random = new Random(inSize * 31 + outSize);
            for (int trial = 0; trial < 50; trial++)
            {
                QTensor input = TestData.RandomTensor(random, inSize, random.Next(-12, 3), zeroFraction);
                sbyte[] weights = TestData.RandomInt8(random, inSize * outSize);
                var bias = new int[outSize];
                for (int o = 0; o < outSize; o++) bias[o] = random.Next(-(1 << 24), 1 << 24);
                int wExp = random.Next(-14, 0), bExp = random.Next(-30, -5);
                var fast = new QTensor(outSize);
                var reference = new QTensor(outSize);
                DenseKernels.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], fast);
                DenseKernelsReference.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], reference);
                Assert.Equal(reference.Exponent, fast.Exponent);
                Assert.Equal(reference.Data, fast.Data);
            }
        }

        [Theory]
        [InlineData(-40)]  // bias far coarser than the accumulator: saturating left shift
        [InlineData(-20)]
        [InlineData(-1)]
        [InlineData(0)]
        [InlineData(1)]    // bias finer: rounding right shift
        [InlineData(17)]
        [InlineData(31)]   // so fine it rounds to 0
        public void Dense_forward_bias_alignment_equals_reference_at_extreme_biases(int biasExponentOffset)
        {
            // The fast kernel aligns the bias inline with its shift hoisted; AlignedBias is the rule.
            var random = new Random(500 + biasExponentOffset);
            int inSize = 9, outSize = 12;
            int[] extremes = { int.MinValue, -int.MaxValue, int.MaxValue, 1 << 30, -(1 << 30), (1 << 30) + 1, -(1 << 30) - 1, 0, 1, -1, 3, -3, 1 << 20, -(1 << 20) };
            for (int trial = 0; trial < 20; trial++)
            {
                QTensor input = TestData.RandomTensor(random, inSize, -6, trial % 2 == 0 ? 0.0 : 0.7);
                sbyte[] weights = TestData.RandomInt8(random, inSize * outSize);
                var bias = new int[outSize];
                for (int o = 0; o < outSize; o++) bias[o] = random.Next(3) == 0 ? random.Next(int.MinValue, int.MaxValue) : extremes[random.Next(extremes.Length)];
                int wExp = -7;
                int bExp = input.Exponent + wExp - biasExponentOffset;
                var fast = new QTensor(outSize);
                var reference = new QTensor(outSize);
                DenseKernels.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], fast);
                DenseKernelsReference.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], reference);
                Assert.Equal(reference.Exponent, fast.Exponent);
                Assert.Equal(reference.Data, fast.Data);
            }
        }

        [Theory]
        [InlineData(5, 4, 0.0)]
        [InlineData(120, 10, 0.6)]
        public void Dense_backward_input_fast_equals_reference(int inSize, int outSize, double zeroFraction)
        {
            var random = new Random(inSize + 7 * outSize);
            for (int trial = 0; trial < 50; trial++)
            {
                QTensor grad = TestData.RandomTensor(random, outSize, random.Next(-20, -5), zeroFraction);
                sbyte[] weights = TestData.RandomInt8(random, inSize * outSize);
                var fast = new QTensor(inSize);
                var reference = new QTensor(inSize);
                DenseKernels.BackwardInput(grad, weights, -7, inSize, outSize, new int[inSize + outSize], fast);
                DenseKernelsReference.BackwardInput(grad, weights, -7, inSize, outSize, new int[inSize + outSize], reference);
                Assert.Equal(reference.Exponent, fast.Exponent);
                Assert.Equal(reference.Data, fast.Data);
            }
        }

        [Theory]
        [InlineData(8)]    // contribution finer than... guard: left shift
        [InlineData(3)]
        [InlineData(0)]
        [InlineData(-4)]   // contribution finer than the rows: pseudo-stochastic right shift
        [InlineData(-13)]
        [InlineData(-1)]   // right shift 1: rounds to nearest (not inlined)
        [InlineData(-31)]  // right shift above 30: every contribution rounds to 0
        public void Dense_backward_weights_fast_equals_reference(int shift)
        {
            var random = new Random(100 + shift);
            int inSize = 37, outSize = 9;
            // Channel o: frozen (o % 3 == 1), bias-only (o % 3 == 2: one int), else weights and bias.
            var offsets = new int[outSize];
            var biasOffsets = new int[outSize];
            int next = 0;
            for (int o = 0; o < outSize; o++)
            {
                offsets[o] = o % 3 == 0 ? next : -1;
                biasOffsets[o] = o % 3 == 1 ? -1 : (o % 3 == 0 ? next + inSize : next);
                next += o % 3 == 0 ? inSize + 1 : (o % 3 == 2 ? 1 : 0);
            }
            for (int trial = 0; trial < 30; trial++)
            {
                QTensor input = TestData.RandomTensor(random, inSize, random.Next(-9, 2), 0.3);
                QTensor grad = TestData.RandomTensor(random, outSize, -12, 0.2);
                var fast = new int[next];
                var reference = new int[next];
                for (int i = 0; i < next; i++) fast[i] = reference[i] = random.Next(-1000000, 1000000);
                int biasShift = shift - input.Exponent; // the bias is a weight on the constant input 1
                DenseKernels.BackwardWeights(input, grad, offsets, biasOffsets, inSize, outSize, shift, biasShift, fast);
                DenseKernelsReference.BackwardWeights(input, grad, offsets, biasOffsets, inSize, outSize, shift, biasShift, reference);
                Assert.Equal(reference, fast);
            }
        }

        [Theory]
        [InlineData(1, 64, -20, -16)]
        [InlineData(3, 1000, -30, -12)]
        [InlineData(1, 3, -10, -14)]     // shift < 2: falls back to the reference path
        [InlineData(7, 5, -40, -10)]
        public void Sgd_update_fast_equals_reference(int lrNumerator, int lrDenominator, int gradExponent, int masterExponent)
        {
            var random = new Random(lrDenominator);
            ShiftSum lr = ShiftSum.FromRatio(lrNumerator, lrDenominator, 3);
            int channels = 6, rowLength = 50;
            var offsets = new int[channels];
            for (int c = 0; c < channels; c++) offsets[c] = c == 2 ? -1 : c * (rowLength + 1);
            var gradients = new int[channels * (rowLength + 1)];
            for (int i = 0; i < gradients.Length; i++) gradients[i] = random.Next(-(1 << 28), 1 << 28) >> random.Next(0, 28);
            var fast = new short[channels * rowLength];
            for (int i = 0; i < fast.Length; i++) fast[i] = (short)random.Next(-32767, 32768);
            var reference = (short[])fast.Clone();
            UpdateKernels.SgdMasterRows(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, fast);
            UpdateKernelsReference.SgdMasterRows(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, reference);
            Assert.Equal(reference, fast);
        }
    }
}
