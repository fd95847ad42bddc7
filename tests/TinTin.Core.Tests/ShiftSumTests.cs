using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    public class ShiftSumTests
    {
        private static double Value(ShiftSum s) => s.Mantissa / Math.Pow(2, s.FractionBits);

        [Theory]
        [InlineData(1, 100, 4, 0.003)]    // 0.01 with 4 terms: within 0.3 %
        [InlineData(9, 10, 3, 0.01)]      // momentum 0.9
        [InlineData(32, 150, 4, 0.003)]
        [InlineData(3, 1, 2, 0.0)]        // 3 = 4 − 1 exactly
        [InlineData(1, 64, 1, 0.0)]
        public void FromRatio_is_close_with_few_terms(int numerator, int denominator, int terms, double relativeBound)
        {
            ShiftSum s = ShiftSum.FromRatio(numerator, denominator, terms);
            Assert.True(s.TermCount <= terms, $"{s.TermCount} terms");
            double exact = (double)numerator / denominator;
            Assert.InRange(Math.Abs(Value(s) - exact) / exact, 0, relativeBound + 1e-12);
        }

        [Fact]
        public void More_terms_never_worsen_the_approximation()
        {
            var random = new Random(5);
            for (int k = 0; k < 500; k++)
            {
                int n = random.Next(1, 10000), d = random.Next(1, 10000);
                double exact = (double)n / d, previous = double.MaxValue;
                for (int terms = 1; terms <= 6; terms++)
                {
                    double error = Math.Abs(Value(ShiftSum.FromRatio(n, d, terms)) - exact) / exact;
                    Assert.True(error <= previous + 1e-12, $"{n}/{d}: {terms} terms error {error} > {previous}");
                    previous = error;
                }
                // Each greedy term at least halves the residual: error ≤ 2^-terms relative-ish.
                Assert.True(previous < 1.0 / 32, $"{n}/{d}: 6 terms still {previous}");
            }
        }

        [Fact]
        public void Sum_of_shifted_terms_equals_the_mantissa_product()
        {
            var random = new Random(11);
            for (int k = 0; k < 2000; k++)
            {
                ShiftSum s = ShiftSum.FromRatio(random.Next(1, 100000), random.Next(1, 100000), random.Next(1, 5));
                int value = random.Next(-int.MaxValue, int.MaxValue);
                Assert.Equal((long)value * s.Mantissa, s.SumOfTerms(value));
            }
        }

        [Fact]
        public void ApplyRounded_matches_the_rational_result()
        {
            ShiftSum s = ShiftSum.FromRatio(3, 8, 2); // exactly 0.375
            Assert.Equal(38, s.ApplyRounded(100, 0));   // 37.5 → 38
            Assert.Equal(-38, s.ApplyRounded(-100, 0));
            Assert.Equal(19, s.ApplyRounded(100, 1));   // 18.75 → 19
            Assert.Equal(75, s.ApplyRounded(100, -1));
            Assert.Equal(375000, s.PartsPerMillion);
        }

        [Theory]
        [InlineData(int.MaxValue, 1 << 20)]      // large numerators must not overflow the 64-bit target
        [InlineData(1 << 30, 3)]
        [InlineData(int.MaxValue, int.MaxValue)]
        [InlineData(1, int.MaxValue)]
        public void FromRatio_handles_the_whole_int_range(int numerator, int denominator)
        {
            ShiftSum s = ShiftSum.FromRatio(numerator, denominator, 4);
            double exact = (double)numerator / denominator;
            Assert.InRange(Math.Abs(Value(s) - exact) / exact, 0, 0.01);
        }

        [Fact]
        public void Invalid_ratios_are_rejected_with_a_reason()
        {
            Assert.Contains("denominator", Assert.Throws<ArgumentException>(() => ShiftSum.FromRatio(1, 0, 2)).Message);
            Assert.Contains("numerator", Assert.Throws<ArgumentException>(() => ShiftSum.FromRatio(-1, 3, 2)).Message);
            Assert.Throws<ArgumentException>(() => new ShiftSum(3, 1, 4));
        }
    }
}
