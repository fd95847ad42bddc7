namespace TinTin.Core
{
    /// <summary>
    /// Plain reference for <see cref="ResidueUpdateKernels"/>: the textbook loops, every rounding
    /// through QMath, ShiftSum and PackedResidue. Same arguments, same results bit for bit.
    /// </summary>
    public static class ResidueUpdateKernelsReference
    {
        public static void DenseBackwardUpdate(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            ShiftSum learningRate, int rateShift, int inSize, int outSize, int weightExponent, sbyte[] weights, byte[] residues,
            int biasExponent, int[] bias, int[] scratch, QTensor inputGrad)
        {
            // The weight step is lr · 2^−rateShift (ParameterLayer.RateShift): as if the products were that much finer.
            int productExponent = outputGrad.Exponent + input.Exponent - rateShift;
            int fineExponent = weightExponent - PackedResidue.Bits;
            if (inputGrad != null)
                for (int i = 0; i < inSize; i++) scratch[i] = 0;
            for (int o = 0; o < outSize; o++)
            {
                int e = outputGrad.Data[o];
                if (inputGrad != null)
                    for (int i = 0; i < inSize; i++) scratch[i] += weights[o * inSize + i] * e;
                if (biasOffsets[o] < 0) continue;
                if (rowOffsets[o] >= 0)
                    for (int i = 0; i < inSize; i++)
                    {
                        int k = o * inSize + i;
                        int delta = learningRate.ApplyStochastic(e * input.Data[i], fineExponent - productExponent);
                        if (delta > 4095) delta = 4095;
                        if (delta < -4095) delta = -4095;
                        PackedResidue.Store(weights, residues, k, PackedResidue.Fine(weights, residues, k) - delta);
                    }
                bias[o] = QMath.SaturatingAdd(bias[o], -learningRate.ApplyStochastic(e, biasExponent - outputGrad.Exponent));
            }
            if (inputGrad == null) return;
            int shift = QMath.RequantizeToInt8(scratch, inSize, inputGrad.Data);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + shift;
        }
    }
}
