namespace TinTin.Core
{
    /// <summary>
    /// Plain reference for <see cref="FusedMasterKernels"/>: the textbook loops, every rounding
    /// through QMath and ShiftSum. Same arguments, same results bit for bit.
    /// </summary>
    public static class FusedMasterKernelsReference
    {
        public static void DenseBackwardUpdate(QTensor input, QTensor outputGrad, sbyte[] weights, int weightExponent,
            int[] rowOffsets, int[] biasOffsets, ShiftSum learningRate, int rateShift, int inSize, int outSize,
            int masterExponent, short[] master, int biasExponent, int[] bias, int[] scratch, QTensor inputGrad)
        {
            // The weight step is lr · 2^−rateShift (ParameterLayer.RateShift): as if the products were that much finer.
            int productExponent = outputGrad.Exponent + input.Exponent - rateShift;
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
                        int delta = learningRate.ApplyStochastic(e * input.Data[i], masterExponent - productExponent);
                        if (delta > 65534) delta = 65534;
                        if (delta < -65534) delta = -65534;
                        master[o * inSize + i] = QMath.SaturateToInt16(master[o * inSize + i] - delta);
                    }
                bias[o] = QMath.SaturatingAdd(bias[o], -learningRate.ApplyStochastic(e, biasExponent - outputGrad.Exponent));
            }
            if (inputGrad == null) return;
            int shift = QMath.RequantizeToInt8(scratch, inSize, inputGrad.Data);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + shift;
        }
    }
}
