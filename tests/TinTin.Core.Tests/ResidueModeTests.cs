using System;
using System.Linq;
using FsCheck;
using FsCheck.Xunit;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// The int8-weights-plus-4-bit-residue mode (<see cref="TrainingStateMode.FusedInt8Residue"/>): the
    /// packing, the board kernel against its plain reference bit for bit (FsCheck picks shapes, masks,
    /// rates, exponents and a seed; a failure shrinks), and that the residue keeps the steps int8 loses.
    /// </summary>
    public class ResidueModeTests
    {
        [Property(MaxTest = 500)]
        public void A_fine_value_stored_reads_back_and_leaves_the_other_nibble_alone(short fineSeed, byte other, bool odd)
        {
            int fine = PackedResidue.FineMin + Math.Abs((int)fineSeed) % (PackedResidue.FineMax - PackedResidue.FineMin + 1);
            var weights = new sbyte[2];
            var packed = new byte[1] { other };
            int k = odd ? 1 : 0;
            int before = PackedResidue.Get(packed, 1 - k);
            PackedResidue.Store(weights, packed, k, fine);
            Assert.Equal(fine, PackedResidue.Fine(weights, packed, k));
            Assert.InRange(PackedResidue.Get(packed, k), -8, 7);
            Assert.InRange((int)weights[k], -QMath.Int8Max, QMath.Int8Max);
            Assert.Equal(before, PackedResidue.Get(packed, 1 - k));
            // the int8 weight is the fine value rounded to the nearest sixteenth-unit multiple (ties up)
            Assert.Equal((int)Math.Floor((fine + 8) / 16.0), (int)weights[k]);
        }

        [Fact]
        public void A_fine_value_saturates_at_the_int8_range()
        {
            var weights = new sbyte[1];
            var packed = new byte[1];
            PackedResidue.Store(weights, packed, 0, 5000);
            Assert.Equal(PackedResidue.FineMax, PackedResidue.Fine(weights, packed, 0));
            Assert.Equal(127, weights[0]);
            PackedResidue.Store(weights, packed, 0, -5000);
            Assert.Equal(PackedResidue.FineMin, PackedResidue.Fine(weights, packed, 0));
            Assert.Equal(-127, weights[0]);
        }

        /// <summary>
        /// Random odd and even row lengths (rows starting on either nibble), channels full / frozen / bias-only,
        /// rates of 1..4 terms, exponents putting the step shift from below 2 (reference path) past 62
        /// (weights cannot move), fan-in rate shifts, zero runs in input and error, with and without propagation.
        /// </summary>
        [Property(MaxTest = 400)]
        public void Residue_kernel_equals_reference(byte inSeed, byte outSeed, byte zeroSeed, DoNotSize<int> rateSeed, byte exponentSeed, bool propagate, int seed)
        {
            int inSize = inSeed % 90 + 1, outSize = outSeed % 13 + 1, zeroPercent = zeroSeed % 101;
            var random = new Random(seed);
            uint r = (uint)rateSeed.Item;
            ShiftSum lr = ShiftSum.FromRatio((int)(r % 97) + 1, (int)(r / 97 % 5000) + 1, (int)(r % 4) + 1);
            int rateShift = (int)(r / 485000 % 8);
            int weightExponent = 20 - exponentSeed % 90; // with the tensors below: step shift from about −20 to 70
            var rows = new int[outSize];
            var biases = new int[outSize];
            for (int o = 0; o < outSize; o++)
            {
                int kind = random.Next(3); // 0 full, 1 frozen, 2 bias-only
                rows[o] = kind == 0 ? o : -1;
                biases[o] = kind == 1 ? -1 : o;
            }
            QTensor input = TestData.RandomTensor(random, inSize, random.Next(-9, 0), zeroPercent / 100.0);
            QTensor grad = TestData.RandomTensor(random, outSize, random.Next(-14, -4), zeroPercent / 200.0);
            var weights = new sbyte[inSize * outSize];
            for (int i = 0; i < weights.Length; i++) weights[i] = (sbyte)random.Next(-127, 128);
            var residues = new byte[PackedResidue.BytesFor(weights.Length)];
            random.NextBytes(residues);
            var bias = new int[outSize];
            for (int o = 0; o < outSize; o++) bias[o] = random.Next(-(1 << 26), 1 << 26);
            sbyte[] weightsRef = (sbyte[])weights.Clone();
            byte[] residuesRef = (byte[])residues.Clone();
            int[] biasRef = (int[])bias.Clone();
            QTensor fast = propagate ? new QTensor(inSize) : null, reference = propagate ? new QTensor(inSize) : null;
            ResidueUpdateKernels.DenseBackwardUpdate(input, grad, rows, biases, lr, rateShift, inSize, outSize, weightExponent, weights, residues,
                weightExponent - 8, bias, new int[inSize + outSize], fast);
            ResidueUpdateKernelsReference.DenseBackwardUpdate(input, grad, rows, biases, lr, rateShift, inSize, outSize, weightExponent, weightsRef, residuesRef,
                weightExponent - 8, biasRef, new int[inSize + outSize], reference);
            Assert.Equal(weightsRef, weights);
            Assert.Equal(residuesRef, residues);
            Assert.Equal(biasRef, bias);
            if (propagate) { Assert.Equal(reference.Exponent, fast.Exponent); Assert.Equal(reference.Data, fast.Data); }
        }

        /// <summary>
        /// Sixteen steps of a sixteenth of a unit move a weight by exactly one unit with the residue;
        /// NITI-style int8 rounds each step on its own (pseudo-stochastically from the product's own low
        /// bits), so they do not add up to one unit.
        /// </summary>
        [Fact]
        public void Steps_of_a_sixteenth_of_a_unit_add_up_with_the_residue()
        {
            // One weight, x = 64 · 2^−6, error −64 · 2^−6, lr = 1/16, weight exponent 0: each step is +1/16 unit (the fast path: shift 12).
            QTensor input = TestData.Tensor(new sbyte[] { 64 }, 1, -6);
            QTensor grad = TestData.Tensor(new sbyte[] { -64 }, 1, -6);
            ShiftSum lr = ShiftSum.FromRatio(1, 16, 1);
            var weights = new sbyte[] { 10 };
            var residues = new byte[1];
            var int8Weights = new sbyte[] { 10 };
            for (int s = 0; s < 16; s++)
            {
                ResidueUpdateKernels.DenseBackwardUpdate(input, grad, new[] { 0 }, new[] { 0 }, lr, 0, 1, 1, 0, weights, residues, -8, new int[1], new int[2], null);
                Int8UpdateKernels.DenseBackwardUpdate(input, grad, new[] { 0 }, new[] { 0 }, lr, 0, 1, 1, 0, int8Weights, -8, new int[1], new int[2], null);
                Assert.Equal(10 * 16 + s + 1, PackedResidue.Fine(weights, residues, 0));
            }
            Assert.Equal(11, weights[0]);
            Assert.NotEqual(11, int8Weights[0]);
        }

        [Fact]
        public void Loading_into_the_residue_mode_keeps_four_bits_of_the_master_and_saving_gives_them_back()
        {
            Network arena = Network.CreateMlp(new[] { 6, 10, 3 }, 11, -1, false);
            byte[] bytes = ModelFile.Save(new Model(arena, null));
            Model lean = ModelFile.Load(bytes, bytes.Length, -1, false, ModelFile.DefaultMaxBytes, TrainingStateMode.FusedInt8Residue);
            ParameterLayer[] a = arena.Layers.OfType<ParameterLayer>().ToArray();
            ParameterLayer[] b = lean.Network.Layers.OfType<ParameterLayer>().ToArray();
            for (int l = 0; l < a.Length; l++)
            {
                Assert.Null(b[l].MasterWeights);
                Assert.Equal(a[l].WeightExponent, b[l].WeightExponent);
                int shift = a[l].WeightExponent - a[l].MasterExponent - PackedResidue.Bits;
                for (int k = 0; k < a[l].Weights.Length; k++)
                    Assert.Equal(QMath.RoundingShiftRight(a[l].MasterWeights[k], shift), PackedResidue.Fine(b[l].Weights, b[l].Residues, k));
            }
            // trained in the lean mode, saved, and loaded again in it: the same weights and residues
            lean.Network.SetLearningRate(ShiftSum.FromRatio(1, 8, 3));
            var rng = new Random(2);
            for (int s = 0; s < 200; s++)
            {
                for (int i = 0; i < 6; i++) lean.Network.Input.Data[i] = (sbyte)rng.Next(-127, 128);
                lean.Network.Input.Exponent = -5;
                lean.Network.TrainSample(rng.Next(3));
            }
            byte[] saved = ModelFile.Save(lean);
            Model again = ModelFile.Load(saved, saved.Length, -1, false, ModelFile.DefaultMaxBytes, TrainingStateMode.FusedInt8Residue);
            ParameterLayer[] c = again.Network.Layers.OfType<ParameterLayer>().ToArray();
            for (int l = 0; l < b.Length; l++)
            {
                Assert.Equal(b[l].Weights, c[l].Weights);
                Assert.Equal(b[l].Residues, c[l].Residues);
                Assert.Equal(b[l].WeightExponent, c[l].WeightExponent);
                Assert.Equal(b[l].Bias, c[l].Bias);
            }
            Assert.Equal(saved, ModelFile.Save(again));
        }

        [Fact]
        public void The_layer_rescale_keeps_the_int8_weights_in_range_and_moves_the_exponent_with_the_fine_values()
        {
            // A rate so large the weights run into 127 and the layer halves, and then into the doubling side.
            Network net = Network.CreateMlp(new[] { 4, 6, 2 }, 5, -1, false, TrainingStateMode.FusedInt8Residue);
            net.SetLearningRate(ShiftSum.FromRatio(4, 1, 2));
            var dense = (ParameterLayer)net.Layers[0];
            int exponent = dense.WeightExponent;
            var rng = new Random(3);
            for (int s = 0; s < 50; s++)
            {
                for (int i = 0; i < 4; i++) net.Input.Data[i] = (sbyte)rng.Next(-127, 128);
                net.Input.Exponent = -4;
                net.TrainSample(rng.Next(2));
                int max = dense.Weights.Max(w => Math.Abs((int)w));
                Assert.InRange(max, 1, 126); // 127 triggers a halving in the same step
            }
            Assert.NotEqual(exponent, dense.WeightExponent);
        }
    }
}
