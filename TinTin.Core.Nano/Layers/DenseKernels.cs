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
        /// Column groups: the non-zero inputs are taken four at a time into locals, and each group
        /// adds its four products to every row's accumulator (one accumulator read and write per
        /// four MACs instead of an input read per MAC); zero inputs cost nothing. The board's small shapes
        /// take one-pass paths when the bias shifts right: one or two output rows (<see cref="ForwardTwoRows"/>),
        /// 5–6 or 7–8 non-zero inputs (<see cref="ForwardRows6"/>, <see cref="ForwardRows8"/>).
        /// </summary>
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int inSize, int outSize, int[] scratch, QTensor output)
        {
            sbyte[] x = input.Data;           // [inSize]
            int accExponent = input.Exponent + weightExponent;
            int biasShift = accExponent - biasExponent;
            bool rightBiasShift = biasShift > 0 && biasShift <= 30;
            if (outSize <= 2 && rightBiasShift)
            {
                output.Exponent = accExponent + ForwardTwoRows(x, weights, bias, biasShift, inSize, outSize, scratch, output.Data);
                return;
            }
            // Non-zero inputs, listed once: scratch[outSize + k] for k < nonZero.
            int listEnd = outSize;
            for (int i = 0; i < inSize; i++)
                if (x[i] != 0) scratch[listEnd++] = i;
            if (rightBiasShift)
            {
                int nonZero = listEnd - outSize;
                if (nonZero > 4 && nonZero <= 6)
                {
                    output.Exponent = accExponent + ForwardRows6(x, weights, bias, biasShift, inSize, outSize, listEnd, scratch, output.Data);
                    return;
                }
                if (nonZero > 6 && nonZero <= 8)
                {
                    output.Exponent = accExponent + ForwardRows8(x, weights, bias, biasShift, inSize, outSize, listEnd, scratch, output.Data);
                    return;
                }
            }
            AlignedBiases(bias, biasExponent, accExponent, outSize, scratch);
            int k = outSize;
            for (int group = listEnd - 3; k < group; k += 4)
            {
                int i0 = scratch[k], i1 = scratch[k + 1], i2 = scratch[k + 2], i3 = scratch[k + 3];
                int x0 = x[i0], x1 = x[i1], x2 = x[i2], x3 = x[i3];
                for (int o = 0, w = 0; o < outSize; o++, w += inSize)
                    scratch[o] += weights[w + i0] * x0 + weights[w + i1] * x1 + weights[w + i2] * x2 + weights[w + i3] * x3;
            }
            if (k + 1 < listEnd)
            {
                int i0 = scratch[k], i1 = scratch[k + 1];
                int x0 = x[i0], x1 = x[i1];
                for (int o = 0, w = 0; o < outSize; o++, w += inSize)
                    scratch[o] += weights[w + i0] * x0 + weights[w + i1] * x1;
                k += 2;
            }
            if (k < listEnd)
            {
                int i0 = scratch[k];
                int x0 = x[i0];
                for (int o = 0, w = i0; o < outSize; o++, w += inSize)
                    scratch[o] += weights[w] * x0;
            }
            // |acc| ≤ 2^30 + 127²·65536 < 2^31: no accumulator wraps or reaches int.MinValue.
            output.Exponent = accExponent + QMath.RequantizeToInt8Fast(scratch, outSize, output.Data);
        }

        /// <summary>
        /// Forward for one or two output rows (a classifier's 2-class head) and a right bias shift: one pass
        /// over the inputs, two at a time, both rows' sums in locals (each input read once for both rows; a
        /// pair of zero inputs skipped; one row is computed twice when there is only one), no input list, no
        /// accumulator buffer; then the biases aligned and the rounding. Returns the requantisation shift.
        /// </summary>
        private static int ForwardTwoRows(sbyte[] x, sbyte[] weights, int[] bias, int biasShift, int inSize, int outSize,
            int[] scratch, sbyte[] output)
        {
            int w1 = outSize > 1 ? inSize : 0; // second row's start (the first again when there is one row)
            int acc0 = 0, acc1 = 0;
            int i = 0;
            for (int pairs = inSize - 1; i < pairs; i += 2)
            {
                int xa = x[i], xb = x[i + 1];
                if ((xa | xb) == 0) continue;
                acc0 += weights[i] * xa + weights[i + 1] * xb;
                acc1 += weights[w1 + i] * xa + weights[w1 + i + 1] * xb;
            }
            if (i < inSize)
            {
                int xa = x[i];
                acc0 += weights[i] * xa;
                acc1 += weights[w1 + i] * xa;
            }
            // AlignedBias for a right shift in [1, 30]: to nearest, ties away from zero.
            int below = biasShift - 1;
            int b = bias[0];
            if (b >= 0) acc0 += (b >> biasShift) + ((b >> below) & 1);
            else
            {
                b = b == int.MinValue ? int.MaxValue : -b;
                acc0 -= (b >> biasShift) + ((b >> below) & 1);
            }
            scratch[0] = acc0;
            int max = acc0 < 0 ? -acc0 : acc0;
            if (outSize > 1)
            {
                b = bias[1];
                if (b >= 0) acc1 += (b >> biasShift) + ((b >> below) & 1);
                else
                {
                    b = b == int.MinValue ? int.MaxValue : -b;
                    acc1 -= (b >> biasShift) + ((b >> below) & 1);
                }
                scratch[1] = acc1;
                if (acc1 < 0) acc1 = -acc1;
                if (acc1 > max) max = acc1;
            }
            return QMath.RequantizeToInt8Fast(scratch, outSize, max, output);
        }

        /// <summary>
        /// <see cref="ForwardRows8"/> for 5 or 6 non-zero inputs (the 6-feature input layer): six products a row
        /// instead of eight, the list padded to six with a zero input. Returns the requantisation shift.
        /// </summary>
        private static int ForwardRows6(sbyte[] x, sbyte[] weights, int[] bias, int biasShift, int inSize, int outSize,
            int listEnd, int[] scratch, sbyte[] output)
        {
            int i0 = scratch[outSize], i1 = scratch[outSize + 1], i2 = scratch[outSize + 2], i3 = scratch[outSize + 3], i4 = scratch[outSize + 4];
            int i5 = i0;
            int x0 = x[i0], x1 = x[i1], x2 = x[i2], x3 = x[i3], x4 = x[i4], x5 = 0;
            if (listEnd - outSize > 5) { i5 = scratch[outSize + 5]; x5 = x[i5]; }
            int below = biasShift - 1;
            int max = 0;
            for (int o = 0, w = 0; o < outSize; o++, w += inSize)
            {
                int b = bias[o];
                int acc;
                if (b >= 0) acc = (b >> biasShift) + ((b >> below) & 1);
                else
                {
                    b = b == int.MinValue ? int.MaxValue : -b;
                    acc = -((b >> biasShift) + ((b >> below) & 1));
                }
                acc += weights[w + i0] * x0 + weights[w + i1] * x1 + weights[w + i2] * x2 + weights[w + i3] * x3
                    + weights[w + i4] * x4 + weights[w + i5] * x5;
                scratch[o] = acc;
                if (acc < 0) acc = -acc;
                if (acc > max) max = acc;
            }
            return QMath.RequantizeToInt8Fast(scratch, outSize, max, output);
        }

        /// <summary>
        /// Forward for 7 or 8 non-zero inputs and a right bias shift (the usual small layer): all of them
        /// in locals (the list padded to eight with zero inputs, exact), one pass over the rows that
        /// aligns the bias, adds the eight products and tracks the largest magnitude; then the rounding.
        /// Returns the requantisation shift.
        /// </summary>
        private static int ForwardRows8(sbyte[] x, sbyte[] weights, int[] bias, int biasShift, int inSize, int outSize,
            int listEnd, int[] scratch, sbyte[] output)
        {
            int i0 = scratch[outSize], i1 = scratch[outSize + 1], i2 = scratch[outSize + 2], i3 = scratch[outSize + 3], i4 = scratch[outSize + 4];
            int i5 = i0, i6 = i0, i7 = i0;
            int x0 = x[i0], x1 = x[i1], x2 = x[i2], x3 = x[i3], x4 = x[i4], x5 = 0, x6 = 0, x7 = 0;
            int extra = listEnd - outSize - 5;
            if (extra > 0) { i5 = scratch[outSize + 5]; x5 = x[i5]; }
            if (extra > 1) { i6 = scratch[outSize + 6]; x6 = x[i6]; }
            if (extra > 2) { i7 = scratch[outSize + 7]; x7 = x[i7]; }
            int below = biasShift - 1;
            int max = 0;
            for (int o = 0, w = 0; o < outSize; o++, w += inSize)
            {
                // AlignedBias for a right shift in [1, 30]: to nearest, ties away from zero.
                int b = bias[o];
                int acc;
                if (b >= 0) acc = (b >> biasShift) + ((b >> below) & 1);
                else
                {
                    b = b == int.MinValue ? int.MaxValue : -b;
                    acc = -((b >> biasShift) + ((b >> below) & 1));
                }
                acc += weights[w + i0] * x0 + weights[w + i1] * x1 + weights[w + i2] * x2 + weights[w + i3] * x3
                    + weights[w + i4] * x4 + weights[w + i5] * x5 + weights[w + i6] * x6 + weights[w + i7] * x7;
                scratch[o] = acc;
                if (acc < 0) acc = -acc;
                if (acc > max) max = acc;
            }
            return QMath.RequantizeToInt8Fast(scratch, outSize, max, output);
        }

        /// <summary>
        /// accumulators[o] = <see cref="AlignedBias"/>(bias[o], biasExponent, accExponent) for o &lt; count,
        /// one loop per shift direction with the shift's constants hoisted.
        /// </summary>
        private static void AlignedBiases(int[] bias, int biasExponent, int accExponent, int count, int[] accumulators)
        {
            int shift = accExponent - biasExponent;
            if (shift > 30) { System.Array.Clear(accumulators, 0, count); return; }
            if (shift > 0)
            {
                // QMath.RoundingShiftRight (to nearest, ties away from zero); |result| ≤ 2^30 already.
                int below = shift - 1;
                for (int o = 0; o < count; o++)
                {
                    int b = bias[o];
                    if (b >= 0) accumulators[o] = (b >> shift) + ((b >> below) & 1);
                    else
                    {
                        b = b == int.MinValue ? int.MaxValue : -b; // same rounded result for shift ≥ 1
                        accumulators[o] = -((b >> shift) + ((b >> below) & 1));
                    }
                }
                return;
            }
            // Left shift (or none), clamped to ±2^30 so the MAC sum cannot wrap.
            int left = -shift;
            int limit = left < 31 ? (1 << 30) >> left : 0;
            for (int o = 0; o < count; o++)
            {
                int b = bias[o];
                if (b > limit) accumulators[o] = 1 << 30;
                else if (b < -limit) accumulators[o] = -(1 << 30);
                else accumulators[o] = b << left;
            }
        }

        /// <summary>
        /// inputGrad = requant(weightsᵀ · outputGrad), rounding to nearest. Scratch: int32 [inSize + outSize]
        /// (accumulators, then the rows of the non-zero output gradients).
        /// inputGrad exponent = weight exponent + outputGrad exponent + the exponent rule's shift.
        /// Row groups, the transpose of Forward's column groups: the non-zero output gradients four
        /// at a time in locals, each group adding its four products to every input's accumulator.
        /// </summary>
        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int inSize, int outSize, int[] scratch, QTensor inputGrad)
        {
            sbyte[] dy = outputGrad.Data;     // [outSize]
            // Non-zero output gradients, listed once: scratch[inSize + k] for k < nonZero.
            int listEnd = inSize;
            for (int o = 0; o < outSize; o++)
                if (dy[o] != 0) scratch[listEnd++] = o;
            int nonZero = listEnd - inSize;
            if (nonZero > 0 && nonZero <= 4)
            {
                inputGrad.Exponent = weightExponent + outputGrad.Exponent + BackwardInputFew(dy, weights, inSize, nonZero, scratch, inputGrad.Data);
                return;
            }
            System.Array.Clear(scratch, 0, inSize);
            int k = inSize;
            for (int group = listEnd - 3; k < group; k += 4)
            {
                int o0 = scratch[k], o1 = scratch[k + 1], o2 = scratch[k + 2], o3 = scratch[k + 3];
                int e0 = dy[o0], e1 = dy[o1], e2 = dy[o2], e3 = dy[o3];
                int r0 = o0 * inSize, r1 = o1 * inSize, r2 = o2 * inSize, r3 = o3 * inSize;
                for (int i = 0; i < inSize; i++)
                    scratch[i] += weights[r0 + i] * e0 + weights[r1 + i] * e1 + weights[r2 + i] * e2 + weights[r3 + i] * e3;
            }
            if (k + 1 < listEnd)
            {
                int o0 = scratch[k], o1 = scratch[k + 1];
                int e0 = dy[o0], e1 = dy[o1];
                int r0 = o0 * inSize, r1 = o1 * inSize;
                for (int i = 0; i < inSize; i++)
                    scratch[i] += weights[r0 + i] * e0 + weights[r1 + i] * e1;
                k += 2;
            }
            if (k < listEnd)
            {
                int o0 = scratch[k];
                int e0 = dy[o0];
                for (int i = 0, w = o0 * inSize; i < inSize; i++, w++)
                    scratch[i] += weights[w] * e0;
            }
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + QMath.RequantizeToInt8Fast(scratch, inSize, inputGrad.Data);
        }

        /// <summary>
        /// BackwardInput for 1 to 4 non-zero output gradients (a 2-class head has 2): all of them in locals,
        /// one pass over the inputs that writes each sum and tracks the largest magnitude (no clearing, no
        /// separate max pass), then the rounding. Pairs when at most two (the second may be a zero pad on the
        /// first row, exact), else four (padded the same way). Returns the requantisation shift.
        /// </summary>
        private static int BackwardInputFew(sbyte[] dy, sbyte[] weights, int inSize, int nonZero, int[] scratch, sbyte[] inputGrad)
        {
            int o0 = scratch[inSize];
            int r0 = o0 * inSize, r1 = r0, r2 = r0, r3 = r0;
            int e0 = dy[o0], e1 = 0, e2 = 0, e3 = 0;
            if (nonZero > 1) { int o1 = scratch[inSize + 1]; r1 = o1 * inSize; e1 = dy[o1]; }
            int max = 0;
            if (nonZero <= 2)
            {
                for (int i = 0; i < inSize; i++)
                {
                    int acc = weights[r0 + i] * e0 + weights[r1 + i] * e1;
                    scratch[i] = acc;
                    if (acc < 0) acc = -acc;
                    if (acc > max) max = acc;
                }
                return QMath.RequantizeToInt8Fast(scratch, inSize, max, inputGrad);
            }
            { int o2 = scratch[inSize + 2]; r2 = o2 * inSize; e2 = dy[o2]; }
            if (nonZero > 3) { int o3 = scratch[inSize + 3]; r3 = o3 * inSize; e3 = dy[o3]; }
            for (int i = 0; i < inSize; i++)
            {
                int acc = weights[r0 + i] * e0 + weights[r1 + i] * e1 + weights[r2 + i] * e2 + weights[r3 + i] * e3;
                scratch[i] = acc;
                if (acc < 0) acc = -acc;
                if (acc > max) max = acc;
            }
            return QMath.RequantizeToInt8Fast(scratch, inSize, max, inputGrad);
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
            int x0 = 0, x1 = 0, x2 = 0, x3 = 0;
            if (inSize4 > 0) { x0 = x[0]; x1 = x[1]; x2 = x[2]; x3 = x[3]; }
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
                    if (inSize4 > 0)
                    {
                        // The first four inputs from locals read once per call (short rows are mostly these).
                        gradients[g] += scaled * x0;
                        gradients[g + 1] += scaled * x1;
                        gradients[g + 2] += scaled * x2;
                        gradients[g + 3] += scaled * x3;
                        i = 4;
                        g += 4;
                    }
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
    }
}
