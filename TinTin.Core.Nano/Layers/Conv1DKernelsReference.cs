namespace TinTin.Core
{
    /// <summary>
    /// Plain reference for <see cref="Conv1DKernels"/>: the textbook loops, every rounding through
    /// QMath. Same arguments, same results bit for bit; kept for the tests and for reading.
    /// </summary>
    public static class Conv1DKernelsReference
    {
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int length, int inChannels, int outChannels, int kernel, int[] scratch, QTensor output)
        {
            int rowLength = kernel * inChannels;
            int positions = length - kernel + 1;
            int accExponent = input.Exponent + weightExponent;
            for (int p = 0; p < positions; p++)
                for (int o = 0; o < outChannels; o++)
                {
                    int acc = DenseKernels.AlignedBias(bias[o], biasExponent, accExponent);
                    for (int j = 0; j < rowLength; j++) acc += weights[o * rowLength + j] * input.Data[p * inChannels + j];
                    scratch[p * outChannels + o] = acc;
                }
            int shift = QMath.RequantizeToInt8(scratch, positions * outChannels, output.Data);
            output.Exponent = accExponent + shift;
        }

        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int length, int inChannels, int outChannels, int kernel, int[] scratch, QTensor inputGrad)
        {
            int rowLength = kernel * inChannels;
            int positions = length - kernel + 1;
            for (int i = 0; i < length * inChannels; i++) scratch[i] = 0;
            for (int p = 0; p < positions; p++)
                for (int o = 0; o < outChannels; o++)
                    for (int j = 0; j < rowLength; j++)
                        scratch[p * inChannels + j] += weights[o * rowLength + j] * outputGrad.Data[p * outChannels + o];
            int shift = QMath.RequantizeToInt8(scratch, length * inChannels, inputGrad.Data);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + shift;
        }

        public static void BackwardWeights(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            int length, int inChannels, int outChannels, int kernel, int shift, int biasShift, int[] gradients)
        {
            int rowLength = kernel * inChannels;
            int positions = length - kernel + 1;
            for (int o = 0; o < outChannels; o++)
            {
                if (biasOffsets[o] < 0) continue;
                int offset = rowOffsets[o];
                int sum = 0;
                for (int p = 0; p < positions; p++)
                {
                    int e = outputGrad.Data[p * outChannels + o];
                    sum += e;
                    if (offset >= 0)
                        for (int j = 0; j < rowLength; j++)
                            gradients[offset + j] += QMath.ShiftStochastic(e * input.Data[p * inChannels + j], -shift);
                }
                gradients[biasOffsets[o]] = QMath.SaturatingAdd(gradients[biasOffsets[o]], QMath.ShiftStochastic(sum, -biasShift));
            }
        }
    }
}
