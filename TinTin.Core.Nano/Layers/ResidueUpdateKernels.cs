namespace TinTin.Core
{
    /// <summary>
    /// Training of int8 weights with a packed 4-bit residue below each one
    /// (<see cref="TrainingStateMode.FusedInt8Residue"/>, a 12-bit master at 1.5 B per weight; no
    /// int16 master, no stored gradient): the backward pass and the SGD update of one sample in one
    /// sweep over the rows. Per output channel o with error e = dy[o] ≠ 0: the input-gradient
    /// accumulators take e · W8[o] (the weights of before the update); then each weight of a
    /// trainable row has its fine value 16 · w + r (<see cref="PackedResidue"/>) moved by
    /// −lr · e · x[i] · 2^(dyExp + xExp − (weightExp − 4)) with pseudo-stochastic rounding (steps of
    /// a sixteenth of an int8 unit are kept exactly; smaller ones in expectation), step clamped to
    /// ±4095, the fine value saturated to [−2040, 2039] and split back into w and r; its bias by
    /// −lr · e · 2^(dyExp − biasExp). Forward reads the int8 weights as in every mode.
    /// rowOffsets[o] and biasOffsets[o] are read only for their sign (≥ 0: the row / the bias trains).
    /// The caller rescales the layer's exponent afterwards. Residues are visited two per byte (one
    /// read, one write per pair). Scratch: int32 [inSize] (input-gradient accumulators; unused when
    /// inputGrad is null). <see cref="ResidueUpdateKernelsReference"/> must agree bit for bit.
    /// </summary>
    public static class ResidueUpdateKernels
    {
        public static void DenseBackwardUpdate(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            ShiftSum learningRate, int rateShift, int inSize, int outSize, int weightExponent, sbyte[] weights, byte[] residues,
            int biasExponent, int[] bias, int[] scratch, QTensor inputGrad)
        {
            sbyte[] x = input.Data;           // [inSize]
            sbyte[] dy = outputGrad.Data;     // [outSize]
            // The weight step is lr · 2^−rateShift (ParameterLayer.RateShift): as if the products were that much finer.
            int productExponent = outputGrad.Exponent + input.Exponent - rateShift;
            int shift = learningRate.FractionBits + weightExponent - PackedResidue.Bits - productExponent;
            if (shift < 2)
            {
                // Steps of a sixteenth of a unit or more per product: too coarse for the inlined rounding; rare.
                ResidueUpdateKernelsReference.DenseBackwardUpdate(input, outputGrad, rowOffsets, biasOffsets, learningRate, rateShift,
                    inSize, outSize, weightExponent, weights, residues, biasExponent, bias, scratch, inputGrad);
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
                    int i = 0;
                    if ((row & 1) != 0) // the row starts on a high nibble
                    {
                        StepOne(weights, residues, row, x[0] * scaled, shift, discardMask, randomMask, fractionShift);
                        i = 1;
                    }
                    for (; i + 1 < inSize; i += 2)
                    {
                        int x0 = x[i], x1 = x[i + 1];
                        if ((x0 | x1) == 0) continue;
                        int k = row + i;
                        int packed = residues[k >> 1];
                        int fine0 = weights[k] * 16 + (((packed & 15) ^ 8) - 8);
                        int fine1 = weights[k + 1] * 16 + (((packed >> 4) ^ 8) - 8);
                        if (x0 != 0)
                        {
                            // QMath.ShiftStochastic64(e · x · mantissa, shift), inlined
                            long product = x0 * scaled;
                            long magnitude = product < 0 ? -product : product;
                            long kept = magnitude >> shift;
                            long discarded = magnitude & discardMask;
                            if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                            if (kept > 4095) kept = 4095;
                            fine0 -= product < 0 ? -(int)kept : (int)kept;
                            if (fine0 > PackedResidue.FineMax) fine0 = PackedResidue.FineMax;
                            else if (fine0 < PackedResidue.FineMin) fine0 = PackedResidue.FineMin;
                        }
                        if (x1 != 0)
                        {
                            long product = x1 * scaled;
                            long magnitude = product < 0 ? -product : product;
                            long kept = magnitude >> shift;
                            long discarded = magnitude & discardMask;
                            if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                            if (kept > 4095) kept = 4095;
                            fine1 -= product < 0 ? -(int)kept : (int)kept;
                            if (fine1 > PackedResidue.FineMax) fine1 = PackedResidue.FineMax;
                            else if (fine1 < PackedResidue.FineMin) fine1 = PackedResidue.FineMin;
                        }
                        int w0 = (fine0 + 8) >> 4;
                        int w1 = (fine1 + 8) >> 4;
                        weights[k] = (sbyte)w0;
                        weights[k + 1] = (sbyte)w1;
                        residues[k >> 1] = (byte)(((fine0 - (w0 << 4)) & 15) | (((fine1 - (w1 << 4)) & 15) << 4));
                    }
                    if (i < inSize) StepOne(weights, residues, row + i, x[i] * scaled, shift, discardMask, randomMask, fractionShift);
                }
                bias[o] = QMath.SaturatingAdd(bias[o], -learningRate.ApplyStochastic(e, biasExponent - outputGrad.Exponent));
            }
            if (!propagate) return;
            int inputShift = QMath.Int8ShiftFor(QMath.MaxAbs(scratch, 0, inSize));
            QMath.RoundingShiftToInt8(scratch, 0, inSize, inputShift, inputGrad.Data, 0);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + inputShift;
        }

        /// <summary>One weight whose residue shares its byte with another row's (odd row lengths): at most two per row.</summary>
        private static void StepOne(sbyte[] weights, byte[] residues, int k, long product, int shift, long discardMask, long randomMask, int fractionShift)
        {
            if (product == 0) return;
            long magnitude = product < 0 ? -product : product;
            long kept = magnitude >> shift;
            long discarded = magnitude & discardMask;
            if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
            if (kept == 0) return;
            if (kept > 4095) kept = 4095;
            PackedResidue.Store(weights, residues, k, PackedResidue.Fine(weights, residues, k) - (product < 0 ? -(int)kept : (int)kept));
        }
    }
}
