using System;

namespace TinTin.Core
{
    /// <summary>
    /// A non-power-of-two rescaling factor written as a short sum of signed powers of two (the
    /// Tin-Tin integer rescaling): factor = (Σ ±2^b) / 2^FractionBits. Learning rates, momentum
    /// and input normalisation scales are all ShiftSums, so scaling a value costs a few shifts and
    /// adds and never a float. Built once (prepare step) from an integer ratio; the masks hold the
    /// terms, so no index arrays need keeping in step.
    /// </summary>
    public sealed class ShiftSum
    {
        /// <summary>Bits b with a +2^b term.</summary>
        public readonly int PlusMask;
        /// <summary>Bits b with a −2^b term (never overlapping PlusMask).</summary>
        public readonly int MinusMask;
        /// <summary>factor = (PlusMask − MinusMask) / 2^FractionBits.</summary>
        public readonly int FractionBits;
        /// <summary>PlusMask − MinusMask, kept so applying the factor is one multiply (see <see cref="SumOfTerms"/>).</summary>
        private readonly long mantissa;

        public ShiftSum(int plusMask, int minusMask, int fractionBits)
        {
            if ((plusMask & minusMask) != 0) throw new ArgumentException("a bit cannot be both a plus and a minus term");
            if (plusMask < 0 || minusMask < 0) throw new ArgumentException("term bits must be below 31");
            if (fractionBits < 0 || fractionBits > 40) throw new ArgumentException("fraction bits must be in [0, 40]");
            PlusMask = plusMask;
            MinusMask = minusMask;
            FractionBits = fractionBits;
            mantissa = (long)plusMask - minusMask;
        }

        /// <summary>The signed integer the terms add up to: factor = Mantissa / 2^FractionBits.</summary>
        public long Mantissa { get { return mantissa; } }

        /// <summary>How many shift terms the factor costs.</summary>
        public int TermCount { get { return CountBits(PlusMask) + CountBits(MinusMask); } }

        public bool IsZero { get { return PlusMask == 0 && MinusMask == 0; } }

        /// <summary>
        /// The closest factor to numerator/denominator with at most maxTerms signed power-of-two
        /// terms (greedy: each term is the power of two nearest to what is left).
        /// </summary>
        public static ShiftSum FromRatio(int numerator, int denominator, int maxTerms)
        {
            if (denominator <= 0) throw new ArgumentException("denominator must be positive");
            if (numerator < 0) throw new ArgumentException("numerator must not be negative");
            if (maxTerms < 1 || maxTerms > 16) throw new ArgumentException("maxTerms must be in [1, 16]");
            if (numerator == 0) return new ShiftSum(0, 0, 0);
            // Choose the fraction bits so the target mantissa lies just under 2^29 (room for one
            // rounding step up to 2^30 while staying clear of the sign bit).
            // Start as fine as 40 fraction bits allow without overflowing numerator · 2^F in 64 bits.
            int fractionBits = 62 - QMath.BitLength(numerator);
            if (fractionBits > 40) fractionBits = 40;
            long target = ((long)numerator << fractionBits) / denominator;
            while (target >= (1L << 29) && fractionBits > 0)
            {
                fractionBits--;
                target = ((long)numerator << fractionBits) / denominator;
            }
            if (target >= (1L << 29)) throw new ArgumentException("ratio too large for a ShiftSum");

            long residual = target;
            long approximation = 0;
            for (int t = 0; t < maxTerms && residual != 0; t++)
            {
                long magnitude = residual < 0 ? -residual : residual;
                int b = 0;
                while ((2L << b) <= magnitude) b++;               // 2^b ≤ magnitude < 2^(b+1)
                long lower = 1L << b;
                long power = (magnitude - lower) > ((lower << 1) - magnitude) ? lower << 1 : lower;
                if (residual < 0) power = -power;
                approximation += power;
                residual -= power;
            }
            return FromMantissa(approximation, fractionBits);
        }

        /// <summary>factor = mantissa / 2^fractionBits, with the terms of the mantissa's non-adjacent form.</summary>
        public static ShiftSum FromMantissa(long mantissa, int fractionBits)
        {
            if (mantissa < 0) throw new ArgumentException("mantissa must not be negative");
            if (mantissa >= (1L << 30)) throw new ArgumentException("mantissa must be below 2^30");
            int plus = 0, minus = 0;
            long n = mantissa;
            int bit = 0;
            while (n != 0)
            {
                if ((n & 1) != 0)
                {
                    long digit = 2 - (n & 3);                     // +1 or −1
                    if (digit > 0) plus |= 1 << bit; else minus |= 1 << bit;
                    n -= digit;
                }
                n >>= 1;
                bit++;
            }
            // Drop trailing zero bits into the fraction, keeping the representation canonical.
            while (fractionBits > 0 && ((plus | minus) & 1) == 0 && (plus | minus) != 0)
            {
                plus >>= 1; minus >>= 1; fractionBits--;
            }
            return new ShiftSum(plus, minus, fractionBits);
        }

        /// <summary>
        /// value · factor · 2^(-extraShift), rounded once to nearest (ties away from zero, as
        /// QMath.ShiftRounded64); saturates to int32. The product value · Mantissa is exact in 64
        /// bits and equals <see cref="SumOfTerms"/> (a board with a hardware multiplier pays one
        /// multiply; the interpreter would pay 31 loop turns for the terms).
        /// </summary>
        public int ApplyRounded(int value, int extraShift)
        {
            long v = value * mantissa;
            int shift = FractionBits + extraShift;
            // QMath.ShiftRounded64(v, shift), inlined (it is called per input feature)
            if (shift <= 0)
            {
                if (shift < -32) shift = -32;
                v <<= -shift;
            }
            else if (shift > 62) v = 0;
            else
            {
                long half = 1L << (shift - 1);
                v = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift);
            }
            if (v > QMath.Int32Max) return QMath.Int32Max;
            if (v < QMath.Int32Min) return QMath.Int32Min;
            return (int)v;
        }

        /// <summary>As <see cref="ApplyRounded"/> but with pseudo-stochastic rounding (QMath.ShiftStochastic64, for updates).</summary>
        public int ApplyStochastic(int value, int extraShift)
        {
            return QMath.ShiftStochastic64(value * mantissa, FractionBits + extraShift);
        }

        /// <summary>
        /// Σ ±(value · 2^b) over the terms, with shifts and adds only: the definition of applying
        /// the factor, equal to value · Mantissa (|value| &lt; 2^31, |Mantissa| &lt; 2^31: no term or
        /// sum leaves 64 bits). Kept as the plain form the tests hold the product to.
        /// </summary>
        public long SumOfTerms(int value)
        {
            long sum = 0;
            for (int b = 0; b < 31; b++)
            {
                int bit = 1 << b;
                if ((PlusMask & bit) != 0) sum += (long)value << b;
                else if ((MinusMask & bit) != 0) sum -= (long)value << b;
            }
            return sum;
        }

        /// <summary>factor · 10^6 rounded, for printing without floats.</summary>
        public long PartsPerMillion
        {
            get
            {
                long scaled = Mantissa * 1000000L;
                if (FractionBits == 0) return scaled;
                return (scaled + (1L << (FractionBits - 1))) >> FractionBits;
            }
        }

        public override string ToString()
        {
            return "ShiftSum(" + TermCount + " terms, " + PartsPerMillion + " ppm)";
        }

        private static int CountBits(int mask)
        {
            int count = 0;
            while (mask != 0) { count += mask & 1; mask = (int)(long)((uint)mask >> 1); }
            return count;
        }
    }
}
