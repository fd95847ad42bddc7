namespace TinTin.Core
{
    /// <summary>
    /// Plain reference for <see cref="DenseKernels"/>: the textbook loops, every rounding through
    /// QMath. Same arguments, same results bit for bit; kept for the tests and for reading.
    /// </summary>
    public static class DenseKernelsReference
    {
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int inSize, int outSize, int[] scratch, QTensor output)
        {
            int accExponent = input.Exponent + weightExponent;
            for (int o = 0; o < outSize; o++)
            {
                int acc = DenseKernels.AlignedBias(bias[o], biasExponent, accExponent);
                for (int i = 0; i < inSize; i++) acc += weights[o * inSize + i] * input.Data[i];
                scratch[o] = acc;
            }
            int shift = QMath.RequantizeToInt8(scratch, outSize, output.Data);
            output.Exponent = accExponent + shift;
        }

        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int inSize, int outSize, int[] scratch, QTensor inputGrad)
        {
            for (int i = 0; i < inSize; i++)
            {
                int acc = 0;
                for (int o = 0; o < outSize; o++) acc += weights[o * inSize + i] * outputGrad.Data[o];
                scratch[i] = acc;
            }
            int shift = QMath.RequantizeToInt8(scratch, inSize, inputGrad.Data);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + shift;
        }

        public static void BackwardWeights(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            int inSize, int outSize, int shift, int biasShift, int[] gradients)
        {
            for (int o = 0; o < outSize; o++)
            {
                if (biasOffsets[o] < 0) continue;
                int e = outputGrad.Data[o];
                int offset = rowOffsets[o];
                if (offset >= 0)
                    for (int i = 0; i < inSize; i++)
                        gradients[offset + i] += QMath.ShiftStochastic(e * input.Data[i], -shift);
                gradients[biasOffsets[o]] = QMath.SaturatingAdd(gradients[biasOffsets[o]], QMath.ShiftStochastic(e, -biasShift));
            }
        }
    }
}
