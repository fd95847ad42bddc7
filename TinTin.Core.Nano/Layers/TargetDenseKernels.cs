namespace TinTin.Core
{
    /// <summary>
    /// The dense kernels this build runs. On the board: <see cref="DenseKernels"/> (fitted to the IL
    /// interpreter). The host build replaces this file with Host/Layers/TargetDenseKernels.cs, which runs
    /// the SIMD variant. Both are bit-identical to <see cref="DenseKernelsReference"/>; arguments as there.
    /// </summary>
    public static class TargetDenseKernels
    {
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int inSize, int outSize, int[] scratch, QTensor output)
        {
            DenseKernels.Forward(input, weights, weightExponent, bias, biasExponent, inSize, outSize, scratch, output);
        }

        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int inSize, int outSize, int[] scratch, QTensor inputGrad)
        {
            DenseKernels.BackwardInput(outputGrad, weights, weightExponent, inSize, outSize, scratch, inputGrad);
        }

        public static void BackwardWeights(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            int inSize, int outSize, int shift, int biasShift, int[] gradients)
        {
            DenseKernels.BackwardWeights(input, outputGrad, rowOffsets, biasOffsets, inSize, outSize, shift, biasShift, gradients);
        }
    }
}
