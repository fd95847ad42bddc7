using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinTin.Core
{
    /// <summary>
    /// Update-path kernels, host SIMD variant (AVX2): the integer SGD step on the int16 master weights and the
    /// two whole-buffer passes that follow it every step (largest magnitude, master → int8). Only the host build
    /// compiles this file; the board runs <see cref="UpdateKernels"/> and <see cref="QMath"/>. Results are bit for
    /// bit those of <see cref="UpdateKernelsReference"/>/<see cref="QMath"/>: the same 64-bit product and
    /// pseudo-stochastic rounding lane by lane. Without AVX2 (or for a ShiftSum mantissa beyond int32) it calls
    /// the scalar kernels.
    /// </summary>
    public static class UpdateKernelsVector
    {
        /// <summary>As <see cref="UpdateKernels.SgdMasterRows"/>: master[c][i] −= lr · source[row c][i] · 2^(sourceExponent − masterExponent).</summary>
        public static void SgdMasterRows(int[] source, int sourceExponent, ShiftSum learningRate,
            int[] rowOffsets, int channels, int rowLength, int masterExponent, short[] master)
        {
            int shift = learningRate.FractionBits + masterExponent - sourceExponent;
            long mantissa = learningRate.Mantissa;
            if (!Avx2.IsSupported || shift < 2 || shift > 62 || mantissa > int.MaxValue || mantissa < int.MinValue || rowLength < 16)
            {
                UpdateKernels.SgdMasterRows(source, sourceExponent, learningRate, rowOffsets, channels, rowLength, masterExponent, master);
                return;
            }
            if (master.Length < channels * rowLength) throw new ArgumentException("UpdateKernelsVector: master is shorter than channels × rowLength");
            int half = shift >> 1;
            var rounding = new StochasticShift64(shift, half);
            Vector256<int> factor = Vector256.Create((int)mantissa);   // pmuldq reads the low int of each long lane
            Vector256<int> limit = Vector256.Create(32767);
            ref int g0 = ref MemoryMarshal.GetArrayDataReference(source);
            ref short m0 = ref MemoryMarshal.GetArrayDataReference(master);
            int vectorEnd = rowLength / 16 * 16;
            for (int c = 0; c < channels; c++)
            {
                int offset = rowOffsets[c];
                if (offset < 0) continue;
                if (offset + rowLength > source.Length) throw new ArgumentException("UpdateKernelsVector: a gradient row runs past the arena");
                int weight = c * rowLength;
                for (int i = 0; i < vectorEnd; i += 16)
                {
                    Vector256<int> gLow = Vector256.LoadUnsafe(ref g0, (nuint)(offset + i));
                    Vector256<int> gHigh = Vector256.LoadUnsafe(ref g0, (nuint)(offset + i + 8));
                    Vector256<int> deltaLow = Vector256.Narrow(rounding.Delta(Product(gLow.GetLower(), factor)), rounding.Delta(Product(gLow.GetUpper(), factor)));
                    Vector256<int> deltaHigh = Vector256.Narrow(rounding.Delta(Product(gHigh.GetLower(), factor)), rounding.Delta(Product(gHigh.GetUpper(), factor)));
                    Vector256<short> old = Vector256.LoadUnsafe(ref m0, (nuint)(weight + i));
                    (Vector256<int> oldLow, Vector256<int> oldHigh) = Vector256.Widen(old);
                    // |delta| ≤ 65534, so old − delta stays in int32; saturate to ±32767.
                    Vector256<int> newLow = Vector256.Clamp(oldLow - deltaLow, -limit, limit);
                    Vector256<int> newHigh = Vector256.Clamp(oldHigh - deltaHigh, -limit, limit);
                    // A zero gradient leaves the weight untouched (the scalar kernel skips it).
                    newLow = Vector256.ConditionalSelect(Vector256.Equals(gLow, Vector256<int>.Zero), oldLow, newLow);
                    newHigh = Vector256.ConditionalSelect(Vector256.Equals(gHigh, Vector256<int>.Zero), oldHigh, newHigh);
                    Vector256.Narrow(newLow, newHigh).StoreUnsafe(ref m0, (nuint)(weight + i));
                }
                for (int i = vectorEnd; i < rowLength; i++)
                {
                    int g = source[offset + i];
                    if (g == 0) continue;
                    int delta = QMath.ShiftStochastic64(g * mantissa, shift);
                    if (delta > 65534) delta = 65534;
                    if (delta < -65534) delta = -65534;
                    master[weight + i] = QMath.SaturateToInt16(master[weight + i] - delta);
                }
            }
        }

        /// <summary>As <see cref="QMath.MaxAbs(short[], int, int)"/>: the largest |value| (−32768 counts 32768).</summary>
        public static int MaxAbs(short[] values, int offset, int count)
        {
            if (!Avx2.IsSupported || count < 16) return QMath.MaxAbs(values, offset, count);
            if (offset < 0 || offset + count > values.Length) throw new ArgumentException("UpdateKernelsVector.MaxAbs: range outside the buffer");
            ref short v0 = ref MemoryMarshal.GetArrayDataReference(values);
            Vector256<ushort> max = Vector256<ushort>.Zero;
            int end = offset + count - 16;
            int i = offset;
            for (; i <= end; i += 16) max = Avx2.Max(max, Avx2.Abs(Vector256.LoadUnsafe(ref v0, (nuint)i)));  // pabsw: −32768 ↦ 32768 unsigned
            int result = 0;
            for (int k = 0; k < 16; k++) if (max.GetElement(k) > result) result = max.GetElement(k);
            for (; i < offset + count; i++)
            {
                int a = values[i] < 0 ? -values[i] : values[i];
                if (a > result) result = a;
            }
            return result;
        }

        /// <summary>As <see cref="QMath.RoundingShiftToInt8(short[], int, int, int, sbyte[], int)"/>: source / 2^shift rounded to nearest (ties away from zero), saturated to ±127; shift in [0, 15].</summary>
        public static void RoundingShiftToInt8(short[] source, int from, int count, int shift, sbyte[] destination, int destinationFrom)
        {
            if (!Avx2.IsSupported || count < 32 || shift < 0 || shift > 15)
            {
                QMath.RoundingShiftToInt8(source, from, count, shift, destination, destinationFrom);
                return;
            }
            if (from < 0 || from + count > source.Length || destinationFrom < 0 || destinationFrom + count > destination.Length)
                throw new ArgumentException("UpdateKernelsVector.RoundingShiftToInt8: range outside a buffer");
            ref short s0 = ref MemoryMarshal.GetArrayDataReference(source);
            ref sbyte d0 = ref MemoryMarshal.GetArrayDataReference(destination);
            Vector256<int> half = Vector256.Create(shift > 0 ? 1 << (shift - 1) : 0);
            Vector256<int> top = Vector256.Create(127);
            int vectorCount = count / 32 * 32;
            for (int k = 0; k < vectorCount; k += 32)
            {
                (Vector256<int> a, Vector256<int> b) = Vector256.Widen(Vector256.LoadUnsafe(ref s0, (nuint)(from + k)));
                (Vector256<int> c, Vector256<int> d) = Vector256.Widen(Vector256.LoadUnsafe(ref s0, (nuint)(from + k + 16)));
                Vector256<short> low = Vector256.Narrow(Round(a, half, shift, top), Round(b, half, shift, top));
                Vector256<short> high = Vector256.Narrow(Round(c, half, shift, top), Round(d, half, shift, top));
                Vector256.Narrow(low, high).StoreUnsafe(ref d0, (nuint)(destinationFrom + k));
            }
            if (vectorCount < count)
                QMath.RoundingShiftToInt8(source, from + vectorCount, count - vectorCount, shift, destination, destinationFrom + vectorCount);
        }

        /// <summary>Rounded shift of the magnitude, capped at 127, sign restored (int32 lanes: no int16 overflow).</summary>
        private static Vector256<int> Round(Vector256<int> v, Vector256<int> half, int shift, Vector256<int> top)
        {
            Vector256<int> sign = Vector256.ShiftRightArithmetic(v, 31);
            Vector256<int> magnitude = (v ^ sign) - sign;
            Vector256<int> r = Vector256.Min(Vector256.ShiftRightLogical(magnitude + half, shift), top);
            return (r ^ sign) - sign;
        }

        /// <summary>values[from .. from+count) = QMath.PseudoStochasticShiftRight(value, shift), in place (rescaling an accumulator).</summary>
        public static void PseudoStochasticShiftRight(int[] values, int from, int count, int shift)
        {
            if (!Avx2.IsSupported || shift < 0 || shift > 30 || count < 8)
            {
                for (int k = from; k < from + count; k++) values[k] = QMath.PseudoStochasticShiftRight(values[k], shift);
                return;
            }
            if (from < 0 || from + count > values.Length) throw new ArgumentException("UpdateKernelsVector.PseudoStochasticShiftRight: range outside the buffer");
            ref int v0 = ref MemoryMarshal.GetArrayDataReference(values);
            int end = from + count / 8 * 8;
            for (int k = from; k < end; k += 8)
                DenseKernelsVector.ShiftRightStochastic(Vector256.LoadUnsafe(ref v0, (nuint)k), shift).StoreUnsafe(ref v0, (nuint)k);
            for (int k = end; k < from + count; k++) values[k] = QMath.PseudoStochasticShiftRight(values[k], shift);
        }

        /// <summary>Four 64-bit products g · mantissa (sign-extended ints in, pmuldq).</summary>
        private static Vector256<long> Product(Vector128<int> g, Vector256<int> factor)
        {
            return Avx2.Multiply(Avx2.ConvertToVector256Int64(g).AsInt32(), factor);
        }

        /// <summary>QMath.ShiftStochastic64(product, shift) capped at ±65534, as the scalar kernel inlines it.</summary>
        private readonly struct StochasticShift64
        {
            private readonly int shift, fractionShift;
            private readonly Vector256<long> discardMask, randomMask, cap;

            public StochasticShift64(int shift, int half)
            {
                this.shift = shift;
                fractionShift = shift - half;
                discardMask = Vector256.Create((1L << shift) - 1L);
                randomMask = Vector256.Create((1L << half) - 1L);
                cap = Vector256.Create(65534L);
            }

            public Vector256<long> Delta(Vector256<long> product)
            {
                Vector256<long> sign = Avx2.CompareGreaterThan(Vector256<long>.Zero, product);   // -1 where negative
                Vector256<long> magnitude = (product ^ sign) - sign;
                Vector256<long> discarded = magnitude & discardMask;
                Vector256<long> roundUp = Avx2.CompareGreaterThan(Vector256.ShiftRightLogical(discarded, fractionShift), discarded & randomMask);
                Vector256<long> kept = Vector256.ShiftRightLogical(magnitude, shift) - roundUp;
                kept = Vector256.ConditionalSelect(Avx2.CompareGreaterThan(kept, cap), cap, kept);
                return (kept ^ sign) - sign;
            }
        }
    }
}
