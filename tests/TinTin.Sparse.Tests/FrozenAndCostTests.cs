using System;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Core;
using Xunit;

namespace TinTin.Sparse.Tests
{
    public class FrozenAndCostTests
    {
        private static Model NewModel(int[] sizes, uint seed)
        {
            var scales = Enumerable.Range(0, sizes[0]).Select(_ => new FeatureScale(0, ShiftSum.FromRatio(1, 1, 1))).ToArray();
            return new Model(Network.CreateMlp(sizes, seed, -1, false), new InputNormalizer(scales, 0));
        }

        [Property(MaxTest = 10)]
        public void FrozenWeightsMasterWeightsAndBiasesStayBitForBitUnchanged(uint modelSeed, uint learnerSeed, byte budgetFifths, int dataSeed)
        {
            var rng = new Random(dataSeed);
            Model model = NewModel(new[] { 4, 16, 16, 3 }, modelSeed == 0 ? 1 : modelSeed);
            Network net = model.Network;
            var config = new ContinualConfig { ReselectEveryUpdates = 0, ReselectOnDrift = false, MaxUpdatesPerMinute = 0, Seed = learnerSeed == 0 ? 1 : learnerSeed };
            var probe = new ContinualLearner(NewModel(new[] { 4, 16, 16, 3 }, 1), new ContinualConfig { Policy = UpdatePolicy.Full });
            config.BudgetBytes = probe.SelectedBytes * (budgetFifths % 3 + 1) / 5; // 1/5 .. 3/5 of the full update
            var learner = new ContinualLearner(model, config);
            // Score on a few labelled samples so the selection is TinyTrain's, then freeze the plan.
            for (int t = 0; t < 40; t++) learner.Observe(RandomRaw(rng, 4), t * 1000L);
            learner.LabelRecent(rng.Next(3), 0, 19000); learner.LabelRecent(rng.Next(3), 20000, 39000);
            learner.Reselect();
            Assert.InRange(learner.SelectedChannels, 1, 34);
            Assert.True(learner.SelectedChannels < 35);
            ParameterLayer[] layers = TestNets.ParameterLayers(net);
            bool[][] frozen = layers.Select(p => p.ChannelTrainable.Select(t => !t).ToArray()).ToArray();
            sbyte[][] w0 = layers.Select(p => (sbyte[])p.Weights.Clone()).ToArray();
            short[][] m0 = layers.Select(p => (short[])p.MasterWeights.Clone()).ToArray();
            int[][] b0 = layers.Select(p => (int[])p.Bias.Clone()).ToArray();
            int[] we = layers.Select(p => p.WeightExponent).ToArray(), me = layers.Select(p => p.MasterExponent).ToArray(), be = layers.Select(p => p.BiasExponent).ToArray();

            long now = 40000;
            for (int u = 0; u < 60; u++)
            {
                for (int s = 0; s < 4; s++) learner.Observe(RandomRaw(rng, 4), now += 1000);
                learner.LabelRecent(rng.Next(3), now - 3000, now);
                Assert.True(learner.UpdateIfDue(now));
            }
            int changedTrainable = 0;
            for (int q = 0; q < layers.Length; q++)
            {
                ParameterLayer p = layers[q];
                bool anyTrainable = frozen[q].Any(f => !f);
                if (anyTrainable && frozen[q].Any(f => f))
                {
                    Assert.Equal(we[q], p.WeightExponent); // a partly frozen layer keeps its exponents
                    Assert.Equal(me[q], p.MasterExponent);
                    Assert.Equal(be[q], p.BiasExponent);
                }
                if (!anyTrainable) { Assert.Equal(we[q], p.WeightExponent); Assert.Equal(me[q], p.MasterExponent); Assert.Equal(be[q], p.BiasExponent); }
                for (int c = 0; c < p.Channels; c++)
                {
                    var rowW = p.Weights.Skip(c * p.RowLength).Take(p.RowLength);
                    var rowM = p.MasterWeights.Skip(c * p.RowLength).Take(p.RowLength);
                    if (frozen[q][c])
                    {
                        Assert.Equal(w0[q].Skip(c * p.RowLength).Take(p.RowLength), rowW);
                        Assert.Equal(m0[q].Skip(c * p.RowLength).Take(p.RowLength), rowM);
                        Assert.Equal(b0[q][c], p.Bias[c]);
                    }
                    else if (!rowM.SequenceEqual(m0[q].Skip(c * p.RowLength).Take(p.RowLength)) || b0[q][c] != p.Bias[c]) changedTrainable++;
                }
            }
            Assert.True(changedTrainable > 0, "the selected channels should have learned something");
        }

