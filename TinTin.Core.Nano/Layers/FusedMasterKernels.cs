namespace TinTin.Core
{
    /// <summary>
    /// The backward pass and the SGD update of one sample in one sweep over the rows, so no
    /// gradient is ever stored (<see cref="TrainingStateMode.FusedMaster"/>). Per output channel o
    /// with error e = dy[o] ≠ 0: the input-gradient accumulators take e · W8[o] (the int8 weights
    /// of before the update, as backprop needs), then a trainable row's master weights move by
    /// −lr · e · x[i] · 2^(dyExp + xExp − masterExp) (pseudo-stochastic rounding, step clamped to
    /// ±65534, int16 saturation) and its bias by −lr · e · 2^(dyExp − biasExp). rowOffsets[o] and
    /// biasOffsets[o] are read only for their sign (≥ 0: the row / the bias trains). The caller
    /// re-derives the int8 weights afterwards. Scratch: int32 [inSize] (input-gradient
    /// accumulators; unused when inputGrad is null). <see cref="FusedMasterKernelsReference"/>
    /// must agree bit for bit.
    /// </summary>
    public static class FusedMasterKernels
    {
        public static void DenseBackwardUpdate(QTensor input, QTensor outputGrad, sbyte[] weights, int weightExponent,
            int[] rowOffsets, int[] biasOffsets, ShiftSum learningRate, int rateShift, int inSize, int outSize,
            int masterExponent, short[] master, int biasExponent, int[] bias, int[] scratch, QTensor inputGrad)
        {
            sbyte[] x = input.Data;           // [inSize]
            sbyte[] dy = outputGrad.Data;     // [outSize]
            // The weight step is lr · 2^−rateShift (ParameterLayer.RateShift): as if the products were that much finer.
            int productExponent = outputGrad.Exponent + input.Exponent - rateShift;
            int shift = learningRate.FractionBits + masterExponent - productExponent;
            if (shift < 2)
            {
                // Steps of a unit or more per product: too coarse for the inlined rounding; rare.
                FusedMasterKernelsReference.DenseBackwardUpdate(input, outputGrad, weights, weightExponent, rowOffsets, biasOffsets,
                    learningRate, rateShift, inSize, outSize, masterExponent, master, biasExponent, bias, scratch, inputGrad);
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
                        if (kept > 65534) kept = 65534;
                        int updated = master[row + i] - (product < 0 ? -(int)kept : (int)kept);
                        master[row + i] = (short)(updated > 32767 ? 32767 : (updated < -32767 ? -32767 : updated));
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
