namespace TinTin.Core
{
    /// <summary>
    /// The update-path kernels this build runs (the SGD step on the master weights and the two whole-layer
    /// passes after it). On the board: <see cref="UpdateKernels"/> and <see cref="QMath"/>. The host build
    /// replaces this file with Host/Layers/TargetUpdateKernels.cs, which runs the SIMD variant. Both are
    /// bit-identical to <see cref="UpdateKernelsReference"/> and QMath; arguments as there.
    /// </summary>
    public static class TargetUpdateKernels
    {
        public static void SgdMasterRows(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master)
        {
            UpdateKernels.SgdMasterRows(source, sourceExponent, learningRate, rowOffsets, channels, rowLength, masterExponent, master);
        }

        /// <summary>SgdMasterRows, then the trained rows' int8 weights at int8Shift; returns the largest |master| of the trained rows.</summary>
        public static int SgdMasterRowsRefresh(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master, int int8Shift, sbyte[] weights)
        {
            return UpdateKernels.SgdMasterRowsRefresh(source, sourceExponent, learningRate, rowOffsets, channels, rowLength, masterExponent, master, int8Shift, weights);
        }

        public static int MaxAbs(short[] values, int offset, int count)
        {
            return QMath.MaxAbs(values, offset, count);
        }

        public static void RoundingShiftToInt8(short[] source, int from, int count, int shift, sbyte[] destination, int destinationFrom)
        {
            QMath.RoundingShiftToInt8(source, from, count, shift, destination, destinationFrom);
        }

        /// <summary>values[from .. from+count) = QMath.PseudoStochasticShiftRight(value, shift), in place.</summary>
        public static void PseudoStochasticShiftRight(int[] values, int from, int count, int shift)
        {
            QMath.PseudoStochasticShiftRight(values, from, count, shift);
        }
    }
}
