using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinTin.Core
{
    /// <summary>
    /// Fully connected kernels, host SIMD variant (AVX2 through System.Runtime.Intrinsics): only the host build
    /// (Host/TinTin.Core.Nano.Host.csproj) compiles this file; the board keeps <see cref="DenseKernels"/>.
    /// Same arguments, same results bit for bit as <see cref="DenseKernelsReference"/>: integer sums are exact
    /// (int32 wrap-around is associative, so the order of the adds does not matter) and every rounding is the
    /// scalar rule applied lane by lane. Without AVX2 it calls <see cref="DenseKernels"/>.
    /// Zero input blocks (16 inputs in Forward, 8 in BackwardWeights) are skipped: MNIST borders are blank.
    /// Layout: weights [outSize][inSize] row-major, one row per output channel.
    /// </summary>
    public static class DenseKernelsVector
    {
        private const int ForwardBlock = 16;  // inputs per pmaddwd: 16 int16 lanes
        private const int WeightBlock = 8;    // inputs per gradient vector: 8 int32 lanes

        /// <summary>Whether this CPU runs the vector paths (else every call goes to <see cref="DenseKernels"/>).</summary>
        public static bool IsAccelerated { get { return Avx2.IsSupported; } }

        /// <summary>
        /// output = requant(weights · input + bias). Scratch: int32 [outSize + inSize] (accumulators, then the
        /// input widened to int16 in inSize/2 ints, then the list of non-zero 16-input blocks in inSize/16 ints).
        /// </summary>
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int inSize, int outSize, int[] scratch, QTensor output)
        {
            if (!Avx2.IsSupported || inSize < ForwardBlock)
            {
                DenseKernels.Forward(input, weights, weightExponent, bias, biasExponent, inSize, outSize, scratch, output);
                return;
            }
            sbyte[] x = input.Data;                                   // [inSize]
            CheckLengths(x.Length >= inSize && weights.Length >= inSize * outSize && bias.Length >= outSize && scratch.Length >= outSize + inSize);
            int accExponent = input.Exponent + weightExponent;
            int blocks = inSize / ForwardBlock;
            int tail = blocks * ForwardBlock;
            int widenedInts = (tail + 1) / 2;
            Span<short> xs = MemoryMarshal.Cast<int, short>(scratch.AsSpan(outSize, widenedInts));  // [tail] input as int16
            Span<int> nonZeroBlocks = scratch.AsSpan(outSize + widenedInts, blocks);              // [blocks] start indices
            ref sbyte x0 = ref MemoryMarshal.GetArrayDataReference(x);
            ref short xs0 = ref MemoryMarshal.GetReference(xs);
            int listed = 0;
            for (int b = 0, i = 0; b < blocks; b++, i += ForwardBlock)
            {
                Vector128<sbyte> block = Vector128.LoadUnsafe(ref x0, (nuint)i);
                if (block == Vector128<sbyte>.Zero) continue;
                Avx2.ConvertToVector256Int16(block).StoreUnsafe(ref xs0, (nuint)i);
                nonZeroBlocks[listed++] = i;
            }

            ref sbyte w0 = ref MemoryMarshal.GetArrayDataReference(weights);
            int maxAbs = 0;
            int row = 0;
            for (int o = 0; o < outSize; o++, row += inSize)
            {
                Vector256<int> sum = Vector256<int>.Zero;
                for (int k = 0; k < listed; k++)
                {
                    int i = nonZeroBlocks[k];
                    Vector256<short> w = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w0, (nuint)(row + i)));
                    sum += Avx2.MultiplyAddAdjacent(w, Vector256.LoadUnsafe(ref xs0, (nuint)i));
                }
                int acc = DenseKernels.AlignedBias(bias[o], biasExponent, accExponent) + Vector256.Sum(sum);
                for (int i = tail; i < inSize; i++) acc += weights[row + i] * x[i];
                scratch[o] = acc;                                      // accumulators [outSize]
                int a = acc < 0 ? -acc : acc;
                if (a > maxAbs) maxAbs = a;
            }
            int shift = QMath.Int8ShiftFor(maxAbs);
            QMath.RoundingShiftToInt8(scratch, 0, outSize, shift, output.Data, 0);
            output.Exponent = accExponent + shift;
        }

        /// <summary>inputGrad = requant(weightsᵀ · outputGrad), rounding to nearest. Scratch: int32 [inSize].</summary>
        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int inSize, int outSize, int[] scratch, QTensor inputGrad)
        {
            if (!Avx2.IsSupported || inSize < ForwardBlock)
            {
                DenseKernels.BackwardInput(outputGrad, weights, weightExponent, inSize, outSize, scratch, inputGrad);
                return;
            }
            sbyte[] dy = outputGrad.Data;                             // [outSize]
            CheckLengths(dy.Length >= outSize && weights.Length >= inSize * outSize && scratch.Length >= inSize);
            Array.Clear(scratch, 0, inSize);
            int tail = inSize / ForwardBlock * ForwardBlock;
            ref sbyte w0 = ref MemoryMarshal.GetArrayDataReference(weights);
            ref int s0 = ref MemoryMarshal.GetArrayDataReference(scratch);
            int row = 0;
            for (int o = 0; o < outSize; o++, row += inSize)
            {
                int e = dy[o];
                if (e == 0) continue;
                Vector256<short> error = Vector256.Create((short)e);
                for (int i = 0; i < tail; i += ForwardBlock)
                {
                    // |w·e| ≤ 128·128 fits int16 exactly; then widen to int32 and add.
                    Vector256<short> product = Avx2.MultiplyLow(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w0, (nuint)(row + i))), error);
                    (Vector256<int> low, Vector256<int> high) = (Avx2.ConvertToVector256Int32(product.GetLower()), Avx2.ConvertToVector256Int32(product.GetUpper()));
                    (Vector256.LoadUnsafe(ref s0, (nuint)i) + low).StoreUnsafe(ref s0, (nuint)i);
                    (Vector256.LoadUnsafe(ref s0, (nuint)(i + 8)) + high).StoreUnsafe(ref s0, (nuint)(i + 8));
                }
                for (int i = tail; i < inSize; i++) scratch[i] += weights[row + i] * e;
            }
            int shift = QMath.Int8ShiftFor(QMath.MaxAbs(scratch, 0, inSize));
            QMath.RoundingShiftToInt8(scratch, 0, inSize, shift, inputGrad.Data, 0);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + shift;
        }

        /// <summary>
        /// Adds outputGrad ⊗ input into the weight-gradient rows of the trainable channels, as
        /// <see cref="DenseKernels.BackwardWeights"/> (shift &lt; 0: pseudo-stochastic division lane by lane).
        /// Scratch: none from the caller; the input widened to int32 and its non-zero 8-input blocks live on the stack.
        /// </summary>
        public static void BackwardWeights(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            int inSize, int outSize, int shift, int biasShift, int[] gradients)
        {
            const int MaxStackInputs = 8192;
            if (!Avx2.IsSupported || inSize < WeightBlock || inSize > MaxStackInputs)
            {
                DenseKernels.BackwardWeights(input, outputGrad, rowOffsets, biasOffsets, inSize, outSize, shift, biasShift, gradients);
                return;
            }
            sbyte[] x = input.Data;                                   // [inSize]
            sbyte[] dy = outputGrad.Data;                             // [outSize]
            CheckLengths(x.Length >= inSize && dy.Length >= outSize && rowOffsets.Length >= outSize && biasOffsets.Length >= outSize);
            int blocks = inSize / WeightBlock;
            int tail = blocks * WeightBlock;
            Span<int> xw = stackalloc int[tail];                      // [tail] input as int32
            Span<int> nonZeroBlocks = stackalloc int[blocks];         // [blocks] start indices
            ref sbyte x0 = ref MemoryMarshal.GetArrayDataReference(x);
            ref int xw0 = ref MemoryMarshal.GetReference(xw);
            int listed = 0;
            for (int i = 0; i < tail; i += WeightBlock)
            {
                Vector128<sbyte> block = Vector128.CreateScalar(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref x0, i)))).AsSByte();
                if (block == Vector128<sbyte>.Zero) continue;
                Avx2.ConvertToVector256Int32(block).StoreUnsafe(ref xw0, (nuint)i);
                nonZeroBlocks[listed++] = i;
            }

            ref int g0 = ref MemoryMarshal.GetArrayDataReference(gradients);
            for (int o = 0; o < outSize; o++)
            {
                int biasAt = biasOffsets[o];
                if (biasAt < 0) continue;
                int e = dy[o];
                if (e == 0) continue;
                int offset = rowOffsets[o];
                if (offset >= 0)
                {
                    CheckLengths(offset + inSize <= gradients.Length);
                    if (shift >= 0)
                    {
                        int scaled = e << shift;  // |e| ≤ 127 and shift ≤ GradientGuardBits: no overflow
                        Vector256<int> factor = Vector256.Create(scaled);
                        for (int k = 0; k < listed; k++)
                        {
                            int i = nonZeroBlocks[k];
                            nuint at = (nuint)(offset + i);
                            (Vector256.LoadUnsafe(ref g0, at) + Avx2.MultiplyLow(Vector256.LoadUnsafe(ref xw0, (nuint)i), factor)).StoreUnsafe(ref g0, at);
                        }
                        for (int i = tail; i < inSize; i++) gradients[offset + i] += scaled * x[i];
                    }
                    else if (-shift <= 30)
                    {
                        int right = -shift;
                        Vector256<int> factor = Vector256.Create(e);
                        for (int k = 0; k < listed; k++)
                        {
                            int i = nonZeroBlocks[k];
                            nuint at = (nuint)(offset + i);
                            Vector256<int> product = Avx2.MultiplyLow(Vector256.LoadUnsafe(ref xw0, (nuint)i), factor);
                            (Vector256.LoadUnsafe(ref g0, at) + ShiftRightStochastic(product, right)).StoreUnsafe(ref g0, at);
                        }
                        for (int i = tail; i < inSize; i++)
                        {
                            int p = e * x[i];
                            if (p != 0) gradients[offset + i] += QMath.ShiftStochastic(p, right);
                        }
                    }
                    // right shifts above 30 give 0 for every product: nothing to add.
                }
                gradients[biasAt] = QMath.SaturatingAdd(gradients[biasAt], QMath.ShiftStochastic(e, -biasShift));
            }
        }

        /// <summary>
        /// <see cref="QMath.PseudoStochasticShiftRight"/> in every lane, shift in [0, 30], any int32 (the magnitude is
        /// handled as unsigned, as the scalar rule does). Shifts below 2 round to nearest, ties away from zero.
        /// </summary>
        internal static Vector256<int> ShiftRightStochastic(Vector256<int> values, int shift)
        {
            Vector256<int> sign = Vector256.ShiftRightArithmetic(values, 31);          // -1 where negative
            Vector256<int> magnitude = (values ^ sign) - sign;
            Vector256<int> kept;
            if (shift < 2)
            {
                int half = shift > 0 ? 1 << (shift - 1) : 0;
                kept = Vector256.ShiftRightLogical(magnitude + Vector256.Create(half), shift);
            }
            else
            {
                int halfBits = shift >> 1;
                Vector256<int> discarded = magnitude & Vector256.Create((1 << shift) - 1);
                Vector256<int> fraction = Vector256.ShiftRightLogical(discarded, shift - halfBits);
                Vector256<int> pseudoRandom = discarded & Vector256.Create((1 << halfBits) - 1);
                // GreaterThan is -1 where true: subtracting it rounds the magnitude up.
                kept = Vector256.ShiftRightLogical(magnitude, shift) - Vector256.GreaterThan(fraction, pseudoRandom);
            }
            return (kept ^ sign) - sign;
        }

        private static void CheckLengths(bool ok)
        {
            if (!ok) throw new ArgumentException("DenseKernelsVector: a buffer is shorter than inSize/outSize require");
        }
    }
}
