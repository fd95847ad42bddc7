using System;
using FsCheck.Xunit;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// The fast kernels and the plain reference kernels agree bit for bit. Random shapes, zero runs, exponents
    /// and gradient shifts for every dense and update kernel are FsCheck properties in
    /// <see cref="VectorKernelAgreementTests"/> (each holds the board's fast kernel, the host's vector kernel and
    /// the reference equal); Conv1D's are in <see cref="Conv1DTests"/>. This class keeps what those do not reach.
    /// </summary>
    public class KernelAgreementTests
    {
        private static readonly int[] ExtremeBiases =
            { int.MinValue, -int.MaxValue, int.MaxValue, 1 << 30, -(1 << 30), (1 << 30) + 1, -(1 << 30) - 1, 0, 1, -1, 3, -3, 1 << 20, -(1 << 20) };

        /// <summary>
        /// The fast forward kernel aligns the bias inline with its shift hoisted (AlignedBias is the rule): biases
        /// at the int32 extremes, from far coarser than the accumulator (a saturating left shift, offset −40) to so
        /// fine they round to 0 (offset 31). FsCheck picks the offset, the sizes and a seed, and shrinks a failure.
        /// </summary>
        [Property(MaxTest = 300)]
        public void Dense_forward_bias_alignment_equals_reference_at_extreme_biases(byte offsetSeed, byte inSeed, byte outSeed, bool sparseInput, int seed)
        {
            int biasExponentOffset = offsetSeed % 72 - 40; // −40..31
            int inSize = inSeed % 16 + 1, outSize = outSeed % 16 + 1;
            var random = new Random(seed);
            QTensor input = TestData.RandomTensor(random, inSize, -6, sparseInput ? 0.7 : 0.0);
            sbyte[] weights = TestData.RandomInt8(random, inSize * outSize);
            var bias = new int[outSize];
            for (int o = 0; o < outSize; o++)
                bias[o] = random.Next(3) == 0 ? random.Next(int.MinValue, int.MaxValue) : ExtremeBiases[random.Next(ExtremeBiases.Length)];
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
}
