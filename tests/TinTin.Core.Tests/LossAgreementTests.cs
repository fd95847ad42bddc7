using System;
using FsCheck.Xunit;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// SoftmaxCrossEntropy's forward inlines Exp2Q16 and the exponent move of each logit, and Log2Q16 finds the bit
    /// length by int halving steps: both against the plain composition of the helpers they replace (QMath.ShiftRounded,
    /// Exp2Q16, QMath.BitLength), bit for bit, over random logits, exponents (right and saturating left shifts) and classes.
    /// </summary>
    public class LossAgreementTests
    {
        [Property(MaxTest = 1000)]
        public void Softmax_and_loss_equal_the_plain_helpers(byte classSeed, byte exponentSeed, int seed)
        {
            int classes = classSeed % 12 + 2;
            var random = new Random(seed);
            var logits = new QTensor(classes) { Exponent = exponentSeed % 48 - 36 }; // −36..11
            for (int i = 0; i < classes; i++) logits.Data[i] = (sbyte)random.Next(-128, 128);
            var loss = new SoftmaxCrossEntropy(classes);
            loss.Forward(logits);

            int max = int.MinValue;
            for (int i = 0; i < classes; i++) max = Math.Max(max, logits.Data[i]);
            var t = new int[classes];
            var powers = new int[classes];
            int sum = 0;
            for (int i = 0; i < classes; i++)
            {
                t[i] = QMath.ShiftRounded((logits.Data[i] - max) * SoftmaxCrossEntropy.Log2EQ16, -logits.Exponent);
                powers[i] = SoftmaxCrossEntropy.Exp2Q16(t[i]);
                sum += powers[i];
            }
            for (int i = 0; i < classes; i++)
                Assert.Equal((int)((((long)powers[i] << 16) + (sum >> 1)) / sum), loss.Probabilities[i]);
            int label = random.Next(classes);
            long bits = (long)PlainLog2Q16(sum) - (16L << 16) - t[label];
            if (bits < 0) bits = 0;
            Assert.Equal(QMath.SaturateToInt32((bits * SoftmaxCrossEntropy.Ln2Q16 + (1L << 15)) >> 16), loss.LossQ16(label));
        }

        [Property(MaxTest = 3000)]
        public bool Log2Q16_equals_the_BitLength_form(int seed)
        {
            int x = (int)(((uint)seed >> 1) >> new Random(seed).Next(0, 31)) | 1; // 1 .. int.MaxValue
            return SoftmaxCrossEntropy.Log2Q16(x) == PlainLog2Q16(x) && SoftmaxCrossEntropy.Log2Q16(int.MaxValue) == PlainLog2Q16(int.MaxValue);
        }

        /// <summary>Log2Q16 as it was: QMath.BitLength for the integer part, then the 33-entry table.</summary>
        private static int PlainLog2Q16(int x)
        {
            int b = QMath.BitLength(x) - 1;
            int rest = x - (1 << b);
            int fraction = b >= 16 ? rest >> (b - 16) : rest << (16 - b);
            int index = fraction >> 11;
            int within = fraction & 0x7FF;
            int[] table = Log2Table;
            int a = table[index];
            int c = table[index + 1];
            return (b << 16) + a + (((c - a) * within + 1024) >> 11);
        }

        // log2(1 + j/32) · 2^16, j = 0..32 (SoftmaxCrossEntropy's table)
        private static readonly int[] Log2Table = {
            0, 2909, 5732, 8473, 11136, 13727, 16248, 18704, 21098, 23433, 25711, 27936, 30109, 32234,
            34312, 36346, 38336, 40286, 42196, 44068, 45904, 47705, 49472, 51207, 52911, 54584, 56229,
            57845, 59434, 60997, 62534, 64047, 65536 };
    }
}
