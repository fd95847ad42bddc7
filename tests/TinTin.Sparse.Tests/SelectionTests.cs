using System;
using FsCheck.Xunit;
using TinTin.Core;
using Xunit;

namespace TinTin.Sparse.Tests
{
    public class SelectionTests
    {
        private static readonly ShiftSum Lr = ShiftSum.FromRatio(1, 64, 3);

        // Properties over random networks (TestNets.Mlp: a failure shrinks toward the smallest network);
        // dataSeed draws the masks, inputs and labels.
        [Property(MaxTest = 300)]
        public void TheCostModelPricesAnyMasksAsTheMemoryPlanAndTheCountersFindThem(byte inputs, byte[] hidden, byte classes, uint seed, bool momentum, bool withBiasOnly, int dataSeed)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, momentum);
            var rng = new Random(dataSeed);
            double density = rng.NextDouble(), biasOnly = withBiasOnly ? rng.NextDouble() : 0;
            var weights = new int[net.Layers.Length];
            var biases = new int[net.Layers.Length];
            for (int l = 0; l < net.Layers.Length; l++)
            {
                if (net.Layers[l] is not ParameterLayer p) continue;
                for (int c = 0; c < p.Channels; c++)
                {
                    p.ChannelTrainable[c] = rng.NextDouble() < density;
                    p.ChannelBiasOnly[c] = rng.NextDouble() < biasOnly;
                    if (p.ChannelTrainable[c] && p.ChannelBiasOnly[c]) biases[l]++;
                    else if (p.ChannelTrainable[c]) weights[l]++;
                }
            }
            // Priced before the masks are committed ...
            int bytes = net.BackwardBytesFor(weights, biases);
            long backwardMacs = net.BackwardMacsFor(weights, biases);
            int ints = net.TrainingIntsFor(weights, biases);
            Assert.Equal(net.RequiredTrainingInts(), ints);
            net.ApplySelection();
            // ... as the memory plan finds them after ...
            MemoryPlan plan = net.DescribeMemory();
            Assert.Equal(plan.UsedBytesIn(MemoryCategory.Activations) + plan.UsedBytesIn(MemoryCategory.ActivationGradients)
                + plan.UsedBytesIn(MemoryCategory.Gradients) + plan.UsedBytesIn(MemoryCategory.OptimizerState), bytes);
            Assert.Equal(4 * ints, plan.UsedBytesIn(MemoryCategory.Gradients));
            Assert.Equal(bytes, net.BackwardBytes());
            Assert.Equal(plan.TotalBytes, net.TotalMemoryBytes());
            // ... and as the counters count one sample's backward.
            for (int i = 0; i < net.InputLength; i++) net.Input.Data[i] = (sbyte)rng.Next(-127, 128);
            net.Input.Exponent = -6;
            net.Counters.BeginStep();
            net.TrainSample(rng.Next(net.ClassCount));
            Assert.Equal(net.ForwardMacs() + backwardMacs, net.Counters.StepMacs);
            net.ZeroGradients();
        }

        [Property(MaxTest = 250)]
        public void SelectionNeverExceedsTheBudgetAndTheCountersAgree(byte inputs, byte[] hidden, byte classes, uint seed, bool momentum, byte batchSeed, byte scored, int dataSeed)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, momentum);
            var rng = new Random(dataSeed);
            int batch = 1 + batchSeed % 8;
            var scorer = new FisherScorer(net);
            var selector = new ChannelSelector(net, scorer, batch);
            int k = scored % 12;
            sbyte[][] x = TestNets.RandomInputs(rng, Math.Max(k, batch), net.InputLength);
            int[] y = TestNets.RandomLabels(rng, x.Length, net.ClassCount);
            if (k > 0) TestNets.Score(scorer, x[..k], y[..k]);
            selector.SelectAll();
            int fullBytes = selector.SelectedBytes;
            long fullMacs = selector.SelectedUpdateMacs;
            selector.BudgetBytes = rng.Next(4) == 0 ? 0 : rng.Next(1, fullBytes + fullBytes / 4 + 2);
            selector.BudgetMacs = rng.Next(4) == 0 ? 0 : rng.Next(1, (int)(fullMacs + fullMacs / 4 + 2));
            selector.SelectSparse();

            if (selector.BudgetBytes > 0) Assert.True(selector.SelectedBytes <= selector.BudgetBytes, $"{selector.SelectedBytes} B > {selector.BudgetBytes} B");
            if (selector.BudgetMacs > 0) Assert.True(selector.SelectedUpdateMacs <= selector.BudgetMacs, $"{selector.SelectedUpdateMacs} MACs > {selector.BudgetMacs}");
            // A budget below the full update's cost binds.
            if ((selector.BudgetBytes > 0 && selector.BudgetBytes < fullBytes) || (selector.BudgetMacs > 0 && selector.BudgetMacs < fullMacs))
                Assert.True(selector.SelectedChannels < scorer.TotalChannels);
            // The committed plan is what the network reports and what an update really costs.
            Assert.Equal(net.BackwardBytes(), selector.SelectedBytes);
            Assert.Equal(net.BackwardMacs(), selector.SelectedBackwardMacs);
            long counted = TestNets.Update(net, x[..batch], y[..batch], Lr);
            if (selector.SelectedChannels > 0) Assert.Equal(selector.SelectedUpdateMacs, counted);
            // A budget that covers the full update selects everything.
            if ((selector.BudgetBytes == 0 || selector.BudgetBytes >= fullBytes) && (selector.BudgetMacs == 0 || selector.BudgetMacs >= fullMacs))
                Assert.Equal(scorer.TotalChannels, selector.SelectedChannels);
        }

        [Property(MaxTest = 40)]
        public void UnlimitedBudgetSelectsEverythingAndEqualsTheFullUpdateBitForBit(byte inputs, byte hidden1, byte hidden2, byte classes, uint seedInput, bool momentum, int dataSeed)
        {
            var rng = new Random(dataSeed);
            uint seed = seedInput == 0 ? 1 : seedInput;
            int[] sizes = { 2 + inputs % 6, 2 + hidden1 % 18, 2 + hidden2 % 18, 2 + classes % 3 };
            Network sparse = Network.CreateMlp(sizes, seed, -1, momentum);
            Network full = Network.CreateMlp(sizes, seed, -1, momentum);
            var scorer = new FisherScorer(sparse);
            var selector = new ChannelSelector(sparse, scorer, 8);
            full.SetAllTrainable(true);
            ShiftSum beta = momentum ? ShiftSum.FromRatio(9, 10, 3) : null;
            for (int round = 0; round < 5; round++)
            {
                sbyte[][] x = TestNets.RandomInputs(rng, 8, sizes[0]);
                int[] y = TestNets.RandomLabels(rng, 8, sizes[3]);
                TestNets.Score(scorer, x, y);      // scoring must not change anything
                if (round == 0) Assert.Equal(scorer.TotalChannels, selector.SelectSparse());
                for (int i = 0; i < 8; i++)
                {
                    TestNets.Load(sparse, x[i]); sparse.TrainSample(y[i]);
                    TestNets.Load(full, x[i]); full.TrainSample(y[i]);
                }
                sparse.Step(Lr, beta);
                full.Step(Lr, beta);
                Assert.Equal(TestNets.Fingerprint(full), TestNets.Fingerprint(sparse));
            }
        }

        [Fact]
        public void WithoutScoresTheSelectionGrowsFromTheTopLayerDown()
        {
            Network net = Network.CreateMlp(new[] { 4, 16, 16, 3 }, 7, -1, false);
            var selector = new ChannelSelector(net, new FisherScorer(net), 8);
            var counts = new int[net.Layers.Length];
            selector.SelectLastLayer();
            selector.CountsOfNetwork(counts);
            selector.BudgetBytes = selector.SelectedBytes;
            selector.SelectSparse();
            Assert.Equal(3, selector.SelectedChannels);
            Assert.True(((ParameterLayer)net.Layers[4]).HasTrainableChannels);
            Assert.Equal(4, net.LowestTrainableLayer);
        }

        [Fact]
        public void TheGradientArenaIsAHardLimit()
        {
            Network net = Network.CreateMlp(new[] { 4, 16, 16, 3 }, 7, 40, false);
            var selector = new ChannelSelector(net, new FisherScorer(net), 8);
            selector.SelectSparse();
            Assert.True(net.RequiredTrainingInts() <= 40);
            Assert.True(selector.SelectedChannels > 0);
        }
    }
}
