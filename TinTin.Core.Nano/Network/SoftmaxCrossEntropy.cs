using System;

namespace TinTin.Core
{
    /// <summary>
    /// Integer softmax cross-entropy. Softmax in base 2: p_i = 2^(t_i) / Σ 2^(t_j) with
    /// t_i = (z_i − z_max)·log2(e), log2(e) in Q16; 2^(−f) for the fraction from a 33-entry Q16
    /// table with linear interpolation (relative error &lt; 1e-4). Probabilities in Q16. The
    /// gradient p − onehot is requantised to int8 with the exponent rule; the loss
    /// −ln p_y = ln2 · (log2 Σ − t_y) is reported in Q16 nats. Allocates only at construction.
    /// </summary>
    public sealed class SoftmaxCrossEntropy
    {
        public const int ProbabilityBits = 16;
        public const int One = 1 << ProbabilityBits;
        public const int Log2EQ16 = 94548;   // log2(e) · 2^16
        public const int Ln2Q16 = 45426;     // ln(2) · 2^16

        // 2^(-j/32) · 2^16, j = 0..32
        private static readonly int[] Exp2NegTable = {
            65536, 64132, 62757, 61413, 60097, 58809, 57549, 56316, 55109, 53928, 52773, 51642, 50535,
            49452, 48393, 47356, 46341, 45348, 44376, 43425, 42495, 41584, 40693, 39821, 38968, 38133,
            37316, 36516, 35734, 34968, 34219, 33486, 32768 };
        // log2(1 + j/32) · 2^16, j = 0..32
        private static readonly int[] Log2Table = {
            0, 2909, 5732, 8473, 11136, 13727, 16248, 18704, 21098, 23433, 25711, 27936, 30109, 32234,
            34312, 36346, 38336, 40286, 42196, 44068, 45904, 47705, 49472, 51207, 52911, 54584, 56229,
            57845, 59434, 60997, 62534, 64047, 65536 };

        public readonly int Classes;
        /// <summary>[Classes] unnormalised 2^(t_i) in Q16 from the last Forward.</summary>
        private readonly int[] powers;
        /// <summary>[Classes] probabilities in Q16 from the last Forward.</summary>
        public readonly int[] Probabilities;
        /// <summary>[Classes] t_i = log2 of each unnormalised power, Q16 (≤ 0), from the last Forward.</summary>
        private readonly int[] log2Powers;
        /// <summary>[Classes] scratch for the gradient before requantisation.</summary>
        private readonly int[] gradient;
        private int powerSum;

        public SoftmaxCrossEntropy(int classes)
        {
            if (classes < 2) throw new ArgumentException("a classifier needs at least 2 classes");
            if (classes > 30000) throw new ArgumentException("too many classes");
            Classes = classes;
            powers = new int[classes];
            Probabilities = new int[classes];
            gradient = new int[classes];
            log2Powers = new int[classes];
        }

        /// <summary>Integer argmax; ties go to the lowest index.</summary>
        public static int ArgMax(QTensor logits, int count)
        {
            int best = 0;
            sbyte[] z = logits.Data;
            for (int i = 1; i < count; i++) if (z[i] > z[best]) best = i;
            return best;
        }

