using System;
using FsCheck;
using FsCheck.Xunit;
using System.Linq;
using TinTin.Core;
using Xunit;

namespace TinTin.Fleet.Tests
{
    public class MergeTests
    {
        private static ParameterSet Snapshot(Network network)
        {
            var set = new ParameterSet(network);
            set.CopyFrom(network);
            return set;
        }

        private static void MergeSets(ParameterSet destination, ParameterSet[] sets, int[] weights)
        {
            var merger = new ModelMerger(destination);
            merger.Begin();
            foreach (ParameterSet s in sets)
                for (int l = 0; l < s.LayerCount; l++) merger.Declare(l, s.MasterExponent[l], s.BiasExponent[l]);
            merger.Fix();
            for (int k = 0; k < sets.Length; k++)
                for (int l = 0; l < sets[k].LayerCount; l++)
                    for (int c = 0; c < sets[k].Channels[l]; c++)
                        merger.AddRow(l, c, sets[k].Master[l], c * sets[k].RowLength[l], sets[k].MasterExponent[l], sets[k].Bias[l][c], sets[k].BiasExponent[l], weights[k]);
            merger.Finish(destination);
        }

        [Fact]
        public void MergingIdenticalModelsGivesTheSameModel()
        {
            Network a = FleetNets.Create();
            FleetNets.Train(a, 1, 20);
            ParameterSet original = Snapshot(a);
            var merged = new ParameterSet(a);
            MergeSets(merged, new[] { original, Snapshot(a), Snapshot(a) }, new[] { 5, 1, 300 });

            Network b = FleetNets.Create(99);
            merged.CopyTo(b);
            for (int l = 0; l < original.LayerCount; l++)
            {
                Assert.Equal(FleetNets.RealWeights(a, l), FleetNets.RealWeights(b, l));
                for (int c = 0; c < original.Channels[l]; c++)
                    Assert.Equal(original.Bias[l][c] * Math.Pow(2, original.BiasExponent[l]), merged.Bias[l][c] * Math.Pow(2, merged.BiasExponent[l]));
            }
            Assert.Equal(FleetNets.Accuracy(a, 3), FleetNets.Accuracy(b, 3));
        }

        [Fact]
        public void MergingIdenticalUpdatesThroughTheMessagesGivesTheSameInt8Model()
        {
            Network board = FleetNets.Create();
            ParameterSet baseline = Snapshot(board);
            FleetNets.Train(board, 2, 10);
            var key = new HmacSha256(FleetNets.BoardKey);
            var buffer = new byte[FleetMessage.MaxUpdateBytes(baseline)];
            int length = FleetMessage.WriteUpdate(buffer, board, baseline, 0, 1, 40, 30, key);
            var reader = new FleetMessageReader(FleetMessage.DefaultMaxBytes);
            var updates = new[] { new FleetUpdate(baseline), new FleetUpdate(baseline) };
            Assert.True(reader.ReadUpdate(buffer, length, key, updates[0]), reader.Error);
            updates[1].CopyFrom(updates[0]);
            updates[1].Labelled = 7;
            var merged = new ParameterSet(board);
            Assert.Equal(2, FleetUpdate.Merge(new ModelMerger(baseline), updates, new[] { baseline, baseline }, 2, merged));
            Network copy = FleetNets.Create(5);
            merged.CopyTo(copy);
            for (int l = 0; l < merged.LayerCount; l++) Assert.Equal(FleetNets.RealWeights(board, l), FleetNets.RealWeights(copy, l));
        }

        [Fact]
        public void TheMergeIsTheLabelWeightedAverageWithinRounding()
        {
            Network a = FleetNets.Create(1), b = FleetNets.Create(2);
            ParameterSet sa = Snapshot(a), sb = Snapshot(b);
            var merged = new ParameterSet(a);
            MergeSets(merged, new[] { sa, sb }, new[] { 3, 1 });
            for (int l = 0; l < merged.LayerCount; l++)
            {
                double scale = Math.Pow(2, merged.MasterExponent[l]);
                for (int i = 0; i < merged.Master[l].Length; i++)
                {
                    double expected = (3 * sa.Master[l][i] * Math.Pow(2, sa.MasterExponent[l]) + sb.Master[l][i] * Math.Pow(2, sb.MasterExponent[l])) / 4;
                    Assert.InRange(merged.Master[l][i] * scale, expected - scale, expected + scale);
                }
            }
        }

