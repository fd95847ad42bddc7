namespace TinTin.Core
{
    /// <summary>
    /// Integer SGD kernels over the trainable rows of a parameter layer. rowOffsets[c] is the
    /// arena offset of channel c's RowLength weight gradients, biasOffsets[c] of its bias
    /// gradient; -1 skips the channel (frozen, or for weights: bias-only). No scratch needed.
    /// The learning-rate product uses the ShiftSum's mantissa in one 64-bit multiply, which
    /// equals its sum of shifted terms exactly; <see cref="UpdateKernelsReference"/> evaluates the
    /// terms one by one through QMath and the tests hold the two bit-identical.
    /// </summary>
    public static class UpdateKernels
    {
        /// <summary>
        /// master[c][i] −= lr · source[row c][i] · 2^(sourceExponent − masterExponent), rounded
        /// pseudo-stochastically, saturated to int16.
        /// </summary>
        public static void SgdMasterRows(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master)
        {
            int shift = learningRate.FractionBits + masterExponent - sourceExponent;
            if (shift < 2)
            {
                UpdateKernelsReference.SgdMasterRows(source, sourceExponent, learningRate, rowOffsets, channels, rowLength, masterExponent, master);
                return;
            }
            if (shift > 62) return; // every step rounds to zero
            long mantissa = learningRate.Mantissa;
            int half = shift >> 1;
            long discardMask = (1L << shift) - 1L;
            long randomMask = (1L << half) - 1L;
            int fractionShift = shift - half;
            // The same rounding in int32 when the product fits (|g| ≤ gLimit) and shift ≤ 30: no
            // 64-bit arithmetic per weight in the usual case (lr a power of two: mantissa 1).
            bool intPath = shift <= 30 && mantissa > 0 && mantissa <= int.MaxValue;
            int mantissa32 = intPath ? (int)mantissa : 1;
            int gLimit = intPath ? int.MaxValue / mantissa32 : -1;
            int discardMask32 = intPath ? (1 << shift) - 1 : 0;
            int randomMask32 = intPath ? (1 << half) - 1 : 0;
            for (int c = 0; c < channels; c++)
            {
                int offset = rowOffsets[c];
                if (offset < 0) continue;
                int weight = c * rowLength;
                int end = offset + rowLength;
                for (int k = offset; k < end; k++, weight++)
                {
                    int g = source[k];
                    if (g == 0) continue;
                    int delta;
                    if (g <= gLimit && g >= -gLimit)
                    {
                        int product32 = g * mantissa32;
                        int magnitude32 = product32 < 0 ? -product32 : product32;
                        int kept32 = magnitude32 >> shift;
                        int discarded32 = magnitude32 & discardMask32;
                        if ((discarded32 >> fractionShift) > (discarded32 & randomMask32)) kept32++;
                        if (kept32 > 65534) kept32 = 65534;
                        delta = product32 < 0 ? -kept32 : kept32;
                    }
                    else
                    {
                        // QMath.ShiftStochastic64(g · mantissa, shift), inlined
                        long product = g * mantissa;
                        long magnitude = product < 0 ? -product : product;
                        long kept = magnitude >> shift;
                        long discarded = magnitude & discardMask;
                        if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                        if (kept > 65534) kept = 65534;
                        delta = product < 0 ? -(int)kept : (int)kept;
                    }
                    int updated = master[weight] - delta;
                    master[weight] = (short)(updated > 32767 ? 32767 : (updated < -32767 ? -32767 : updated));
                }
            }
        }

        /// <summary>bias[c] −= lr · source[biasOffsets[c]] · 2^(sourceExponent − biasExponent), saturating.</summary>
        public static void SgdBias(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] biasOffsets, int channels, int biasExponent, int[] bias)
        {
            int shift = biasExponent - sourceExponent;
            for (int c = 0; c < channels; c++)
            {
                int offset = biasOffsets[c];
                if (offset < 0) continue;
                int delta = learningRate.ApplyStochastic(source[offset], shift);
                bias[c] = QMath.SaturatingAdd(bias[c], -delta);
            }
        }

        /// <summary>
        /// velocity = momentum · velocity + gradient over the layer's arena range [from, from+count)
        /// (its rows are contiguous), both at velocityExponent (the gradient is moved there with
        /// pseudo-stochastic rounding), saturating. Optional path: plain helpers.
        /// </summary>
        public static void AccumulateVelocity(int[] gradients, int gradientExponent, ShiftSum momentum,
            int from, int count, int velocityExponent, int[] velocities)
        {
            int alignShift = velocityExponent - gradientExponent;
            int end = from + count;
            for (int k = from; k < end; k++)
            {
                int decayed = momentum.ApplyRounded(velocities[k], 0);
                velocities[k] = QMath.SaturatingAdd(decayed, QMath.ShiftStochastic(gradients[k], alignShift));
            }
        }
    }
}
