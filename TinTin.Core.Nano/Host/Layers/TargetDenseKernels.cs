namespace TinTin.Core
{
    /// <summary>
    /// The dense kernels the host build runs: the SIMD variant <see cref="DenseKernelsVector"/>. This file
    /// replaces Layers/TargetDenseKernels.cs (the board's, which runs <see cref="DenseKernels"/>) in
    /// Host/TinTin.Core.Nano.Host.csproj; both are bit-identical to <see cref="DenseKernelsReference"/>.
    /// </summary>
    public static class TargetDenseKernels
    {
        public static void Forward(QTensor input, sbyte[] weights, int weightExponent, int[] bias, int biasExponent,
            int inSize, int outSize, int[] scratch, QTensor output)
        {
            DenseKernelsVector.Forward(input, weights, weightExponent, bias, biasExponent, inSize, outSize, scratch, output);
        }

        public static void BackwardInput(QTensor outputGrad, sbyte[] weights, int weightExponent,
            int inSize, int outSize, int[] scratch, QTensor inputGrad)
        {
            DenseKernelsVector.BackwardInput(outputGrad, weights, weightExponent, inSize, outSize, scratch, inputGrad);
        }

        public static void BackwardWeights(QTensor input, QTensor outputGrad, int[] rowOffsets, int[] biasOffsets,
            int inSize, int outSize, int shift, int biasShift, int[] gradients)
        {
            DenseKernelsVector.BackwardWeights(input, outputGrad, rowOffsets, biasOffsets, inSize, outSize, shift, biasShift, gradients);
        }
    }
}
