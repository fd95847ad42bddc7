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

        /// <summary>SgdMasterRows, then the trained rows' int8 weights at int8Shift; returns the largest |master| of the trained rows (the SIMD passes one after the other).</summary>
        public static int SgdMasterRowsRefresh(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master, int int8Shift, sbyte[] weights)
        {
            UpdateKernelsVector.SgdMasterRows(source, sourceExponent, learningRate, rowOffsets, channels, rowLength, masterExponent, master);
            int max = 0;
            for (int c = 0; c < channels; c++)
            {
                if (rowOffsets[c] < 0) continue;
                int row = c * rowLength;
                UpdateKernelsVector.RoundingShiftToInt8(master, row, rowLength, int8Shift, weights, row);
                int rowMax = UpdateKernelsVector.MaxAbs(master, row, rowLength);
                if (rowMax > max) max = rowMax;
            }
            return max;
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
