using System;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Core;
using TinTin.Experiments;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Sparse.Tests
{
    /// <summary>Fresh scores from an update's own backward (ContinualConfig.ScoreFromUpdates, FisherScorer update rounds).</summary>
    public class UpdateScoreTests
    {
        /// <summary>
        /// The reference for an update round is a scoring pass (ScoringMode backward, every layer) over the same
        /// samples at the same weights: for the layers at and above the lowest trainable one the round must give
        /// the pass's potentials, exponents, log2 potentials and layer scores bit for bit; the layers below must
        /// keep exactly the scores they had before the round.
        /// </summary>
        [Property(MaxTest = 80)]
        public void AnUpdateRoundScoresTheLayersItReachesAsAScoringPassAndKeepsTheRest(byte inputs, byte[] hidden, byte classes, uint seed, bool fisher, byte samples, int dataSeed)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, false);
            var rng = new Random(dataSeed);
            SelectionCriterion criterion = fisher ? SelectionCriterion.Fisher : SelectionCriterion.GradMag;
            var round = new FisherScorer(net) { Criterion = criterion };
            var pass = new FisherScorer(net) { Criterion = criterion };
            int n = 1 + samples % 12;
            sbyte[][] earlier = TestNets.RandomInputs(rng, 5, net.InputLength);
            TestNets.Score(round, earlier, TestNets.RandomLabels(rng, 5, net.ClassCount)); // the scores the layers below keep
            int layers = round.ParameterLayerCount;
            var before = Snapshot(round);

            // A random selection: some layer from which the backward reaches, a few channels trainable there and above.
            ParameterLayer[] parameterLayers = TestNets.ParameterLayers(net);
            int lowestOrdinal = rng.Next(layers);
            for (int k = 0; k < layers; k++)
                for (int c = 0; c < parameterLayers[k].Channels; c++)
                    parameterLayers[k].ChannelTrainable[c] = k >= lowestOrdinal && (c == 0 && k == lowestOrdinal || rng.Next(3) == 0);
            net.ApplySelection();
            Assert.Equal(round.LayerIndex[lowestOrdinal], net.LowestTrainableLayer);

            sbyte[][] x = TestNets.RandomInputs(rng, n, net.InputLength);
            int[] y = TestNets.RandomLabels(rng, n, net.ClassCount);
            round.BeginUpdateRound(net.LowestTrainableLayer);
            for (int i = 0; i < n; i++)
            {
                TestNets.Load(net, x[i]);
                net.TrainSample(y[i]);
                round.AccumulateUpdate();
            }
            round.FinishUpdateRound();
            net.ZeroGradients(); // no step: the pass below sees the same weights
            Assert.Equal(lowestOrdinal, round.FreshFrom);
            Assert.True(round.HasScores);

            TestNets.Score(pass, x, y);
            var after = Snapshot(round);
            var reference = Snapshot(pass);
            for (int k = 0; k < layers; k++)
            {
                var expected = k >= lowestOrdinal ? reference : before;
                Assert.True(expected.exponents[k] == after.exponents[k], $"layer {k}: exponent");
                Assert.True(expected.layerScores[k] == after.layerScores[k], $"layer {k}: layer score");
                for (int c = round.ChannelStart[k]; c < round.ChannelStart[k] + parameterLayers[k].Channels; c++)
                {
                    Assert.True(expected.potentials[c] == after.potentials[c], $"layer {k} channel {c}: potential");
                    Assert.True(expected.logs[c] == after.logs[c], $"layer {k} channel {c}: log2");
                }
            }
        }

        private static (long[] potentials, int[] logs, int[] exponents, int[] layerScores) Snapshot(FisherScorer s)
        {
            var potentials = new long[s.TotalChannels];
            var logs = new int[s.TotalChannels];
            var exponents = new int[s.ParameterLayerCount];
            var scores = new int[s.ParameterLayerCount];
            for (int k = 0; k < s.ParameterLayerCount; k++)
            {
                exponents[k] = s.PotentialExponent(k);
                scores[k] = s.LayerScoreLog2Q16(k);
                int end = k + 1 < s.ParameterLayerCount ? s.ChannelStart[k + 1] : s.TotalChannels;
                for (int c = s.ChannelStart[k]; c < end; c++)
                {
                    potentials[c] = s.Potential(k, c - s.ChannelStart[k]);
                    logs[c] = s.ChannelLog2Q16(k, c - s.ChannelStart[k]);
                }
            }
            return (potentials, logs, exponents, scores);
        }

        [Fact]
        public void ARoundWithoutSamplesChangesNothing()
        {
            Network net = TestNets.Mlp(3, new byte[] { 6, 4 }, 0, 5, false);
            var scorer = new FisherScorer(net) { Criterion = SelectionCriterion.GradMag };
            var rng = new Random(4);
            TestNets.Score(scorer, TestNets.RandomInputs(rng, 4, net.InputLength), TestNets.RandomLabels(rng, 4, net.ClassCount));
            var before = Snapshot(scorer);
            scorer.BeginUpdateRound(0);
            scorer.FinishUpdateRound();
            var after = Snapshot(scorer);
            Assert.Equal(before.potentials, after.potentials);
            Assert.Equal(before.layerScores, after.layerScores);
            Assert.Equal(0, scorer.FreshRounds);
        }

        private static Model NewModel()
        {
            var scales = Enumerable.Range(0, 3).Select(_ => new FeatureScale(100, ShiftSum.FromRatio(1, 2, 2))).ToArray();
            return new Model(Network.CreateMlp(new[] { 3, 16, 12, 2 }, 3, -1, false), new InputNormalizer(scales, -3));
        }

        /// <summary>A budget that binds: the top layer and some of the middle one.</summary>
        private static ContinualConfig Binding(bool fresh, bool priced) => new ContinualConfig
        {
            ScoreFromUpdates = fresh, PricedFill = priced, MaxUpdatesPerMinute = 30, ReselectEveryUpdates = 0, ReselectOnDrift = false,
            BudgetBytes = 400, BudgetMacs = long.MaxValue,
        };

        private static readonly int[] raw = new int[3];

        private static void Stream(ContinualLearner learner, int from, int steps, Action afterUpdate = null)
        {
            for (int i = from; i < from + steps; i++)
            {
                raw[0] = (i * 37) % 200; raw[1] = (i * 91) % 200; raw[2] = (i * 13) % 200;
                long now = i * 1000L;
                int predicted = learner.Observe(raw, now);
                if (i % 3 == 2) learner.LabelRecent((i / 40) % 2 == 0 ? predicted : 1 - predicted, now - 2000, now);
                if (learner.UpdateIfDue(now)) afterUpdate?.Invoke();
            }
        }

        [Fact]
        public void FreshScoresReselectAfterEveryUpdateFromThatUpdatesGradientsWithoutAScoringPass()
        {
            var learner = new ContinualLearner(NewModel(), Binding(true, false));
            Network net = learner.Model.Network;
            ParameterLayer middle = (ParameterLayer)net.Layers[2];
            int checkedUpdates = 0;
            Stream(learner, 0, 300, () =>
            {
                // After every update the selection is the layer fill of that update's scores: in the middle layer
                // (reached by the backward, partly selected) no unselected channel outscores a selected one.
                if (net.LowestTrainableLayer != 2 || middle.ChannelTrainable.All(t => t)) return;
                long leastSelected = long.MaxValue, bestUnselected = long.MinValue;
                for (int c = 0; c < middle.Channels; c++)
                {
                    long v = learner.Scorer.Potential(1, c);
                    if (middle.ChannelTrainable[c]) leastSelected = Math.Min(leastSelected, v); else bestUnselected = Math.Max(bestUnselected, v);
                }
                Assert.True(leastSelected >= bestUnselected, $"update {learner.Updates}: a channel scoring {bestUnselected} left out for one scoring {leastSelected}");
                checkedUpdates++;
            });
            Assert.True(learner.Updates > 20);
            Assert.Equal(learner.Updates, learner.FreshReselections);
            Assert.Equal(0, learner.ScoredSamples); // no scoring pass: no labels at start-up, no periodic or drift re-selection
            Assert.True(checkedUpdates > 10, "the budget bound inside the middle layer after some updates");

            var plain = new ContinualLearner(NewModel(), Binding(false, false));
            Stream(plain, 0, 300);
            Assert.Equal(0, plain.FreshReselections);
            Assert.False(plain.Scorer.HasScores); // without the option nothing scores: the start-up top-down order stays
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void FreshScoresAllocateNothingPerUpdate(bool priced)
        {
            var config = Binding(true, priced);
            config.ReselectEveryUpdates = 7; // scoring passes in between as well
            var learner = new ContinualLearner(NewModel(), config);
            Stream(learner, 0, 300);
            int updates = learner.Updates;
            Assert.Equal(0, Allocations.FewestBytes(() => Stream(learner, 300, 300)));
            Assert.True(learner.Updates > updates);
        }

        /// <summary>The top-first fill on the learner (scoring passes every 7 updates, with and without fresh scores): nothing allocated per update, and every re-selection keeps the top layer whole before the layer below.</summary>
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void TheTopFirstFillAllocatesNothingPerUpdateAndFillsTheTopLayerFirst(bool fresh)
        {
            var config = Binding(fresh, false);
            config.LayersTopDown = true;
            config.ReselectEveryUpdates = 7;
            var learner = new ContinualLearner(NewModel(), config);
            ParameterLayer[] layers = learner.Model.Network.Layers.OfType<ParameterLayer>().ToArray();
            int updates = 0;
            Stream(learner, 0, 300, () =>
            {
                updates++;
                if (layers[0].ChannelTrainable.Any(t => t)) Assert.All(layers[1].ChannelTrainable, t => Assert.True(t));
                if (layers[1].ChannelTrainable.Any(t => t)) Assert.All(layers[2].ChannelTrainable, t => Assert.True(t));
            });
            Assert.True(learner.Scorer.HasScores);
            Assert.True(layers[1].ChannelTrainable.Any(t => t) && layers[1].ChannelTrainable.Any(t => !t)); // the budget binds inside the middle layer
            int before = learner.Updates;
            Assert.Equal(0, Allocations.FewestBytes(() => Stream(learner, 300, 300)));
            Assert.True(learner.Updates > before);
        }

        [Fact]
        public void ScoresFromUpdatesAreForTheScoredCriteriaOnly()
        {
            foreach (SelectionCriterion c in new[] { SelectionCriterion.TopDown, SelectionCriterion.Random })
            {
                var config = Binding(true, false);
                config.Criterion = c;
                var learner = new ContinualLearner(NewModel(), config);
                Stream(learner, 0, 200);
                Assert.True(learner.Updates > 0);
                Assert.Equal(0, learner.FreshReselections);
            }
            Assert.Throws<ArgumentException>(() => new ContinualLearner(NewModel(), new ContinualConfig { FreshReselectEveryUpdates = -1 }));
        }

        [Fact]
        public void TheStudyParsesScoresAndPerSelectionSettings()
        {
            string[] data = { "--train", "a", "--stream", "b" };
            Assert.True(ExperimentOptions.Parse(data.Concat(new[] { "--scores", "update", "--fresh-every", "3" }).ToArray()).ScoreFromUpdates);
            Assert.False(ExperimentOptions.Parse(data).ScoreFromUpdates);
            var e = Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(data.Concat(new[] { "--scores", "often" }).ToArray()));
            Assert.Contains("'often'", e.Message);

            ExperimentOptions o = ExperimentOptions.Parse(data.Concat(new[] { "--selections", "gradmag+update+priced+lambda512+fresh4,gradmag,topdown", "--reference", "gradmag+update+priced+lambda512+fresh4" }).ToArray());
            ExperimentOptions variant = SelectionSpec.Apply(o.Selections[0], o);
            Assert.True(variant.ScoreFromUpdates && variant.PricedFill);
            Assert.Equal(512, variant.DriftLambdaQ8);
            Assert.Equal(4, variant.FreshReselectEveryUpdates);
            Assert.Equal(SelectionCriterion.GradMag, SelectionSpec.Criterion(o.Selections[0]));
            ExperimentOptions baseline = SelectionSpec.Apply(o.Selections[1], o);
            Assert.False(baseline.ScoreFromUpdates || baseline.PricedFill);
            Assert.Equal(new ContinualConfig().DriftLambdaQ8, baseline.DriftLambdaQ8);
            e = Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(data.Concat(new[] { "--selections", "gradmag+sometimes" }).ToArray()));
            Assert.Contains("'sometimes'", e.Message);
            e = Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(data.Concat(new[] { "--selections", "gradmag", "--reference", "magic+update" }).ToArray()));
            Assert.Contains("--reference", e.Message);
        }

        [Fact]
        public void TheNanoBenchTakesTheLearnersSelectionSettings()
        {
            var o = new TinTin.VirtualBoard.NanoBenchOptions();
            o.ParseLearner("priced,update,fresh2,mixed");
            Assert.Equal(1 | 2 | 4, o.LearnerSettings);
            Assert.Equal(2, o.FreshReselectEvery);
            o.ParseLearner(null);
            Assert.Equal(0, o.LearnerSettings);
            Assert.Equal(1, o.FreshReselectEvery);
            var e = Assert.Throws<ArgumentException>(() => o.ParseLearner("update,fresh-1"));
            Assert.Contains("'fresh-1'", e.Message);
        }
    }
}
