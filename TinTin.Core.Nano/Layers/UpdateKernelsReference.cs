namespace TinTin.Core
{
    /// <summary>
    /// Plain reference for <see cref="UpdateKernels"/>: one QMath/ShiftSum call per value, the
    /// learning rate applied as its sum of shifted terms. Slow and obviously right; the fast
    /// kernel must match it bit for bit.
    /// </summary>
    public static class UpdateKernelsReference
    {
        public static void SgdMasterRows(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = rowOffsets[c];
                if (offset < 0) continue;
                for (int i = 0; i < rowLength; i++)
                {
                    int delta = learningRate.ApplyStochastic(source[offset + i], masterExponent - sourceExponent);
                    if (delta > 65534) delta = 65534;
                    if (delta < -65534) delta = -65534;
                    int index = c * rowLength + i;
                    master[index] = QMath.SaturateToInt16(master[index] - delta);
                }
            }
        }
    }
}