        /// <summary>Computes the probabilities of the logits (Q16).</summary>
        public void Forward(QTensor logits)
        {
            sbyte[] z = logits.Data; // [Classes]
            int max = z[0];
            for (int i = 1; i < Classes; i++) if (z[i] > max) max = z[i];
            int sum = 0;
            // QMath.ShiftRounded(v, shift) for v ≤ 0, inlined with its case chosen once: a rounding right
            // shift (0 beyond 30), or a saturating left shift (|v| ≤ 255·Log2EQ16 < 2^25).
            int shift = -logits.Exponent;
            int half = shift > 0 && shift <= 30 ? 1 << (shift - 1) : 0;
            int left = shift < 0 ? (shift < -31 ? 31 : -shift) : 0;
            int leftLimit = left < 31 ? QMath.Int32Max >> left : 0;
            int[] table = Exp2NegTable;
            for (int i = 0; i < Classes; i++)
            {
                // t = (z_i − max) · 2^e · log2(e), in Q16, ≤ 0
                int v = (z[i] - max) * Log2EQ16;
                int t;
                if (shift > 30 || v == 0) t = 0;
                else if (shift > 0) t = -((-v + half) >> shift);
                else if (v < -leftLimit) t = QMath.Int32Min;
                else t = v << left;
                log2Powers[i] = t;
                // Exp2Q16(t), inlined (a call per class costs the interpreter more than the arithmetic)
                int p;
                if (t >= 0) p = One;
                else
                {
                    int negative = t == int.MinValue ? int.MaxValue : -t;
                    int whole = negative >> 16;
                    if (whole > 16) p = 0;
                    else
                    {
                        int fraction = negative & 0xFFFF;
                        int index = fraction >> 11;
                        int a = table[index];
                        int value = a - (((a - table[index + 1]) * (fraction & 0x7FF) + 1024) >> 11);
                        p = whole == 0 ? value : (value + (1 << (whole - 1))) >> whole;
                    }
                }
                powers[i] = p;
                sum += p;
            }
            powerSum = sum;
            for (int i = 0; i < Classes; i++)
                Probabilities[i] = (int)((((long)powers[i] << ProbabilityBits) + (sum >> 1)) / sum);
        }

        /// <summary>−ln p_label in Q16 nats for the last Forward.</summary>
        public int LossQ16(int label)
        {
            // −ln p_y = ln2 · (log2 Σ − t_y), with Σ in Q16 (log2 Σ_real = log2 Σ − 16) and t_y
            // exact from Forward, so a tiny p_y keeps its precision instead of underflowing.
            long bits = (long)Log2Q16(powerSum) - (16L << 16) - log2Powers[label];
            if (bits < 0) bits = 0;
            return QMath.SaturateToInt32((bits * Ln2Q16 + (1L << 15)) >> 16);
        }

        /// <summary>logitsGrad = requant_int8(p − onehot(label)) for the last Forward.</summary>
        public void Backward(int label, QTensor logitsGrad)
        {
            System.Array.Copy(Probabilities, gradient, Classes);
            gradient[label] -= One;
            // QMath.RequantizeToInt8 as whole-buffer loops (|gradient| ≤ 2^16: within their documented range)
            logitsGrad.Exponent = -ProbabilityBits + QMath.RequantizeToInt8Fast(gradient, Classes, logitsGrad.Data);
        }

        /// <summary>2^(t/2^16) · 2^16 for t ≤ 0, rounded; 0 below 2^-17.</summary>
        public static int Exp2Q16(int t)
        {
            if (t >= 0) return One;
            int negative = t == int.MinValue ? int.MaxValue : -t;
            int whole = negative >> 16;
            if (whole > 16) return 0;
            int fraction = negative & 0xFFFF;
            int index = fraction >> 11;
            int rest = fraction & 0x7FF;
            int a = Exp2NegTable[index];
            int b = Exp2NegTable[index + 1];
            int value = a - (((a - b) * rest + 1024) >> 11);
            // QMath.RoundingShiftRight(value, whole) for 0 ≤ value ≤ 2^16 and whole in [0, 16], inlined
            return whole == 0 ? value : (value + (1 << (whole - 1))) >> whole;
        }

        /// <summary>log2(x) · 2^16 for x ≥ 1.</summary>
        public static int Log2Q16(int x)
        {
            if (x < 1) throw new ArgumentException("log2 needs a positive value");
            // b = QMath.BitLength(x) − 1 by int halving steps (no 64-bit arithmetic, no call)
            int b = 0;
            int v = x;
            if (v >= 1 << 16) { v >>= 16; b = 16; }
            if (v >= 1 << 8) { v >>= 8; b += 8; }
            if (v >= 1 << 4) { v >>= 4; b += 4; }
            if (v >= 1 << 2) { v >>= 2; b += 2; }
            if (v >= 2) b++;
            int rest = x - (1 << b);
            int fraction = b >= 16 ? rest >> (b - 16) : rest << (16 - b);
            int index = fraction >> 11;
            int within = fraction & 0x7FF;
            int a = Log2Table[index];
            int c = Log2Table[index + 1];
            return (b << 16) + a + (((c - a) * within + 1024) >> 11);
        }
    }
}
