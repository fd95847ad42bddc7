using System;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Core;
using TinTin.Experiments;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Sparse.Tests
{
    /// <summary>
    /// The whole-layer fill (<see cref="ChannelSelector.WholeLayerFill"/>) and the label-aware switch
    /// (<see cref="ContinualConfig.LayerScoreOrderBelowLabels"/>), issue 16 item 4, session 10.
    /// </summary>
    public class WholeLayerFillTests
    {
        /// <summary>
        /// Against a plain re-implementation in doubles: the layer fill (from the selector's own Fits) in every order
        /// "top layer, then layer b, then the rest top down", each selection valued Σ potential · 2^(exponent − RateShift)
        /// over its scored channels; the selector keeps the most valuable (ties: the top-first order). Within the budgets,
        /// the same again from the same scores, no allocation.
        /// </summary>
        [Property(MaxTest = 150)]
        public void TheWholeLayerFillKeepsTheMostValuableOfTheLayerOrdersWithinTheBudgets(byte inputs, byte hidden1, byte hidden2, byte[] more, byte classes, uint seed, bool fisher, bool fanIn, byte batch, byte bytesShare, byte macsShare, int dataSeed)
        {
            byte[] hidden = new[] { hidden1, hidden2 }.Concat((more ?? new byte[0]).Take(1)).ToArray(); // three or four parameter layers
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, false);
            net.SetFanInRateScaling(fanIn);
            var scorer = new FisherScorer(net) { Criterion = fisher ? SelectionCriterion.Fisher : SelectionCriterion.GradMag };
            int batchSize = 1 + batch % 8;
            var selector = new ChannelSelector(net, scorer, batchSize) { LayersTopDown = true, WholeLayerFill = true };
            var rng = new Random(dataSeed);
            TestNets.Score(scorer, TestNets.RandomInputs(rng, 6, net.InputLength), TestNets.RandomLabels(rng, 6, net.ClassCount));
            TestNets.SelectWithinSharesOfTheFullUpdate(selector, scorer, net, batchSize, bytesShare, macsShare);
            string mask = Mask(net);

            ParameterLayer[] layers = TestNets.ParameterLayers(net);
            int top = layers.Length - 1;
            var masks = new string[top];
            var values = new double[top];
            for (int b = top - 1; b >= 0; b--)
            {
                int[] order = new[] { top, b }.Concat(Enumerable.Range(0, top).Reverse().Where(k => k != b)).ToArray();
                bool[][] taken = TestNets.FillInOrder(selector, scorer, layers, order, net.Layers.Length);
                int i = top - 1 - b; // the top-first order first
                masks[i] = string.Concat(taken.SelectMany(t => t).Select(t => t ? '1' : '0'));
                for (int k = 0; k < layers.Length; k++)
                    for (int c = 0; c < layers[k].Channels; c++)
                        if (taken[k][c] && scorer.Potential(k, c) > 0)
                            values[i] += scorer.Potential(k, c) * Math.Pow(2, scorer.PotentialExponent(k) - layers[k].RateShift);
            }
            double best = values.Max();
            // the integer sums truncate below 2^-56 of the largest term: orders closer than that may go either way
            var acceptable = Enumerable.Range(0, top).Where(i => values[i] >= best * (1 - 1e-12)).Select(i => masks[i]).ToArray();
            Assert.Contains(mask, acceptable);
            if (masks.All(m => m == masks[0]) || values.Skip(1).All(v => v < values[0] * (1 - 1e-12))) Assert.Equal(masks[0], mask); // ties: top-first

            // the same scores choose the same channels, without allocating
            Assert.Equal(0, Allocations.FewestBytes(() => selector.SelectSparse()));
            Assert.Equal(mask, Mask(net));
        }

        [Fact]
        public void WithFewerThanThreeLayersOrWithoutScoresItIsTheTopFirstFill()
        {
            foreach (int[] sizes in new[] { new[] { 3, 6, 2 }, new[] { 3, 10, 8, 2 } })
            {
                foreach (bool scored in new[] { true, false })
                {
                    Network net = Network.CreateMlp(sizes, 5, -1, false);
                    var scorer = new FisherScorer(net) { Criterion = SelectionCriterion.GradMag };
                    if (scored || sizes.Length == 3)
                    {
                        var rng = new Random(3);
                        TestNets.Score(scorer, TestNets.RandomInputs(rng, 4, net.InputLength), TestNets.RandomLabels(rng, 4, net.ClassCount));
                    }
                    if (!scored && sizes.Length > 3) { scorer.Begin(); scorer.Finish(); }
                    var whole = new ChannelSelector(net, scorer, 4) { LayersTopDown = true, WholeLayerFill = true };
                    whole.SelectAll();
                    whole.BudgetBytes = whole.SelectedBytes / 2;
                    whole.SelectSparse();
                    string mask = Mask(net);
                    var topFirst = new ChannelSelector(net, scorer, 4) { LayersTopDown = true, BudgetBytes = whole.BudgetBytes };
                    topFirst.SelectSparse();
                    if (sizes.Length == 3 || !scored) Assert.Equal(Mask(net), mask);
                }
            }
        }

        [Fact]
        public void TheLearnerAndTheSpecsSetTheWholeLayerFillForScoredCriteriaOnly()
        {
            var model = new Model(Network.CreateMlp(new[] { 2, 8, 8, 2 }, 3, -1, false), null);
            Assert.True(new ContinualLearner(model, new ContinualConfig { WholeLayerFill = true }).Selector.WholeLayerFill);
            Assert.True(new ContinualLearner(model, new ContinualConfig { WholeLayerFill = true, Criterion = SelectionCriterion.Fisher }).Selector.WholeLayerFill);
            Assert.False(new ContinualLearner(model, new ContinualConfig { WholeLayerFill = true, Criterion = SelectionCriterion.Random }).Selector.WholeLayerFill);
            Assert.False(new ContinualLearner(model, new ContinualConfig()).Selector.WholeLayerFill);
            ExperimentOptions o = ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--fill", "whole" });
            Assert.True(o.WholeLayerFill && o.LayersTopDown && !o.PricedFill);
            Assert.False(ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--fill", "topfirst" }).WholeLayerFill);
            Assert.True(SelectionSpec.Apply("gradmag+whole+lambda512", new ExperimentOptions()).WholeLayerFill);
            Assert.False(SelectionSpec.Apply("gradmag+whole+topfirst", new ExperimentOptions()).WholeLayerFill);
            Assert.Equal(128, SelectionSpec.Apply("gradmag+layersbelow128", new ExperimentOptions()).LayerScoreOrderBelowLabels);
            Assert.Equal(64, ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--layers-below-labels", "64" }).LayerScoreOrderBelowLabels);
            Assert.Contains("--layers-below-labels", Assert.Throws<ArgumentException>(() =>
                ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--layers-below-labels", "-1" })).Message);
            Assert.Throws<ArgumentException>(() => new ContinualLearner(model, new ContinualConfig { LayerScoreOrderBelowLabels = -1 }));
        }

        /// <summary>
        /// The label-aware switch: re-selections use TinyTrain's layer-score order while fewer than N samples have been
        /// labelled since start-up, the configured fill from then on; a label given twice counts once; baselines untouched.
        /// </summary>
        [Fact]
        public void TheLabelAwareSwitchTakesTheLayerScoreOrderUntilNSamplesAreLabelled()
        {
            var model = new Model(Network.CreateMlp(new[] { 2, 8, 8, 2 }, 3, -1, false), null);
            var learner = new ContinualLearner(model, new ContinualConfig { LayerScoreOrderBelowLabels = 4, WholeLayerFill = true });
            Assert.False(learner.Selector.LayersTopDown);
            Assert.False(learner.Selector.WholeLayerFill);
            for (int t = 0; t < 6; t++) learner.Observe(new[] { t, -t }, t * 1000);
            Assert.Equal(3, learner.LabelRecent(1, 0, 2000));
            Assert.Equal(3, learner.LabelRecent(0, 0, 2000)); // corrected, not new
            learner.Reselect();
            Assert.Equal(3, learner.LabelledTotal);
            Assert.False(learner.Selector.LayersTopDown);
            learner.LabelRecent(0, 3000, 3000);
            learner.Reselect();
            Assert.Equal(4, learner.LabelledTotal);
            Assert.True(learner.Selector.LayersTopDown);
            Assert.True(learner.Selector.WholeLayerFill);

            var baseline = new ContinualLearner(model, new ContinualConfig { LayerScoreOrderBelowLabels = 4, Criterion = SelectionCriterion.TopDown });
            for (int t = 0; t < 6; t++) baseline.Observe(new[] { t, -t }, t * 1000);
            baseline.LabelRecent(1, 0, 5000);
            baseline.Reselect();
            Assert.False(baseline.Selector.LayersTopDown);
            // off (0, the default): the configured fill from the start
            Assert.True(new ContinualLearner(model, new ContinualConfig()).Selector.LayersTopDown);
        }

        private static string Mask(Network net) =>
            string.Concat(TestNets.ParameterLayers(net).SelectMany(p => p.ChannelTrainable).Select(t => t ? '1' : '0'));
    }
}
