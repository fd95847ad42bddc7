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

        /// <summary>
        /// <see cref="SgdMasterRows"/> fused with what follows it on a trained row: the row's int8 weights
        /// re-derived from the updated master at int8Shift (QMath.RoundingShiftToInt8's rule: to nearest,
        /// saturated to ±127; shift in [0, 15]) and the largest |master| over the trained rows, in the same
        /// pass (one read of each master value instead of three passes). Returns that largest magnitude
        /// (0 when no row trains). Every weight of a trained row is refreshed, zero gradients included.
        /// </summary>
        public static int SgdMasterRowsRefresh(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master, int int8Shift, sbyte[] weights)
        {
            int shift = learningRate.FractionBits + masterExponent - sourceExponent;
            long mantissa = learningRate.Mantissa;
            // The int32 path of SgdMasterRows: shift in [2, 30], |g · mantissa| within int (gLimit); else the plain step first.
            bool intPath = shift >= 2 && shift <= 30 && mantissa > 0 && mantissa <= int.MaxValue;
            if (!intPath && shift <= 62) SgdMasterRows(source, sourceExponent, learningRate, rowOffsets, channels, rowLength, masterExponent, master);
            bool step = intPath;                          // shift > 62: every step rounds to zero, nothing to add
            int mantissa32 = intPath ? (int)mantissa : 1;
            int gLimit = intPath ? int.MaxValue / mantissa32 : -1;
            int half = shift >> 1;
            int discardMask = intPath ? (1 << shift) - 1 : 0;
            int randomMask = intPath ? (1 << half) - 1 : 0;
            int fractionShift = shift - half;
            int roundHalf = int8Shift > 0 ? 1 << (int8Shift - 1) : 0;
            int max = 0;
            for (int c = 0; c < channels; c++)
            {
                int offset = rowOffsets[c];
                if (offset < 0) continue;
                int weight = c * rowLength;
                int end = offset + rowLength;
                for (int k = offset; k < end; k++, weight++)
                {
                    int m = master[weight];
                    int g = step ? source[k] : 0;
                    if (g != 0)
                    {
                        int delta;
                        if (g <= gLimit && g >= -gLimit)
                        {
                            int product = g * mantissa32;
                            int magnitude = product < 0 ? -product : product;
                            int kept = magnitude >> shift;
                            int discarded = magnitude & discardMask;
                            if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                            if (kept > 65534) kept = 65534;
                            delta = product < 0 ? -kept : kept;
                        }
                        else delta = SgdDelta(g, mantissa, shift);
                        m -= delta;
                        m = m > 32767 ? 32767 : (m < -32767 ? -32767 : m);
                        master[weight] = (short)m;
                    }
                    int r;
                    if (m >= 0) { r = (m + roundHalf) >> int8Shift; if (m > max) max = m; }
                    else { r = -((-m + roundHalf) >> int8Shift); if (-m > max) max = -m; }
                    weights[weight] = (sbyte)(r > 127 ? 127 : (r < -127 ? -127 : r));
                }
            }
            return max;
        }

        /// <summary>
        /// A trial step (the look-ahead fill, <see cref="ParameterLayer.ApplyTrialStep"/>): for every weight of a trained
        /// row, the int8 weight becomes what <see cref="SgdMasterRowsRefresh"/> would derive from the stepped master
        /// (master − lr · g · 2^(sourceExponent − masterExponent), pseudo-stochastic, saturated to int16, then to nearest at
        /// int8Shift, saturated to ±127) while the master copy is left as it is, and the consumed gradient slot takes the old
        /// int8 weight (<see cref="UndoTrialInt8Rows"/> writes it back): no memory beyond the rows' own arena slots.
        /// </summary>
        public static void TrialInt8Rows(int[] pool, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master, int int8Shift, sbyte[] weights)
        {
            int shift = learningRate.FractionBits + masterExponent - sourceExponent;
            long mantissa = learningRate.Mantissa;
            bool intPath = shift >= 2 && shift <= 30 && mantissa > 0 && mantissa <= int.MaxValue;
            int mantissa32 = intPath ? (int)mantissa : 1;
            int gLimit = intPath ? int.MaxValue / mantissa32 : -1;
            int half = shift >> 1;
            int discardMask = intPath ? (1 << shift) - 1 : 0;
            int randomMask = intPath ? (1 << half) - 1 : 0;
            int fractionShift = shift - half;
            int roundHalf = int8Shift > 0 ? 1 << (int8Shift - 1) : 0;
            for (int c = 0; c < channels; c++)
            {
                int offset = rowOffsets[c];
                if (offset < 0) continue;
                int weight = c * rowLength;
                int end = offset + rowLength;
                for (int k = offset; k < end; k++, weight++)
                {
                    int m = master[weight];
                    int g = pool[k];
                    if (g != 0)
                    {
                        int delta;
                        if (intPath && g <= gLimit && g >= -gLimit)
                        {
                            int product = g * mantissa32;
                            int magnitude = product < 0 ? -product : product;
                            int kept = magnitude >> shift;
                            int discarded = magnitude & discardMask;
                            if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                            if (kept > 65534) kept = 65534;
                            delta = product < 0 ? -kept : kept;
                        }
                        else delta = SgdDelta(g, mantissa, shift); // the real step's own, so the trial moves each weight exactly as the update would
                        m -= delta;
                        m = m > 32767 ? 32767 : (m < -32767 ? -32767 : m);
                    }
                    int r;
                    if (m >= 0) r = (m + roundHalf) >> int8Shift;
                    else r = -((-m + roundHalf) >> int8Shift);
                    pool[k] = weights[weight];
                    weights[weight] = (sbyte)(r > 127 ? 127 : (r < -127 ? -127 : r));
                }
            }
        }

        /// <summary>Writes back the int8 weights <see cref="TrialInt8Rows"/> kept in the trained rows' gradient slots.</summary>
        public static void UndoTrialInt8Rows(int[] pool, int[] rowOffsets, int channels, int rowLength, sbyte[] weights)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = rowOffsets[c];
                if (offset < 0) continue;
                int weight = c * rowLength;
                int end = offset + rowLength;
                for (int k = offset; k < end; k++, weight++) weights[weight] = (sbyte)pool[k];
            }
        }

        /// <summary>
        /// The trial step of the trained biases: bias −= lr · g · 2^(sourceExponent − biasExponent) (pseudo-stochastic,
        /// saturating, as <see cref="SgdBias"/>), the consumed gradient slot keeping the old bias (<see cref="UndoTrialBias"/>).
        /// </summary>
        public static void TrialBias(int[] pool, int sourceExponent, ShiftSum learningRate, int[] biasOffsets, int channels, int biasExponent, int[] bias)
        {
            int shift = biasExponent - sourceExponent;
            for (int c = 0; c < channels; c++)
            {
                int offset = biasOffsets[c];
                if (offset < 0) continue;
                int g = pool[offset];
                pool[offset] = bias[c];
                if (g != 0) bias[c] = QMath.SaturatingAdd(bias[c], -learningRate.ApplyStochastic(g, shift));
            }
        }

        /// <summary>Writes back the biases <see cref="TrialBias"/> kept in the bias gradient slots.</summary>
        public static void UndoTrialBias(int[] pool, int[] biasOffsets, int channels, int[] bias)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = biasOffsets[c];
                if (offset >= 0) bias[c] = pool[offset];
            }
        }

        /// <summary>QMath.ShiftStochastic64(g · mantissa, shift) clamped to ±65534: the 64-bit step of a gradient beyond the int32 path.</summary>
        private static int SgdDelta(int g, long mantissa, int shift)
        {
            long product = g * mantissa;
            long magnitude = product < 0 ? -product : product;
            long kept = magnitude >> shift;
            int half = shift >> 1;
            long discarded = magnitude & ((1L << shift) - 1L);
            if ((discarded >> (shift - half)) > (discarded & ((1L << half) - 1L))) kept++;
            if (kept > 65534) kept = 65534;
            return product < 0 ? -(int)kept : (int)kept;
        }

        /// <summary>bias[c] −= lr · source[biasOffsets[c]] · 2^(sourceExponent − biasExponent), saturating.</summary>
        public static void SgdBias(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] biasOffsets, int channels, int biasExponent, int[] bias)
        {
            int shift = biasExponent - sourceExponent;
            // learningRate.ApplyStochastic and QMath.SaturatingAdd inlined in int32 for the usual case
            // (total shift in [2, 30], the product within int); other values call them.
            int total = learningRate.FractionBits + shift;
            long mantissa = learningRate.Mantissa;
            bool intPath = total >= 2 && total <= 30 && mantissa > 0 && mantissa <= int.MaxValue;
            int mantissa32 = intPath ? (int)mantissa : 1;
            int gLimit = intPath ? int.MaxValue / mantissa32 : -1;
            int half = total >> 1;
            int discardMask = intPath ? (1 << total) - 1 : 0;
            int randomMask = intPath ? (1 << half) - 1 : 0;
            int fractionShift = total - half;
            for (int c = 0; c < channels; c++)
            {
                int offset = biasOffsets[c];
                if (offset < 0) continue;
                int g = source[offset];
                if (g > gLimit || g < -gLimit)
                {
                    bias[c] = QMath.SaturatingAdd(bias[c], -learningRate.ApplyStochastic(g, shift));
                    continue;
                }
                int product = g * mantissa32;
                int magnitude = product < 0 ? -product : product;
                int kept = magnitude >> total;
                int discarded = magnitude & discardMask;
                if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                int step = product < 0 ? kept : -kept; // −delta
                int a = bias[c];
                int sum = a + step;
                if (((a ^ sum) & (step ^ sum)) < 0) sum = step > 0 ? QMath.Int32Max : QMath.Int32Min; // wrapped
                else if (sum == int.MinValue) sum = QMath.Int32Min;                                    // symmetric range
                bias[c] = sum;
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
