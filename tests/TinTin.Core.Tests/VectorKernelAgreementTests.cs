using System;
using System.Linq;
using FsCheck;
using FsCheck.Xunit;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// The host's SIMD dense kernels (<see cref="DenseKernelsVector"/>), the board's fast kernels
    /// (<see cref="DenseKernels"/>) and the plain reference agree bit for bit, over random shapes (FsCheck picks
    /// the sizes, zero fraction, exponents and a seed for the values; a failure shrinks to the smallest shape).
    /// Values cover the whole int8 range, −128 included, and sizes cover the vector tails (not multiples of 8/16).
    /// </summary>
    public class VectorKernelAgreementTests
    {
        private static QTensor Tensor(Random random, int length, int exponent, int zeroPercent)
        {
            var t = new QTensor(length) { Exponent = exponent };
            // Zeros in runs as well as scattered: the vector kernels skip all-zero blocks.
            int run = random.Next(0, 40);
            for (int i = 0; i < length; i++)
                t.Data[i] = (i / 20 % 3 == 0 && i % 20 < run) || random.Next(100) < zeroPercent ? (sbyte)0 : (sbyte)random.Next(-128, 128);
            return t;
        }

        /// <summary>
        /// A random SGD-on-masters case: a learning rate from r, a gradient exponent from exponentSeed, rows of
        /// rowLength gradients at offsets (about one channel in five frozen, -1), a quarter of them zero, and masters.
        /// </summary>
        private static (ShiftSum lr, int gradExponent, int masterExponent, int[] offsets, int[] gradients, short[] master)
            RandomSgdRows(Random random, uint r, byte exponentSeed, int channels, int rowLength)
        {
            ShiftSum lr = ShiftSum.FromRatio((int)(r % 97) + 1, (int)(r / 97 % 5000) + 1, (int)(r % 4) + 1);
            int gradExponent = -(exponentSeed % 64), masterExponent = random.Next(-20, -5);
            var offsets = new int[channels];
            int next = 0;
            for (int c = 0; c < channels; c++)
            {
                offsets[c] = random.Next(5) == 0 ? -1 : next + 1;
                next += rowLength + 1;
            }
            var gradients = new int[next + 1];
            for (int i = 0; i < gradients.Length; i++)
                gradients[i] = random.Next(4) == 0 ? 0 : random.Next(int.MinValue + 1, int.MaxValue) >> random.Next(0, 31);
            var master = new short[channels * rowLength];
            for (int i = 0; i < master.Length; i++) master[i] = (short)random.Next(-32767, 32768);
            return (lr, gradExponent, masterExponent, offsets, gradients, master);
        }

        private static sbyte[] Int8(Random random, int length)
        {
            var a = new sbyte[length];
            random.NextBytes((byte[])(Array)a);
            return a;
        }

        [Fact]
        public void The_vector_paths_run_on_this_machine()
        {
            // Without AVX2 every call would fall back to DenseKernels and the properties below would test nothing new.
            Assert.True(DenseKernelsVector.IsAccelerated || !System.Runtime.Intrinsics.X86.X86Base.IsSupported,
                "an x86 CPU without AVX2: the SIMD kernels are not exercised");
        }

        [Property(MaxTest = 300)]
        public void Forward_agrees(byte inSeed, byte outSeed, byte zeroSeed, int seed)
        {
            int inSize = inSeed * 3 + 1, outSize = outSeed % 40 + 1, zeroPercent = zeroSeed % 101;
            var random = new Random(seed);
            QTensor input = Tensor(random, inSize, random.Next(-12, 3), zeroPercent);
            sbyte[] weights = Int8(random, inSize * outSize);
            int[] bias = Enumerable.Range(0, outSize).Select(_ => random.Next(-(1 << 24), 1 << 24)).ToArray();
            int wExp = random.Next(-14, 0), bExp = random.Next(-30, -5);
            var vector = new QTensor(outSize);
            var fast = new QTensor(outSize);
            var reference = new QTensor(outSize);
            DenseKernelsVector.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], vector);
            DenseKernels.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], fast);
            DenseKernelsReference.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], reference);
            Assert.Equal(reference.Exponent, vector.Exponent);
            Assert.Equal(reference.Data, vector.Data);
            Assert.Equal(reference.Exponent, fast.Exponent);
            Assert.Equal(reference.Data, fast.Data);
        }

        /// <summary>Short rows (the board's small layers): 1..16 inputs, so the board kernel's one-pass path for 5..8 non-zero inputs runs often.</summary>
        [Property(MaxTest = 300)]
        public void Forward_agrees_on_short_rows(byte inSeed, byte outSeed, byte zeroSeed, int seed)
        {
            int inSize = inSeed % 16 + 1, outSize = outSeed % 40 + 1, zeroPercent = zeroSeed % 60;
            BoardForwardAgrees(new Random(seed), inSize, outSize, zeroPercent);
        }

        /// <summary>One or two output rows (a 2-class head): the board kernel's one-pass path without an input list; biases at the extremes too.</summary>
        [Property(MaxTest = 300)]
        public void Forward_agrees_on_one_and_two_rows(byte inSeed, bool twoRows, byte zeroSeed, int seed)
        {
            int inSize = inSeed % 64 + 1, outSize = twoRows ? 2 : 1, zeroPercent = zeroSeed % 101;
            BoardForwardAgrees(new Random(seed), inSize, outSize, zeroPercent);
        }

        /// <summary>The board kernel against the reference on one random case: biases anywhere in int32 (the extremes too), any bias exponent.</summary>
        private static void BoardForwardAgrees(Random random, int inSize, int outSize, int zeroPercent)
        {
            QTensor input = Tensor(random, inSize, random.Next(-12, 3), zeroPercent);
            sbyte[] weights = Int8(random, inSize * outSize);
            int[] bias = Enumerable.Range(0, outSize).Select(_ => random.Next(6) == 0 ? (random.Next(2) == 0 ? int.MinValue : int.MaxValue)
                : random.Next(int.MinValue, int.MaxValue) >> random.Next(0, 31)).ToArray();
            int wExp = random.Next(-14, 0), bExp = random.Next(-45, -5);
            var fast = new QTensor(outSize);
            var reference = new QTensor(outSize);
            DenseKernels.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], fast);
            DenseKernelsReference.Forward(input, weights, wExp, bias, bExp, inSize, outSize, new int[inSize + outSize], reference);
            Assert.Equal(reference.Exponent, fast.Exponent);
            Assert.Equal(reference.Data, fast.Data);
        }

        [Property(MaxTest = 300)]
        public void BackwardInput_agrees(byte inSeed, byte outSeed, byte zeroSeed, int seed)
        {
            int inSize = inSeed * 3 + 1, outSize = outSeed % 40 + 1, zeroPercent = zeroSeed % 101;
            var random = new Random(seed);
            QTensor grad = Tensor(random, outSize, random.Next(-20, -5), zeroPercent);
            sbyte[] weights = Int8(random, inSize * outSize);
            var vector = new QTensor(inSize);
            var fast = new QTensor(inSize);
            var reference = new QTensor(inSize);
            DenseKernelsVector.BackwardInput(grad, weights, -7, inSize, outSize, new int[inSize + outSize], vector);
            DenseKernels.BackwardInput(grad, weights, -7, inSize, outSize, new int[inSize + outSize], fast);
            DenseKernelsReference.BackwardInput(grad, weights, -7, inSize, outSize, new int[inSize + outSize], reference);
            Assert.Equal(reference.Exponent, vector.Exponent);
            Assert.Equal(reference.Data, vector.Data);
            Assert.Equal(reference.Exponent, fast.Exponent);
            Assert.Equal(reference.Data, fast.Data);
        }

        /// <summary>1..4 non-zero output gradients (a 2-class head has 2): the board kernel's one-pass path with them in locals.</summary>
        [Property(MaxTest = 300)]
        public void BackwardInput_agrees_with_few_non_zero_gradients(byte inSeed, byte outSeed, byte nonZeroSeed, int seed)
        {
            int inSize = inSeed % 40 + 1, outSize = outSeed % 40 + 1;
            var random = new Random(seed);
            var grad = new QTensor(outSize) { Exponent = random.Next(-20, -5) };
            for (int k = nonZeroSeed % 4 + 1; k > 0; k--) grad.Data[random.Next(outSize)] = (sbyte)random.Next(-128, 128);
            sbyte[] weights = Int8(random, inSize * outSize);
            var fast = new QTensor(inSize);
            var reference = new QTensor(inSize);
            DenseKernels.BackwardInput(grad, weights, -7, inSize, outSize, new int[inSize + outSize], fast);
            DenseKernelsReference.BackwardInput(grad, weights, -7, inSize, outSize, new int[inSize + outSize], reference);
            Assert.Equal(reference.Exponent, fast.Exponent);
            Assert.Equal(reference.Data, fast.Data);
        }

        /// <summary>
        /// Shifts from +8 (left) through 0 to −33 (pseudo-stochastic right shifts, including the &lt; 2 rounding
        /// case and the &gt; 30 nothing-added case); channels frozen, bias-only or full, in random arena order.
        /// </summary>
        [Property(MaxTest = 300)]
        public void BackwardWeights_agrees(byte inSeed, byte outSeed, byte zeroSeed, byte shiftSeed, int seed)
        {
            int inSize = inSeed * 3 + 1, outSize = outSeed % 24 + 1, zeroPercent = zeroSeed % 101;
            int shift = 8 - shiftSeed % 42;
            var random = new Random(seed);
            var offsets = new int[outSize];
            var biasOffsets = new int[outSize];
            int next = 0;
            foreach (int o in Enumerable.Range(0, outSize).OrderBy(_ => random.Next()))
            {
                int kind = random.Next(3); // 0 full, 1 frozen, 2 bias-only
                offsets[o] = kind == 0 ? next : -1;
                biasOffsets[o] = kind == 1 ? -1 : (kind == 0 ? next + inSize : next);
                next += kind == 0 ? inSize + 1 : (kind == 2 ? 1 : 0);
            }
            QTensor input = Tensor(random, inSize, random.Next(-9, 2), zeroPercent);
            QTensor grad = Tensor(random, outSize, -12, zeroPercent / 2);
            var vector = new int[next];
            for (int i = 0; i < next; i++) vector[i] = random.Next(-1000000, 1000000);
            var fast = (int[])vector.Clone();
            var reference = (int[])vector.Clone();
            int biasShift = shift - input.Exponent; // the bias is a weight on the constant input 1
            DenseKernelsVector.BackwardWeights(input, grad, offsets, biasOffsets, inSize, outSize, shift, biasShift, vector);
            DenseKernels.BackwardWeights(input, grad, offsets, biasOffsets, inSize, outSize, shift, biasShift, fast);
            DenseKernelsReference.BackwardWeights(input, grad, offsets, biasOffsets, inSize, outSize, shift, biasShift, reference);
            Assert.Equal(reference, vector);
            Assert.Equal(reference, fast);
        }

        /// <summary>
        /// The SGD step on int16 master rows: random rate (1..4 ShiftSum terms), exponents putting the shift from
        /// below 2 (scalar fallback) to beyond 62, gradients of every magnitude (zeros included), frozen rows.
        /// </summary>
        [Property(MaxTest = 300)]
        public void SgdMasterRows_agrees(byte lengthSeed, byte channelSeed, DoNotSize<int> rateSeed, byte exponentSeed, int seed)
        {
            int rowLength = lengthSeed % 70 + 1, channels = channelSeed % 9 + 1;
            var random = new Random(seed);
            var (lr, gradExponent, masterExponent, offsets, gradients, reference) = RandomSgdRows(random, (uint)rateSeed.Item, exponentSeed, channels, rowLength);
            var fast = (short[])reference.Clone();
            var vector = (short[])reference.Clone();
            UpdateKernelsReference.SgdMasterRows(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, reference);
            UpdateKernels.SgdMasterRows(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, fast);
            UpdateKernelsVector.SgdMasterRows(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, vector);
            Assert.Equal(reference, fast);
            Assert.Equal(reference, vector);
        }

        /// <summary>
        /// The fused step (SGD, the trained rows' int8 refresh at a given shift, their largest magnitude in one pass;
        /// board and host) against the reference step followed by QMath's refresh and MaxAbs row by row.
        /// </summary>
        [Property(MaxTest = 300)]
        public void SgdMasterRowsRefresh_agrees(byte lengthSeed, byte channelSeed, DoNotSize<int> rateSeed, byte exponentSeed, byte int8ShiftSeed, int seed)
        {
            int rowLength = lengthSeed % 70 + 1, channels = channelSeed % 9 + 1, int8Shift = int8ShiftSeed % 16;
            var random = new Random(seed);
            var (lr, gradExponent, masterExponent, offsets, gradients, master) = RandomSgdRows(random, (uint)rateSeed.Item, exponentSeed, channels, rowLength);
            var weights = new sbyte[master.Length];
            random.NextBytes((byte[])(Array)weights);
            var fastMaster = (short[])master.Clone();
            var hostMaster = (short[])master.Clone();
            var fastWeights = (sbyte[])weights.Clone();
            var hostWeights = (sbyte[])weights.Clone();

            UpdateKernelsReference.SgdMasterRows(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, master);
            int max = 0;
            for (int c = 0; c < channels; c++)
            {
                if (offsets[c] < 0) continue;
                QMath.RoundingShiftToInt8(master, c * rowLength, rowLength, int8Shift, weights, c * rowLength);
                max = Math.Max(max, QMath.MaxAbs(master, c * rowLength, rowLength));
            }
            int fastMax = UpdateKernels.SgdMasterRowsRefresh(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, fastMaster, int8Shift, fastWeights);
            int hostMax = TargetUpdateKernels.SgdMasterRowsRefresh(gradients, gradExponent, lr, offsets, channels, rowLength, masterExponent, hostMaster, int8Shift, hostWeights);
            Assert.Equal(master, fastMaster);
            Assert.Equal(weights, fastWeights);
            Assert.Equal(max, fastMax);
            Assert.Equal(master, hostMaster);
            Assert.Equal(weights, hostWeights);
            Assert.Equal(max, hostMax);
        }

        /// <summary>The bias step's int32 fast path against its definition: ShiftSum.ApplyStochastic, then QMath.SaturatingAdd.</summary>
        [Property(MaxTest = 500)]
        public void SgdBias_agrees(byte channelSeed, DoNotSize<int> rateSeed, byte exponentSeed, int seed)
        {
            int channels = channelSeed % 20 + 1;
            var random = new Random(seed);
            uint r = (uint)rateSeed.Item;
            ShiftSum lr = ShiftSum.FromRatio((int)(r % 97) + 1, (int)(r / 97 % 5000) + 1, (int)(r % 4) + 1);
            int gradExponent = -(exponentSeed % 64), biasExponent = random.Next(-40, 0);
            var offsets = new int[channels];
            var gradients = new int[channels + 1];
            for (int c = 0; c < channels; c++) offsets[c] = random.Next(5) == 0 ? -1 : c + 1;
            for (int i = 0; i < gradients.Length; i++)
                gradients[i] = random.Next(4) == 0 ? 0 : random.Next(int.MinValue, int.MaxValue) >> random.Next(0, 31);
            var bias = new int[channels];
            for (int c = 0; c < channels; c++)
                bias[c] = random.Next(6) == 0 ? (random.Next(2) == 0 ? int.MinValue : int.MaxValue - random.Next(3)) : random.Next(int.MinValue, int.MaxValue) >> random.Next(0, 31);
            var expected = (int[])bias.Clone();
            for (int c = 0; c < channels; c++)
                if (offsets[c] >= 0) expected[c] = QMath.SaturatingAdd(expected[c], -lr.ApplyStochastic(gradients[offsets[c]], biasExponent - gradExponent));
            UpdateKernels.SgdBias(gradients, gradExponent, lr, offsets, channels, biasExponent, bias);
            Assert.Equal(expected, bias);
        }

        [Property(MaxTest = 300)]
        public void Master_MaxAbs_and_RoundingShiftToInt8_agree(byte lengthSeed, byte offsetSeed, byte shiftSeed, int seed)
        {
            var random = new Random(seed);
            int count = lengthSeed * 2, from = offsetSeed % 7, shift = shiftSeed % 16;
            var master = new short[from + count + 3];
            for (int i = 0; i < master.Length; i++) master[i] = (short)random.Next(short.MinValue, short.MaxValue + 1);
            if (count > 0 && random.Next(3) == 0) master[from + random.Next(count)] = short.MinValue;
            Assert.Equal(QMath.MaxAbs(master, from, count), UpdateKernelsVector.MaxAbs(master, from, count));
            var scalar = new sbyte[count + 5];
            var vector = new sbyte[count + 5];
            QMath.RoundingShiftToInt8(master, from, count, shift, scalar, 2);
            UpdateKernelsVector.RoundingShiftToInt8(master, from, count, shift, vector, 2);
            Assert.Equal(scalar, vector);
        }

        [Property(MaxTest = 300)]
        public void Accumulator_rescale_agrees(byte lengthSeed, byte offsetSeed, byte shiftSeed, int seed)
        {
            var random = new Random(seed);
            int count = lengthSeed, from = offsetSeed % 5, shift = shiftSeed % 34;
            var scalar = new int[from + count + 2];
            for (int i = 0; i < scalar.Length; i++) scalar[i] = random.Next(int.MinValue, int.MaxValue) >> random.Next(0, 31);
            if (count > 0) scalar[from] = int.MinValue + random.Next(2);
            var vector = (int[])scalar.Clone();
            for (int k = from; k < from + count; k++) scalar[k] = QMath.PseudoStochasticShiftRight(scalar[k], shift);
            UpdateKernelsVector.PseudoStochasticShiftRight(vector, from, count, shift);
            Assert.Equal(scalar, vector);
        }
    }
}