        [Fact]
        public void BiasOnlyLeavesEveryWeightUnchanged()
        {
            var rng = new Random(9);
            Model model = NewModel(new[] { 3, 12, 3 }, 5);
            var learner = new ContinualLearner(model, new ContinualConfig { Policy = UpdatePolicy.BiasOnly, MaxUpdatesPerMinute = 0 });
            ParameterLayer[] layers = TestNets.ParameterLayers(model.Network);
            short[][] m0 = layers.Select(p => (short[])p.MasterWeights.Clone()).ToArray();
            sbyte[][] w0 = layers.Select(p => (sbyte[])p.Weights.Clone()).ToArray();
            int[][] b0 = layers.Select(p => (int[])p.Bias.Clone()).ToArray();
            long now = 0;
            for (int u = 0; u < 30; u++)
            {
                for (int s = 0; s < 8; s++) learner.Observe(RandomRaw(rng, 3), now += 1000);
                learner.LabelRecent(u % 3, now - 7000, now);
                Assert.True(learner.UpdateIfDue(now));
            }
            for (int q = 0; q < layers.Length; q++)
            {
                Assert.Equal(m0[q], layers[q].MasterWeights);
                Assert.Equal(w0[q], layers[q].Weights);
            }
            Assert.Contains(Enumerable.Range(0, layers.Length), q => !b0[q].SequenceEqual(layers[q].Bias));
            Assert.True(learner.LastUpdateMacs > 0);
        }

        [Fact]
        public void BackwardMemoryAndMacsDropAsCounted()
        {
            var rng = new Random(12);
            Network net = Network.CreateMlp(new[] { 6, 32, 32, 4 }, 21, -1, true);
            var scorer = new FisherScorer(net);
            var selector = new ChannelSelector(net, scorer, 8);
            sbyte[][] x = TestNets.RandomInputs(rng, 8, 6);
            int[] y = TestNets.RandomLabels(rng, 8, 4);
            ShiftSum lr = ShiftSum.FromRatio(1, 64, 3);

            selector.SelectAll();
            int fullBytes = net.BackwardBytes();
            long fullMacs = TestNets.Update(net, x, y, lr);
            MemoryPlan fullPlan = net.DescribeMemory();
            Assert.Equal(selector.SelectedUpdateMacs, fullMacs);

            TestNets.Score(scorer, x, y);
            selector.BudgetBytes = fullBytes / 3;
            selector.SelectSparse();
            int sparseBytes = net.BackwardBytes();
            MemoryPlan sparsePlan = net.DescribeMemory();
            long sparseMacs = TestNets.Update(net, x, y, lr);
            Assert.True(sparseBytes <= fullBytes / 3);
            Assert.Equal(selector.SelectedBytes, sparseBytes);
            Assert.Equal(selector.SelectedUpdateMacs, sparseMacs);
            Assert.True(sparseMacs < fullMacs);
            int ints = net.RequiredTrainingInts();
            Assert.Equal(4 * ints, sparsePlan.UsedBytesIn(MemoryCategory.Gradients));
            Assert.Equal(4 * ints, sparsePlan.UsedBytesIn(MemoryCategory.OptimizerState));
            Assert.True(sparsePlan.UsedBytesIn(MemoryCategory.Gradients) < fullPlan.UsedBytesIn(MemoryCategory.Gradients));
            Assert.True(sparsePlan.UsedBytesIn(MemoryCategory.Activations) <= fullPlan.UsedBytesIn(MemoryCategory.Activations));
            Assert.True(sparsePlan.UsedBytesIn(MemoryCategory.ActivationGradients) <= fullPlan.UsedBytesIn(MemoryCategory.ActivationGradients));
            // What is allocated does not change; only what the selection uses.
            Assert.Equal(fullPlan.TotalBytes, sparsePlan.TotalBytes);

            // Only the last layer: nothing below it is computed. Sentinels in the activation
            // gradients below must survive an update, and the MACs are exactly the top layer's.
            selector.SelectLastLayer();
            int lowest = net.LowestTrainableLayer;
            Assert.Equal(net.Layers.Length - 1, lowest);
            for (int a = 1; a <= lowest; a++) Array.Fill(net.Gradients[a].Data, (sbyte)77);
            long lastMacs = TestNets.Update(net, x, y, lr);
            for (int a = 1; a <= lowest; a++) Assert.All(net.Gradients[a].Data, v => Assert.Equal(77, v));
            Assert.Equal(8 * (net.ForwardMacs() + 4 * 32) + 4 * 33, lastMacs);
            Assert.Equal(32 + 4 + 2 * 4 * 4 * 33, net.BackwardBytes()); // input kept, logits grad, gradient + velocity rows
            MemoryPlan lastPlan = net.DescribeMemory();
            Assert.Equal(32, lastPlan.UsedBytesIn(MemoryCategory.Activations));
            Assert.Equal(4, lastPlan.UsedBytesIn(MemoryCategory.ActivationGradients));
            Assert.True(lastPlan.UsedBytesIn(MemoryCategory.Activations) < fullPlan.UsedBytesIn(MemoryCategory.Activations));
        }

        internal static int[] RandomRaw(Random rng, int n) => Enumerable.Range(0, n).Select(_ => rng.Next(-120, 121)).ToArray();
    }
}
