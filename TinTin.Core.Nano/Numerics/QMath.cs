namespace TinTin.Core
{
    /// <summary>
    /// The one requantisation helper of the engine (CMSIS-NN style): every shift, rounding and
    /// saturation goes through these rules. A call costs thousands of cycles in the nanoFramework
    /// interpreter, so fast kernels call the whole-buffer loops here (<see cref="RoundingShiftToInt8(int[], int, int, int, sbyte[], int)"/>,
    /// <see cref="MaxAbs(int[], int, int)"/>) once per tensor or row, and inline only the
    /// per-element arithmetic of their fused loops; the reference kernels call the scalar functions,
    /// and tests prove both agree bit for bit.
    ///
    /// Ranges: int8 values are kept in [-127, 127] (symmetric, so negation never overflows);
    /// int16 master weights in [-32767, 32767]; int32 accumulators saturate at int.MinValue+1 /
    /// int.MaxValue. Shift ranges differ per helper and each one's summary says its own:
    /// RoundingShiftRight and PseudoStochasticShiftRight return 0 above 30 (the latter rounds to
    /// nearest below 2), ShiftLeftSaturating saturates from 31 on, the 64-bit forms return 0 above 62.
    /// nanoFramework ignores `checked`, so nothing here relies on it.
    /// </summary>
    public static class QMath
    {
        public const int Int8Max = 127;
        public const int Int16Max = 32767;
        public const int Int32Max = 2147483647;
        public const int Int32Min = -2147483647; // symmetric: -Int32Max

        /// <summary>value / 2^shift rounded to nearest, ties away from zero. shift ≤ 0 returns value unchanged; shifts above 30 give 0.</summary>
        public static int RoundingShiftRight(int value, int shift)
        {
            if (shift <= 0) return value;
            if (shift > 30) return 0;
            int half = 1 << (shift - 1);
            if (value >= 0) return (int)(long)(((uint)value + (uint)half) >> shift);
            // Negative: round the magnitude, then negate. -(int.MinValue) wraps, so go through uint.
            uint magnitude = (uint)(-(long)value);
            return -(int)(long)((magnitude + (uint)half) >> shift);
        }

        /// <summary>
        /// value · 2^(-shift): rounds to nearest when shift &gt; 0, shifts left with saturation when
        /// shift &lt; 0. The rule for moving a value from one exponent to another.
        /// </summary>
        public static int ShiftRounded(int value, int shift)
        {
            if (shift >= 0) return RoundingShiftRight(value, shift);
            return ShiftLeftSaturating(value, -shift);
        }

        /// <summary>value · 2^shift with saturation to the symmetric int32 range.</summary>
        public static int ShiftLeftSaturating(int value, int shift)
        {
            if (value == 0 || shift <= 0) return value;
            if (shift >= 31) return value > 0 ? Int32Max : Int32Min;
            int limit = Int32Max >> shift;
            if (value > limit) return Int32Max;
            if (value < -limit) return Int32Min;
            return value << shift;
        }

        /// <summary>
        /// value / 2^shift with pseudo-stochastic rounding (after NITI): the discarded low bits
        /// decide, without a random generator. The top half of the discarded bits is the fraction,
        /// the bottom half stands in for a uniform random number; round the magnitude up when the
        /// fraction exceeds it. In expectation the result equals value / 2^shift, so gradients
        /// smaller than one unit are not all lost. For shift &lt; 2 there are too few bits: round
        /// to nearest. Shifts above 30 give 0.
        /// </summary>
        public static int PseudoStochasticShiftRight(int value, int shift)
        {
            if (shift < 2) return RoundingShiftRight(value, shift);
            if (shift > 30) return 0;
            bool negative = value < 0;
            uint magnitude = negative ? (uint)(-(long)value) : (uint)value;
            uint kept = magnitude >> shift;
            uint discarded = magnitude & ((1u << shift) - 1u);
            int half = shift >> 1;
            uint fraction = discarded >> (shift - half);          // top `half` bits
            uint pseudoRandom = discarded & ((1u << half) - 1u);  // bottom `half` bits
            if (fraction > pseudoRandom) kept++;
            return negative ? -(int)(long)kept : (int)(long)kept;
        }

        /// <summary>
        /// values[from .. from+count) = <see cref="PseudoStochasticShiftRight(int, int)"/>(value, shift), in place:
        /// the whole-buffer loop (rescaling a gradient arena) with the rule inlined for shift in [2, 30].
        /// </summary>
        public static void PseudoStochasticShiftRight(int[] values, int from, int count, int shift)
        {
            int end = from + count;
            if (shift < 2 || shift > 30)
            {
                for (int i = from; i < end; i++) values[i] = PseudoStochasticShiftRight(values[i], shift);
                return;
            }
            int half = shift >> 1;
            int discardMask = (1 << shift) - 1;
            int randomMask = (1 << half) - 1;
            int fractionShift = shift - half;
            for (int i = from; i < end; i++)
            {
                int v = values[i];
                if (v == 0) continue;
                if (v == int.MinValue) { values[i] = PseudoStochasticShiftRight(v, shift); continue; }
                int magnitude = v < 0 ? -v : v;
                int kept = magnitude >> shift;
                int discarded = magnitude & discardMask;
                if ((discarded >> fractionShift) > (discarded & randomMask)) kept++;
                values[i] = v < 0 ? -kept : kept;
            }
        }

        /// <summary>Pseudo-stochastic for right shifts, saturating for left shifts (negative shift).</summary>
        public static int ShiftStochastic(int value, int shift)
        {
            if (shift >= 0) return PseudoStochasticShiftRight(value, shift);
            return ShiftLeftSaturating(value, -shift);
        }

        public static sbyte SaturateToInt8(int value)
        {
            if (value > Int8Max) return Int8Max;
            if (value < -Int8Max) return -Int8Max;
            return (sbyte)value;
        }

        public static short SaturateToInt16(int value)
        {
            if (value > Int16Max) return Int16Max;
            if (value < -Int16Max) return -Int16Max;
            return (short)value;
        }

        /// <summary>a + b saturated to the symmetric int32 range.</summary>
        public static int SaturatingAdd(int a, int b)
        {
            long sum = (long)a + b;
            if (sum > Int32Max) return Int32Max;
            if (sum < Int32Min) return Int32Min;
            return (int)sum;
        }

        /// <summary>|value| saturated to int range (|int.MinValue| becomes int.MaxValue).</summary>
        public static int Abs(int value)
        {
            if (value >= 0) return value;
            if (value == int.MinValue) return Int32Max;
            return -value;
        }

        /// <summary>Number of bits needed for a non-negative value: 0 → 0, 1 → 1, 127 → 7, 128 → 8 (a negative value counts 64).</summary>
        public static int BitLength(long nonNegative)
        {
            // Halving steps instead of a loop per bit: on the interpreter each loop turn costs
            // hundreds of instructions, and the exponent rule asks this once per tensor.
            if (nonNegative < 0) return 64;
            int bits = 0;
            if (nonNegative >= (1L << 32)) { nonNegative >>= 32; bits = 32; }
            if (nonNegative >= (1L << 31)) return bits + 32;
            int v = (int)nonNegative;
            if (v >= 1 << 16) { v >>= 16; bits += 16; }
            if (v >= 1 << 8) { v >>= 8; bits += 8; }
            if (v >= 1 << 4) { v >>= 4; bits += 4; }
            if (v >= 1 << 2) { v >>= 2; bits += 2; }
            if (v >= 2) { v >>= 1; bits += 1; }
            return bits + v;
        }

        /// <summary>
        /// The exponent rule: the smallest right shift s ≥ 0 with RoundingShiftRight(maxAbs, s) ≤ 127.
        /// After it the largest element lands in [64, 127] whenever maxAbs ≥ 64, so int8 values use
        /// their full range; smaller tensors are kept exact (no left shift adds information).
        /// </summary>
        public static int Int8ShiftFor(int maxAbs)
        {
            if (maxAbs <= Int8Max)
            {
                if (maxAbs >= 0) return 0;
                int s = BitLength(maxAbs) - 7; // a negative maxAbs: the long rule as it always was
                return RoundingShiftRight(maxAbs, s) > Int8Max ? s + 1 : s;
            }
            // BitLength(maxAbs) − 7 by int halving steps (this runs once per requantised tensor: no long
            // arithmetic, which the interpreter pays dearly): v = maxAbs >> 7 ≥ 1, shift = BitLength(v).
            int v = maxAbs >> 7;
            int shift = 1;
            if (v >= 1 << 16) { v >>= 16; shift += 16; }
            if (v >= 1 << 8) { v >>= 8; shift += 8; }
            if (v >= 1 << 4) { v >>= 4; shift += 4; }
            if (v >= 1 << 2) { v >>= 2; shift += 2; }
            if (v >= 2) shift++;
            // RoundingShiftRight(maxAbs, shift) for maxAbs ≥ 0 and shift in [1, 24], inlined.
            if ((maxAbs >> shift) + ((maxAbs >> (shift - 1)) & 1) > Int8Max) shift++;
            return shift;
        }

        /// <summary>Largest |value| over values[offset .. offset+count).</summary>
        public static int MaxAbs(int[] values, int offset, int count)
        {
            int max = 0;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                int v = values[i];
                if (v < 0) v = v == int.MinValue ? Int32Max : -v;
                if (v > max) max = v;
            }
            return max;
        }

        /// <summary>Largest |value| over values[offset .. offset+count) of an int16 buffer.</summary>
        public static int MaxAbs(short[] values, int offset, int count)
        {
            int max = 0;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                int v = values[i];
                if (v < 0) v = -v;
                if (v > max) max = v;
            }
            return max;
        }

        /// <summary>Largest |value| over an int8 buffer's first count values.</summary>
        public static int MaxAbs(sbyte[] values, int count)
        {
            int max = 0;
            for (int i = 0; i < count; i++)
            {
                int v = values[i];
                if (v < 0) v = -v;
                if (v > max) max = v;
            }
            return max;
        }

        /// <summary>
        /// Requantise count int32 values to int8 with the exponent rule, rounding to nearest.
        /// Returns the shift applied; the destination exponent is the source exponent + shift.
        /// </summary>
        public static int RequantizeToInt8(int[] source, int count, sbyte[] destination)
        {
            int shift = Int8ShiftFor(MaxAbs(source, 0, count));
            for (int i = 0; i < count; i++)
                destination[i] = SaturateToInt8(RoundingShiftRight(source[i], shift));
            return shift;
        }

        /// <summary>
        /// <see cref="RequantizeToInt8"/> as two whole-buffer loops unrolled by four, for the fast
        /// kernels' accumulators: the largest magnitude, then the rounding shift without saturation
        /// (none is needed: the exponent rule's shift rounds the largest magnitude to at most 127, so
        /// every smaller one too). Rounding to nearest with ties away from zero in one expression:
        /// (v + half − [v &lt; 0]) &gt;&gt; shift, which for v &lt; 0 equals −((−v + half) &gt;&gt; shift).
        /// Values must lie in (−2^31, 2^31) with |v| + 2^(shift−1) &lt; 2^31 (int32 sums of int8 products do).
        /// </summary>
        public static int RequantizeToInt8Fast(int[] source, int count, sbyte[] destination)
        {
            int max = 0;
            int i = 0;
            int count4 = count - 3;
            for (; i < count4; i += 4)
            {
                int v = source[i]; if (v < 0) v = -v; if (v > max) max = v;
                v = source[i + 1]; if (v < 0) v = -v; if (v > max) max = v;
                v = source[i + 2]; if (v < 0) v = -v; if (v > max) max = v;
                v = source[i + 3]; if (v < 0) v = -v; if (v > max) max = v;
            }
            for (; i < count; i++) { int v = source[i]; if (v < 0) v = -v; if (v > max) max = v; }
            return RequantizeToInt8Fast(source, count, max, destination);
        }

        /// <summary>
        /// <see cref="RequantizeToInt8Fast(int[], int, sbyte[])"/> when the caller already knows the largest
        /// magnitude (maxAbs = max |source[i]|, as its own loop tracked it). Returns the shift.
        /// </summary>
        public static int RequantizeToInt8Fast(int[] source, int count, int maxAbs, sbyte[] destination)
        {
            int i;
            int count4 = count - 3;
            int shift = Int8ShiftFor(maxAbs);
            if (shift == 0)
            {
                for (i = 0; i < count; i++) destination[i] = (sbyte)source[i];
                return 0;
            }
            int half = 1 << (shift - 1);
            for (i = 0; i < count4; i += 4)
            {
                int v = source[i]; destination[i] = (sbyte)((v + half + (v >> 31)) >> shift);
                v = source[i + 1]; destination[i + 1] = (sbyte)((v + half + (v >> 31)) >> shift);
                v = source[i + 2]; destination[i + 2] = (sbyte)((v + half + (v >> 31)) >> shift);
                v = source[i + 3]; destination[i + 3] = (sbyte)((v + half + (v >> 31)) >> shift);
            }
            for (; i < count; i++) { int v = source[i]; destination[i] = (sbyte)((v + half + (v >> 31)) >> shift); }
            return shift;
        }

        /// <summary>
        /// source[from .. from+count) / 2^shift rounded to nearest (ties away from zero, as
        /// <see cref="RoundingShiftRight"/>), saturated to ±127, into destination from destinationFrom.
        /// shift in [0, 30]; |source| + 2^(shift−1) must stay below 2^31 (int32 accumulators of
        /// int8 products do). The loop fast kernels call once per tensor or row instead of inlining it.
        /// </summary>
        public static void RoundingShiftToInt8(int[] source, int from, int count, int shift, sbyte[] destination, int destinationFrom)
        {
            int half = shift > 0 ? 1 << (shift - 1) : 0;
            int end = from + count;
            if (from == destinationFrom)
            {
                // One index for both buffers (the usual call): fewer locals per element on the interpreter.
                for (int i = from; i < end; i++)
                {
                    int v = source[i];
                    int r = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift);
                    destination[i] = (sbyte)(r > Int8Max ? Int8Max : (r < -Int8Max ? -Int8Max : r));
                }
                return;
            }
            for (int i = from, o = destinationFrom; i < end; i++, o++)
            {
                int v = source[i];
                int r = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift);
                destination[o] = (sbyte)(r > Int8Max ? Int8Max : (r < -Int8Max ? -Int8Max : r));
            }
        }

        /// <summary>The int16 form of <see cref="RoundingShiftToInt8(int[], int, int, int, sbyte[], int)"/> (master weights to int8); shift in [0, 15].</summary>
        public static void RoundingShiftToInt8(short[] source, int from, int count, int shift, sbyte[] destination, int destinationFrom)
        {
            int half = shift > 0 ? 1 << (shift - 1) : 0;
            int end = from + count;
            if (from == destinationFrom)
            {
                for (int i = from; i < end; i++)
                {
                    int v = source[i];
                    int r = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift);
                    destination[i] = (sbyte)(r > Int8Max ? Int8Max : (r < -Int8Max ? -Int8Max : r));
                }
                return;
            }
            for (int i = from, o = destinationFrom; i < end; i++, o++)
            {
                int v = source[i];
                int r = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift);
                destination[o] = (sbyte)(r > Int8Max ? Int8Max : (r < -Int8Max ? -Int8Max : r));
            }
        }

        /// <summary>Saturate a 64-bit value to the symmetric int32 range.</summary>
        public static int SaturateToInt32(long value)
        {
            if (value > Int32Max) return Int32Max;
            if (value < Int32Min) return Int32Min;
            return (int)value;
        }

        /// <summary>
        /// value · 2^(-shift) for a 64-bit intermediate, saturated to int32. Rounds to nearest (ties
        /// away from zero) for shift &gt; 0 and shifts left for shift &lt; 0.
        /// </summary>
        public static int ShiftRounded64(long value, int shift)
        {
            if (shift <= 0)
            {
                if (shift < -32) shift = -32;
                return SaturateToInt32(value << -shift);
            }
            return SaturateToInt32(RoundingShiftRight64(value, shift));
        }

        /// <summary>
        /// value · 2^(-shift) in 64 bits, no saturation: rounds to nearest (ties away from zero) for
        /// shift in (0, 62], 0 above 62; shifts left for shift ≤ 0 (the caller keeps the headroom).
        /// </summary>
        public static long RoundingShiftRight64(long value, int shift)
        {
            if (shift <= 0) return value << -shift;
            if (shift > 62) return 0;
            long half = 1L << (shift - 1);
            return value >= 0 ? (value + half) >> shift : -((-value + half) >> shift);
        }

        /// <summary>The 64-bit form of <see cref="PseudoStochasticShiftRight"/>, saturated to int32; left shift for shift &lt; 0.</summary>
        public static int ShiftStochastic64(long value, int shift)
        {
            if (shift < 2) return ShiftRounded64(value, shift);
            if (shift > 62) return 0;
            bool negative = value < 0;
            long magnitude = negative ? -value : value;
            long kept = magnitude >> shift;
            long discarded = magnitude & ((1L << shift) - 1L);
            int half = shift >> 1;
            long fraction = discarded >> (shift - half);
            long pseudoRandom = discarded & ((1L << half) - 1L);
            if (fraction > pseudoRandom) kept++;
            return SaturateToInt32(negative ? -kept : kept);
        }
    }
}
