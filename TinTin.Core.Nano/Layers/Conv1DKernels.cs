namespace TinTin.Core
{
    /// <summary>
    /// 1-D convolution kernels (valid, stride 1), fast variant: hoisted offsets and biases, zero
    /// errors skipped, rounding in whole-buffer QMath loops. <see cref="Conv1DKernelsReference"/>
    /// must agree bit for bit. Layout (position-major): input [length][inChannels], output
    /// [positions][outChannels] with positions = length − kernel + 1; weights
    /// [outChannels][kernel][inChannels], so channel o's window at position p is the contiguous
    /// input slice [p·inChannels, (p + kernel)·inChannels) and a row has rowLength = kernel·inChannels.
    /// </summary>
    public static class Conv1DKernels
    {
        /// <summary>
        /// output = requant(weights ∗ input + bias). Scratch: int32 [positions · outChannels] (accumulators).
        /// Output exponent = input exponent + weight exponent + the exponent rule's shift.
        /// </summary>
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int length, int inChannels, int outChannels, int kernel, int[] scratch, QTensor output)
        {
            sbyte[] x = input.Data;               // [length][inChannels]
            int rowLength = kernel * inChannels;
            int positions = length - kernel + 1;
            int accExponent = input.Exponent + weightExponent;
            int maxAbs = 0;
            for (int o = 0; o < outChannels; o++)
            {
                int b = DenseKernels.AlignedBias(bias[o], biasExponent, accExponent);
                int row = o * rowLength;
                for (int p = 0, start = 0; p < positions; p++, start += inChannels)
                {
                    int acc = b;
                    for (int j = 0; j < rowLength; j++) acc += weights[row + j] * x[start + j];
                    scratch[p * outChannels + o] = acc;   // accumulators [positions][outChannels]
                    int a = acc < 0 ? -acc : acc;
                    if (a > maxAbs) maxAbs = a;
                }
            }
            int shift = QMath.Int8ShiftFor(maxAbs);
            QMath.RoundingShiftToInt8(scratch, 0, positions * outChannels, shift, output.Data, 0);
            output.Exponent = accExponent + shift;
        }

        /// <summary>
        /// inputGrad = requant(weightsᵀ ∗ outputGrad), rounding to nearest. Scratch: int32 [length · inChannels].
        /// inputGrad exponent = weight exponent + outputGrad exponent + the exponent rule's shift.
        /// </summary>
        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int length, int inChannels, int outChannels, int kernel, int[] scratch, QTensor inputGrad)
        {
            sbyte[] dy = outputGrad.Data;          // [positions][outChannels]
            int rowLength = kernel * inChannels;
            int positions = length - kernel + 1;
            int inLength = length * inChannels;
            System.Array.Clear(scratch, 0, inLength);
            for (int p = 0, start = 0; p < positions; p++, start += inChannels)
            {
                int at = p * outChannels;
                for (int o = 0; o < outChannels; o++)
                {
                    int e = dy[at + o];
                    if (e == 0) continue;
                    int row = o * rowLength;
                    for (int j = 0; j < rowLength; j++) scratch[start + j] += weights[row + j] * e;
                }
            }
            int shift = QMath.Int8ShiftFor(QMath.MaxAbs(scratch, 0, inLength));
            QMath.RoundingShiftToInt8(scratch, 0, inLength, shift, inputGrad.Data, 0);
            inputGrad.Exponent = weightExponent + outputGrad.Exponent + shift;
        }

        /// <summary>
        /// Adds Σ_p outputGrad[p][o] · window_p into the weight-gradient row of each trainable channel
        /// (every product · 2^shift; shift &lt; 0: pseudo-stochastic division) and Σ_p outputGrad[p][o]
        /// · 2^biasShift into its bias gradient (saturating). rowOffsets[o] &lt; 0 skips the weights
        /// (bias-only channel), biasOffsets[o] &lt; 0 the channel. No scratch.
        /// </summary>
        public static void BackwardWeights(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            int length, int inChannels, int outChannels, int kernel, int shift, int biasShift, int[] gradients)
        {
            sbyte[] x = input.Data;                // [length][inChannels]
            sbyte[] dy = outputGrad.Data;          // [positions][outChannels]
            int rowLength = kernel * inChannels;
            int positions = length - kernel + 1;
            for (int o = 0; o < outChannels; o++)
            {
                int biasAt = biasOffsets[o];
                if (biasAt < 0) continue;
                int offset = rowOffsets[o];
                int sum = 0;
                for (int p = 0, start = 0; p < positions; p++, start += inChannels)
                {
                    int e = dy[p * outChannels + o];
                    if (e == 0) continue;
                    sum += e;
                    if (offset < 0) continue;
                    if (shift >= 0)
                    {
                        int scaled = e << shift;  // |e| ≤ 127 and shift ≤ GradientGuardBits: no overflow
                        for (int j = 0; j < rowLength; j++) gradients[offset + j] += scaled * x[start + j];
                    }
                    else
                    {
                        int right = -shift;
                        for (int j = 0; j < rowLength; j++)
                        {
                            int product = e * x[start + j];
                            if (product != 0) gradients[offset + j] += QMath.ShiftStochastic(product, right);
                        }
                    }
                }
                if (sum != 0) gradients[biasAt] = QMath.SaturatingAdd(gradients[biasAt], QMath.ShiftStochastic(sum, -biasShift));
            }
        }
    }
}
