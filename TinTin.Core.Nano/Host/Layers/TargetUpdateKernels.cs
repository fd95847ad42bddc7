namespace TinTin.Core
{
    /// <summary>
    /// The update-path kernels the host build runs: the SIMD variant <see cref="UpdateKernelsVector"/>. This file
    /// replaces Layers/TargetUpdateKernels.cs (the board's, which runs <see cref="UpdateKernels"/> and
    /// <see cref="QMath"/>) in Host/TinTin.Core.Nano.Host.csproj; both are bit-identical to the reference.
    /// </summary>
    public static class TargetUpdateKernels
    {
        public static void SgdMasterRows(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master)
        {
            UpdateKernelsVector.SgdMasterRows(source, sourceExponent, learningRate, rowOffsets, channels, rowLength, masterExponent, master);
        }

        public static int MaxAbs(short[] values, int offset, int count)
        {
            return UpdateKernelsVector.MaxAbs(values, offset, count);
        }

        public static void RoundingShiftToInt8(short[] source, int from, int count, int shift, sbyte[] destination, int destinationFrom)
        {
            UpdateKernelsVector.RoundingShiftToInt8(source, from, count, shift, destination, destinationFrom);
        }

        /// <summary>values[from .. from+count) = QMath.PseudoStochasticShiftRight(value, shift), in place.</summary>
        public static void PseudoStochasticShiftRight(int[] values, int from, int count, int shift)
        {
            UpdateKernelsVector.PseudoStochasticShiftRight(values, from, count, shift);
        }
    }
}
