namespace TinTin.Core
{
    /// <summary>
    /// NITI-style training of int8 weights with no master copy and no stored gradient
    /// (<see cref="TrainingStateMode.FusedInt8"/>): the backward pass and the SGD update of one
    /// sample in one sweep over the rows. Per output channel o with error e = dy[o] ≠ 0: the
    /// input-gradient accumulators take e · W8[o] (the weights of before the update), then a
    /// trainable row moves by −lr · e · x[i] · 2^(dyExp + xExp − weightExp) with pseudo-stochastic
    /// rounding (most steps are a fraction of an int8 unit: the rounding keeps them in expectation),
    /// step clamped to ±254, int8 saturation; its bias by −lr · e · 2^(dyExp − biasExp).
    /// rowOffsets[o] and biasOffsets[o] are read only for their sign (≥ 0: the row / the bias trains).
    /// The caller rescales the layer's exponent afterwards. Scratch: int32 [inSize] (input-gradient
    /// accumulators; unused when inputGrad is null). <see cref="Int8UpdateKernelsReference"/> must
    /// agree bit for bit.
    /// </summary>
    public static class Int8UpdateKernels
    {
        public static void DenseBackwardUpdate(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            ShiftSum learningRate, int rateShift, int inSize, int outSize, int weightExponent, sbyte[] weights,
            int biasExponent, int[] bias, int[] scratch, QTensor inputGrad)
        {
            sbyte[] x = input.Data;           // [inSize]
            sbyte[] dy = outputGrad.Data;     // [outSize]
            // The weight step is lr · 2^−rateShift (ParameterLayer.RateShift): as if the products were that much finer.
            int productExponent = outputGrad.Exponent + input.Exponent - rateShift;
            int shift = learningRate.FractionBits + weightExponent - productExponent;
            if (shift < 2)
            {
                // Steps of a unit or more per product: too coarse for the inlined rounding; rare.
                Int8UpdateKernelsReference.DenseBackwardUpdate(input, outputGrad, rowOffsets, biasOffsets, learningRate, rateShift,
                    inSize, outSize, weightExponent, weights, biasExponent, bias, scratch, inputGrad);
                return;
            }
            bool propagate = inputGrad != null;
            if (propagate) System.Array.Clear(scratch, 0, inSize);
            long mantissa = learningRate.Mantissa;
            bool updatesWeights = shift <= 62; // above, every step rounds to zero
            int half = shift >> 1;
            long discardMask = updatesWeights ? (1L << shift) - 1L : 0;
            long randomMask = (1L << half) - 1L;
            int fractionShift = shift - half;
            int row = 0;
            for (int o = 0; o < outSize; o++, row += inSize)
            {
                int e = dy[o];
                if (e == 0) continue;
                if (propagate)
                    for (int i = 0; i < inSize; i++) scratch[i] += weights[row + i] * e;
                if (biasOffsets[o] < 0) continue;
                if (rowOffsets[o] >= 0 && updatesWeights)
                {
                    long scaled = e * mantissa;
                    for (int i = 0; i < inSize; i++)
                    {
                        int xi = x[i];
                        if (xi == 0) continue;
                        // QMath.ShiftStochastic64(e · x · mantissa, shift), inlined
                        long product = xi * scaled;
                        long magnitude = product < 0 ? -product : product;
                        long kept = magnitude >> shift;
                        long discarded = magnitude & discardMask;
                        if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                        if (kept == 0) continue;
                        if (kept > 254) kept = 254;
                        int updated = weights[row + i] - (product < 0 ? -(int)kept : (int)kept);
                        weights[row + i] = (sbyte)(updated > 127 ? 127 : (updated < -127 ? -127 : updated));
                    }
                }
                bias[o] = QMath.SaturatingAdd(bias[o], -learningRate.ApplyStochastic(e, biasExponent - outputGrad.Exponent));
            }
            if (!propagate) return;
            int inputShift = QMath.Int8ShiftFor(QMath.MaxAbs(scratch, 0, inSize));
            QMath.RoundingShiftToInt8(scratch, 0, inSize, inputShift, inputGrad.Data, 0);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + inputShift;
        }
    }
}
