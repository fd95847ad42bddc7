namespace TinTin.Core
{
    /// <summary>
    /// Fully connected kernels, fast variant: hoisted offsets, rounding in whole-buffer QMath loops, zero inputs and
    /// zero errors skipped (after ReLU about half of them). Integer sums are exact, so skipping
    /// changes nothing: <see cref="DenseKernelsReference"/> must agree bit for bit.
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

            int maxAbs = 0;
            int row = 0;
            for (int o = 0; o < outSize; o++, row += inSize)
            {
                int acc = AlignedBias(bias[o], biasExponent, accExponent);
                for (int k = outSize; k < listEnd; k++)
                {
                    int i = scratch[k];
                    acc += weights[row + i] * x[i];
                }
                scratch[o] = acc;                 // accumulators [outSize]
                int a = acc < 0 ? -acc : acc;
                if (a > maxAbs) maxAbs = a;
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
            int row = 0;
            for (int o = 0; o < outSize; o++, row += inSize)
            {
                int e = dy[o];
                if (e == 0) continue;
                for (int i = 0; i < inSize; i++) scratch[i] += weights[row + i] * e;
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
                    for (int i = 0; i < inSize; i++) gradients[offset + i] += scaled * x[i];
                }
                else if (offset >= 0)
                {
                    int right = -shift;
                    for (int i = 0; i < inSize; i++)
                    {
                        int p = e * x[i];
                        if (p != 0) gradients[offset + i] += QMath.ShiftStochastic(p, right);
                    }
                }
                gradients[biasAt] = QMath.SaturatingAdd(gradients[biasAt], QMath.ShiftStochastic(e, -biasShift));
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
