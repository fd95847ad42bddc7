namespace TinTin.Core
{
    /// <summary>
    /// Fully connected kernels, fast variant, shaped for an IL interpreter as much as for a JIT:
    /// every per-call quantity (bias alignment shift, row offsets) hoisted out of the loops,
    /// rows unrolled by four (one loop test and index update per four MACs), no calls inside
    /// the loops, rounding in whole-buffer QMath loops. Zero inputs are skipped through a list of
    /// the non-zero ones when they are at least a third of the input (after ReLU about half),
    /// zero errors always. Integer sums are exact (and int32 addition associative), so neither
    /// the order nor the skipping changes a bit: <see cref="DenseKernelsReference"/> must agree.
    /// Layout: weights [outSize][inSize] row-major, one row per output channel.
    /// </summary>
    public static class DenseKernels
    {
        /// <summary>
        /// output = requant(weights · input + bias). Scratch: int32 [outSize + inSize]
        /// (accumulators, then the indices of non-zero inputs).
        /// Output exponent = input exponent + weight exponent + the exponent rule's shift.
        /// </summary>
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int inSize, int outSize, int[] scratch, QTensor output)
        {
            sbyte[] x = input.Data;           // [inSize]
            int accExponent = input.Exponent + weightExponent;
            // Non-zero inputs, listed once: scratch[outSize + k] for k < nonZero.
            int nonZero = 0;
            for (int i = 0; i < inSize; i++)
                if (x[i] != 0) scratch[outSize + nonZero++] = i;
            int listEnd = outSize + nonZero;
            // The list costs one more array read per MAC than the plain row: worth it below 2/3 density.
            bool sparse = 3 * nonZero < 2 * inSize;
            int inSize4 = inSize - 3;
            // AlignedBias(bias[o], biasExponent, accExponent) with its shift hoisted (see there).
            int biasShift = accExponent - biasExponent;
            int biasLimit = biasShift < 0 && biasShift > -31 ? (1 << 30) >> -biasShift : 0;

            int maxAbs = 0;
            int row = 0;
            for (int o = 0; o < outSize; o++, row += inSize)
            {
                int acc = bias[o];
                if (biasShift > 0) acc = AlignedBiasRight(acc, biasShift);
                else if (biasShift < 0)
                {
                    if (acc > biasLimit) acc = 1 << 30;
                    else if (acc < -biasLimit) acc = -(1 << 30);
                    else acc <<= -biasShift;
                }
                else if (acc > (1 << 30)) acc = 1 << 30;
                else if (acc < -(1 << 30)) acc = -(1 << 30);

                if (sparse)
                {
                    for (int k = outSize; k < listEnd; k++)
                    {
                        int i = scratch[k];
                        acc += weights[row + i] * x[i];
                    }
                }
                else
                {
                    int w = row;
                    int i = 0;
                    for (; i < inSize4; i += 4, w += 4)
                        acc += weights[w] * x[i] + weights[w + 1] * x[i + 1] + weights[w + 2] * x[i + 2] + weights[w + 3] * x[i + 3];
                    // 0..3 left: a pair, then one (no loop test per MAC)
                    if (i + 1 < inSize) { acc += weights[w] * x[i] + weights[w + 1] * x[i + 1]; i += 2; w += 2; }
                    if (i < inSize) acc += weights[w] * x[i];
                }
                scratch[o] = acc;                 // accumulators [outSize]
                if (acc < 0) acc = -acc;
                if (acc > maxAbs) maxAbs = acc;
            }
            int shift = QMath.Int8ShiftFor(maxAbs);
            QMath.RoundingShiftToInt8(scratch, 0, outSize, shift, output.Data, 0);
            output.Exponent = accExponent + shift;
        }

        /// <summary>
        /// inputGrad = requant(weightsᵀ · outputGrad), rounding to nearest. Scratch: int32 [inSize].
        /// inputGrad exponent = weight exponent + outputGrad exponent + the exponent rule's shift.
        /// </summary>
        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int inSize, int outSize, int[] scratch, QTensor inputGrad)
        {
            sbyte[] dy = outputGrad.Data;     // [outSize]
            System.Array.Clear(scratch, 0, inSize);
            int inSize4 = inSize - 3;
            int row = 0;
            for (int o = 0; o < outSize; o++, row += inSize)
            {
                int e = dy[o];
                if (e == 0) continue;
                int w = row;
                int i = 0;
                for (; i < inSize4; i += 4, w += 4)
                {
                    scratch[i] += weights[w] * e;
                    scratch[i + 1] += weights[w + 1] * e;
                    scratch[i + 2] += weights[w + 2] * e;
                    scratch[i + 3] += weights[w + 3] * e;
                }
                if (i + 1 < inSize) { scratch[i] += weights[w] * e; scratch[i + 1] += weights[w + 1] * e; i += 2; w += 2; }
                if (i < inSize) scratch[i] += weights[w] * e;
            }
            int shift = QMath.Int8ShiftFor(QMath.MaxAbs(scratch, 0, inSize));
            QMath.RoundingShiftToInt8(scratch, 0, inSize, shift, inputGrad.Data, 0);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + shift;
        }

        /// <summary>
        /// Adds outputGrad ⊗ input into the weight-gradient rows of the trainable channels:
        /// gradients[rowOffsets[o] + i] += dy[o]·x[i]·2^shift (shift &lt; 0: pseudo-stochastic
        /// division), and dy[o]·2^biasShift into gradients[biasOffsets[o]] (saturating). Both
        /// shifts bring their term to the layer's gradient exponent (they differ by the input's
        /// exponent: the bias is a weight on a constant input 1). rowOffsets[o] &lt; 0 skips the
        /// weights (bias-only channel), biasOffsets[o] &lt; 0 the channel. No scratch.
        /// </summary>
        public static void BackwardWeights(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            int inSize, int outSize, int shift, int biasShift, int[] gradients)
        {
            sbyte[] x = input.Data;           // [inSize]
            sbyte[] dy = outputGrad.Data;     // [outSize]
            int inSize4 = inSize - 3;
            // QMath.PseudoStochasticShiftRight(p, right) inlined for right in [2, 30] (the usual
            // case: a sample whose gradient is finer than the rows); other right shifts call it.
            int right = -shift;
            bool inlineRight = right >= 2 && right <= 30;
            int half = right >> 1;
            int discardMask = inlineRight ? (1 << right) - 1 : 0;
            int randomMask = inlineRight ? (1 << half) - 1 : 0;
            int fractionShift = right - half;
            for (int o = 0; o < outSize; o++)
            {
                int biasAt = biasOffsets[o];
                if (biasAt < 0) continue;
                int e = dy[o];
                if (e == 0) continue;
                int offset = rowOffsets[o];
                if (offset >= 0 && shift >= 0)
                {
                    int scaled = e << shift;  // |e| ≤ 127 and shift ≤ GradientGuardBits: no overflow
                    int g = offset;
                    int i = 0;
                    for (; i < inSize4; i += 4, g += 4)
                    {
                        gradients[g] += scaled * x[i];
                        gradients[g + 1] += scaled * x[i + 1];
                        gradients[g + 2] += scaled * x[i + 2];
                        gradients[g + 3] += scaled * x[i + 3];
                    }
                    if (i + 1 < inSize) { gradients[g] += scaled * x[i]; gradients[g + 1] += scaled * x[i + 1]; i += 2; g += 2; }
                    if (i < inSize) gradients[g] += scaled * x[i];
                }
                else if (offset >= 0 && inlineRight)
                {
                    int end = offset + inSize;
                    for (int g = offset, i = 0; g < end; g++, i++)
                    {
                        int p = e * x[i];
                        if (p == 0) continue;
                        int m = p < 0 ? -p : p;       // |p| ≤ 127²: no overflow
                        int kept = m >> right;
                        int discarded = m & discardMask;
                        if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                        gradients[g] += p < 0 ? -kept : kept;
                    }
                }
                else if (offset >= 0)
                {
                    for (int i = 0; i < inSize; i++)
                    {
                        int p = e * x[i];
                        if (p != 0) gradients[offset + i] += QMath.ShiftStochastic(p, right);
                    }
                }
                // QMath.SaturatingAdd(gradients[biasAt], QMath.ShiftStochastic(e, -biasShift)), inlined
                // for the usual left shift (exact: |e| ≤ 127, biasShift ≤ 23) in int arithmetic.
                int b = biasShift >= 0 && biasShift <= 23 ? e << biasShift : QMath.ShiftStochastic(e, -biasShift);
                int a = gradients[biasAt];
                int sum = a + b;
                if (((a ^ sum) & (b ^ sum)) < 0) sum = b > 0 ? QMath.Int32Max : QMath.Int32Min; // wrapped
                else if (sum == int.MinValue) sum = QMath.Int32Min;                          // symmetric range
                gradients[biasAt] = sum;
            }
        }

        /// <summary>Bias moved from its exponent to the accumulator's, clamped to ±2^30 so the MAC sum cannot wrap.</summary>
        public static int AlignedBias(int bias, int biasExponent, int accExponent)
        {
            int b = QMath.ShiftRounded(bias, accExponent - biasExponent);
            if (b > (1 << 30)) return 1 << 30;
            if (b < -(1 << 30)) return -(1 << 30);
            return b;
        }

        /// <summary>
        /// <see cref="AlignedBias"/> for a right shift in [1, ∞): QMath.RoundingShiftRight (to nearest,
        /// ties away from zero, 0 above 30) on int arithmetic only; |result| ≤ 2^30 already.
        /// </summary>
        private static int AlignedBiasRight(int bias, int shift)
        {
            if (shift > 30) return 0;
            if (bias == int.MinValue) bias = -int.MaxValue; // same rounded result for shift ≥ 1, and negatable
            if (bias >= 0) return (bias >> shift) + ((bias >> (shift - 1)) & 1);
            bias = -bias;
            return -((bias >> shift) + ((bias >> (shift - 1)) & 1));
        }
    }
}