        /// <summary>Any masters, biases, exponents and weights (extremes included: FsCheck's arrays, DoNotSize for the whole int range).</summary>
        [Property(MaxTest = 200)]
        public void MergedWeightsAndBiasesStayInTheEngineRangesForAnyInputs(short[] masters, DoNotSize<int>[] biases, sbyte[] exponents, PositiveInt weight, bool extremes)
        {
            var sets = new ParameterSet[4];
            int m = 0, bi = 0, e = 0;
            for (int k = 0; k < sets.Length; k++)
            {
                sets[k] = new ParameterSet(new[] { 16, 2 }, new[] { 6, 16 });
                for (int l = 0; l < 2; l++)
                {
                    for (int i = 0; i < sets[k].Master[l].Length; i++, m++)
                    {
                        short v = masters.Length == 0 ? (short)0 : masters[m % masters.Length];
                        sets[k].Master[l][i] = extremes && m % 3 == 0 ? (short)(v < 0 ? -32767 : 32767) : v == short.MinValue ? (short)-32767 : v;
                    }
                    for (int c = 0; c < sets[k].Channels[l]; c++, bi++)
                    {
                        int v = biases.Length == 0 ? 0 : biases[bi % biases.Length].Item;
                        sets[k].Bias[l][c] = extremes && bi % 2 == 0 ? int.MaxValue : v == int.MinValue ? -int.MaxValue : v;
                    }
                    sets[k].MasterExponent[l] = exponents.Length == 0 ? 0 : -30 + Math.Abs(exponents[e++ % exponents.Length] % 40);
                    sets[k].BiasExponent[l] = exponents.Length == 0 ? -10 : -40 + Math.Abs(exponents[e++ % exponents.Length] % 40);
                }
            }
            var merged = new ParameterSet(new[] { 16, 2 }, new[] { 6, 16 });
            MergeSets(merged, sets, new[] { ModelMerger.MaxWeight, 1, 1 + weight.Get % 1000, ModelMerger.MaxWeight });
            for (int l = 0; l < 2; l++)
            {
                int max = merged.Master[l].Max(v => Math.Abs((int)v));
                Assert.True(max == 0 || (max >= ParameterLayer.MasterLow && max <= ParameterLayer.MasterHigh), "largest master " + max);
                Assert.All(merged.Bias[l], b => Assert.InRange(b, -ParameterLayer.BiasHigh, ParameterLayer.BiasHigh));
                Assert.InRange(merged.Int8Shift[l], 0, 15);
            }
            Network network = FleetNets.Create();
            merged.CopyTo(network); // derives int8 weights; must not throw
            Assert.All(((DenseLayer)network.Layers[0]).Weights, w => Assert.InRange(w, -127, 127));
        }

        [Fact]
        public void TwoBoardsTrainedOnTheSameRuleMergeIntoAModelAsGoodAsTheWeakerOne()
        {
            Network a = FleetNets.Create(), b = FleetNets.Create();
            FleetNets.Train(a, 10, 60);
            FleetNets.Train(b, 20, 5);
            var merged = new ParameterSet(a);
            MergeSets(merged, new[] { Snapshot(a), Snapshot(b) }, new[] { 480, 40 });
            Network m = FleetNets.Create();
            merged.CopyTo(m);
            int accA = FleetNets.Accuracy(a, 7), accB = FleetNets.Accuracy(b, 7), accM = FleetNets.Accuracy(m, 7);
            Assert.True(accM >= Math.Min(accA, accB) && accM >= accA - 30, $"a {accA} b {accB} merged {accM}");
        }

        /// <summary>
        /// The range argument in ModelMerger's header: the most contributions a channel takes (2048, a fleet's most boards),
        /// each at the largest weight with masters and biases at the ends of their ranges, sum in int64 without overflow,
        /// so the merge gives the rows back within the final rounding; one more contribution is refused.
        /// </summary>
        [Fact]
        public void TheMostContributionsAtTheLargestWeightAndValuesMergeBackWithoutOverflow()
        {
            Assert.Equal(2048, ModelMerger.MaxContributionsPerChannel);
            var shape = new ParameterSet(new[] { 2 }, new[] { 3 });
            var merger = new ModelMerger(shape);
            merger.Begin();
            merger.Declare(0, -10, -20);
            merger.Fix();
            short[] rows = { 32767, -32767, 16384, -32767, 32767, 1 }; // [channels·row]
            int[] biases = { int.MaxValue, int.MinValue + 1 };        // [channels]
            for (int k = 0; k < ModelMerger.MaxContributionsPerChannel; k++)
                for (int c = 0; c < 2; c++) merger.AddRow(0, c, rows, c * 3, -10, biases[c], -20, ModelMerger.MaxWeight);
            Assert.Contains("more than 2048", Assert.Throws<ArgumentException>(() => merger.AddRow(0, 0, rows, 0, -10, biases[0], -20, 1)).Message);
            var merged = new ParameterSet(new[] { 2 }, new[] { 3 });
            merger.Finish(merged);
            double masterStep = Math.Pow(2, merged.MasterExponent[0]), biasStep = Math.Pow(2, merged.BiasExponent[0]);
            for (int i = 0; i < rows.Length; i++)
                Assert.InRange(merged.Master[0][i] * masterStep - rows[i] * Math.Pow(2, -10), -masterStep / 2, masterStep / 2);
            for (int c = 0; c < 2; c++)
                Assert.InRange(merged.Bias[0][c] * biasStep - biases[c] * Math.Pow(2, -20), -biasStep / 2, biasStep / 2);
        }

        [Fact]
        public void AMergeWithoutContributionsOrUndeclaredExponentsIsRefused()
        {
            var shape = new ParameterSet(new[] { 2 }, new[] { 3 });
            var merger = new ModelMerger(shape);
            merger.Begin();
            Assert.Throws<InvalidOperationException>(() => merger.Fix());
            merger.Begin();
            merger.Declare(0, -10, -20);
            merger.Fix();
            Assert.Throws<ArgumentException>(() => merger.AddRow(0, 0, new short[3], 0, -9, 0, -20, 1));
            Assert.Throws<ArgumentException>(() => merger.AddRow(0, 0, new short[3], 0, -10, 0, -20, 0));
            merger.AddRow(0, 0, new short[] { 1, 2, 3 }, 0, -10, 0, -20, 1);
            Assert.Throws<InvalidOperationException>(() => merger.Finish(new ParameterSet(new[] { 2 }, new[] { 3 }))); // channel 1 has none
        }

        [Fact]
        public void TheMergeCodeHoldsNoFloatingPoint()
        {
            var findings = TinTin.TestSupport.FloatScanner.Scan(typeof(ModelMerger).Assembly.Location);
            Assert.Empty(findings);
        }
    }
}
