using System;
using System.IO;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Core;
using TinTin.Experiments;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Sparse.Tests
{
    /// <summary>The selection baselines (gradmag, topdown, random, first-layer, last-layer) and the paired statistics that judge them.</summary>
    public class CriterionTests
    {
        [Property(MaxTest = 40)]
        public void GradMagPotentialIsTheWeightGradientEnergyInDoubles(byte inputs, byte[] hidden, byte classes, uint seed, byte samples, int dataSeed)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, false);
            var rng = new Random(dataSeed);
            var scorer = new FisherScorer(net) { Criterion = SelectionCriterion.GradMag };
            int k = 1 + samples % 29;
            sbyte[][] x = TestNets.RandomInputs(rng, k, net.InputLength);
            int[] y = TestNets.RandomLabels(rng, k, net.ClassCount);
            var expected = new double[scorer.TotalChannels];
            scorer.Begin();
            for (int s = 0; s < k; s++)
            {
                scorer.AddSample(x[s], 0, -5, y[s]);
                for (int q = 0; q < scorer.ParameterLayerCount; q++)
                {
                    int l = scorer.LayerIndex[q];
                    QTensor input = net.Activations[l], g = net.Gradients[l + 1];
                    double energy = input.Data.Take(input.Length).Sum(v => (double)v * v) * Math.Pow(2, 2 * input.Exponent);
                    for (int c = 0; c < g.Length; c++)
                    {
                        double gc = g.Data[c] * Math.Pow(2, g.Exponent);
                        expected[scorer.ChannelStart[q] + c] += gc * gc * energy / k; // ‖∂L/∂W_c‖² of a Dense row
                    }
                }
            }
            scorer.Finish();
            for (int q = 0; q < scorer.ParameterLayerCount; q++)
            {
                int channels = ((ParameterLayer)net.Layers[scorer.LayerIndex[q]]).Channels;
                double max = Enumerable.Range(0, channels).Max(c => expected[scorer.ChannelStart[q] + c]);
                for (int c = 0; c < channels; c++)
                {
                    double got = scorer.Potential(q, c) * Math.Pow(2, scorer.PotentialExponent(q));
                    // Σx² is rounded to 14 significant bits, the sums to 16 guard bits below the top sample.
                    Assert.True(Math.Abs(got - expected[scorer.ChannelStart[q] + c]) <= max * Math.Pow(2, -10) + 1e-300,
                        $"layer {q} channel {c}: {got} vs {expected[scorer.ChannelStart[q] + c]}");
                }
            }
        }

        /// <summary>
        /// The Dense gradmag accumulation runs in int (round 4); this is the 64-bit formula it replaced,
        /// step for step (alignment, rescale, rounding shifts), and the potentials must agree bit for bit.
        /// Input exponents vary per sample so contributions land both above and far below the accumulator.
        /// </summary>
        [Property(MaxTest = 60)]
        public void GradMagPotentialsEqualThe64BitFormulaBitForBit(byte inputs, byte[] hidden, byte classes, uint seed, byte samples, int dataSeed)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, false);
            var rng = new Random(dataSeed);
            var scorer = new FisherScorer(net) { Criterion = SelectionCriterion.GradMag };
            int k = 1 + samples % 29;
            sbyte[][] x = TestNets.RandomInputs(rng, k, net.InputLength);
            int[] y = TestNets.RandomLabels(rng, k, net.ClassCount);
            int layers = scorer.ParameterLayerCount;
            var sums = new long[scorer.TotalChannels];
            var empty = Enumerable.Repeat(true, layers).ToArray();
            var top = new int[layers];
            var accumulator = new int[layers];
            static long Round(long v, int s) => s <= 0 ? v << -s : s > 62 ? 0 : v >= 0 ? (v + (1L << (s - 1))) >> s : -((-v + (1L << (s - 1))) >> s);
            scorer.Begin();
            for (int s = 0; s < k; s++)
            {
                scorer.AddSample(x[s], 0, rng.Next(-14, 5), y[s]);
                for (int q = 0; q < layers; q++)
                {
                    int l = scorer.LayerIndex[q];
                    QTensor input = net.Activations[l], g = net.Gradients[l + 1];
                    long inputEnergy = 0;
                    for (int i = 0; i < input.Length; i++) inputEnergy += input.Data[i] * input.Data[i];
                    int inputReduce = Math.Max(0, QMath.BitLength(inputEnergy) - 14);
                    inputEnergy = Round(inputEnergy, inputReduce);
                    int e = 2 * g.Exponent + 2 * input.Exponent + inputReduce;
                    if (empty[q]) { empty[q] = false; top[q] = e; accumulator[q] = e - FisherScorer.GuardBits; }
                    else if (e > top[q])
                    {
                        int rescale = e - top[q];
                        accumulator[q] += rescale;
                        top[q] = e;
                        for (int c = 0; c < g.Length; c++) sums[scorer.ChannelStart[q] + c] = Round(sums[scorer.ChannelStart[q] + c], rescale);
                    }
                    int shift = e - accumulator[q];
                    if (inputEnergy == 0) continue;
                    for (int c = 0; c < g.Length; c++)
                    {
                        long product = (long)g.Data[c] * g.Data[c] * inputEnergy;
                        if (product == 0) continue;
                        sums[scorer.ChannelStart[q] + c] += shift >= 0 ? product << shift : Round(product, -shift);
                    }
                }
            }
            scorer.Finish();
            for (int q = 0; q < layers; q++)
            {
                Assert.Equal(accumulator[q], scorer.PotentialExponent(q));
                int channels = ((ParameterLayer)net.Layers[scorer.LayerIndex[q]]).Channels;
                for (int c = 0; c < channels; c++)
                {
                    long sum = sums[scorer.ChannelStart[q] + c];
                    long mean = k > 1 ? (sum + k / 2) / k : sum;
                    Assert.Equal(mean, scorer.Potential(q, c));
                }
            }
        }

        [Property(MaxTest = 120)]
        public void LayerOnlyBaselinesStayInTheirLayerAndWithinTheBudget(byte inputs, byte[] hidden, byte classes, uint seed, bool momentum, byte batch, byte budgetShare, byte layerSeed)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, momentum);
            var scorer = new FisherScorer(net);
            var selector = new ChannelSelector(net, scorer, 1 + batch % 8);
            selector.SelectAll();
            int fullBytes = selector.SelectedBytes;
            selector.BudgetBytes = Math.Max(1, fullBytes * (1 + budgetShare % 100) / 100); // 1..100 % of the full update
            ParameterLayer[] layers = TestNets.ParameterLayers(net);
            int k = layerSeed % layers.Length;
            selector.SelectLayerWithinBudget(k);
            Assert.True(selector.SelectedBytes <= selector.BudgetBytes || selector.SelectedChannels == 0);
            for (int j = 0; j < layers.Length; j++)
                for (int c = 0; c < layers[j].Channels; c++)
                    if (j != k) Assert.False(layers[j].ChannelTrainable[c], $"layer {j} channel {c} selected by the layer-{k} baseline");
            // channels in index order: a prefix, and one more would not fit
            int n = layers[k].ChannelTrainable.Count(t => t);
            for (int c = 0; c < layers[k].Channels; c++) Assert.Equal(c < n, layers[k].ChannelTrainable[c]);
            if (n < layers[k].Channels)
            {
                var counts = new int[net.Layers.Length];
                selector.CountsOfNetwork(counts);
                counts[scorer.LayerIndex[k]]++;
                Assert.False(selector.Fits(counts));
            }
        }

        [Property(MaxTest = 150)]
        public void ThePricedFillStaysWithinTheBudgetsTakesTheBestOfEachLayerAndLeavesNothingThatFits(byte inputs, byte[] hidden, byte classes, uint seed, bool fisher, byte bytesShare, byte macsShare, int dataSeed)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, false);
            var scorer = new FisherScorer(net) { Criterion = fisher ? SelectionCriterion.Fisher : SelectionCriterion.GradMag };
            var selector = new ChannelSelector(net, scorer, 4) { PricedFill = true };
            var rng = new Random(dataSeed);
            TestNets.Score(scorer, TestNets.RandomInputs(rng, 6, net.InputLength), TestNets.RandomLabels(rng, 6, net.ClassCount));
            TestNets.SelectWithinSharesOfTheFullUpdate(selector, scorer, net, 4, bytesShare, macsShare);
            ParameterLayer[] layers = TestNets.ParameterLayers(net);
            var counts = new int[net.Layers.Length];
            selector.CountsOfNetwork(counts);
            for (int k = 0; k < layers.Length; k++)
            {
                ParameterLayer p = layers[k];
                // within a layer the scored channels taken are the highest-potential ones
                long lowestTaken = long.MaxValue, highestLeft = -1;
                for (int c = 0; c < p.Channels; c++)
                {
                    long v = scorer.Potential(k, c);
                    if (p.ChannelTrainable[c]) lowestTaken = Math.Min(lowestTaken, v);
                    else highestLeft = Math.Max(highestLeft, v);
                }
                if (highestLeft > 0) Assert.True(lowestTaken >= highestLeft, $"layer {k}: potential {highestLeft} left out, {lowestTaken} taken");
                // every channel of a layer costs the same: if one is left, one more does not fit
                if (counts[scorer.LayerIndex[k]] < p.Channels)
                {
                    counts[scorer.LayerIndex[k]]++;
                    Assert.False(selector.Fits(counts), $"layer {k}: another channel would still fit");
                    counts[scorer.LayerIndex[k]]--;
                }
            }
            // the same scores choose the same channels, without allocating
            string mask = Mask(net);
            Assert.Equal(0, Allocations.FewestBytes(() => selector.SelectSparse()));
            Assert.Equal(mask, Mask(net));
        }

        /// <summary>
        /// The top-first fill (<see cref="ChannelSelector.LayersTopDown"/>): the layer fill with the layers top layer first
        /// whatever their scores, channels by potential; against a plain re-implementation from the selector's own
        /// <see cref="ChannelSelector.Fits"/>, within the budgets, the same channels from the same scores, no allocation.
        /// </summary>
        [Property(MaxTest = 150)]
        public void TheTopFirstFillTakesLayersTopDownAndChannelsByScoreWithinTheBudgets(byte inputs, byte[] hidden, byte classes, uint seed, bool fisher, byte batch, byte bytesShare, byte macsShare, int dataSeed, bool unscored)
        {
            Network net = TestNets.Mlp(inputs, hidden, classes, seed, false);
            var scorer = new FisherScorer(net) { Criterion = fisher ? SelectionCriterion.Fisher : SelectionCriterion.GradMag };
            int batchSize = 1 + batch % 8;
            var selector = new ChannelSelector(net, scorer, batchSize) { LayersTopDown = true };
            var rng = new Random(dataSeed);
            if (!unscored) TestNets.Score(scorer, TestNets.RandomInputs(rng, 6, net.InputLength), TestNets.RandomLabels(rng, 6, net.ClassCount));
            TestNets.SelectWithinSharesOfTheFullUpdate(selector, scorer, net, batchSize, bytesShare, macsShare);
            string mask = Mask(net);

            // the rule, re-implemented: the plain layer fill with the layers top first
            ParameterLayer[] layers = TestNets.ParameterLayers(net);
            bool[][] taken = TestNets.FillInOrder(selector, scorer, layers, Enumerable.Range(0, layers.Length).Reverse().ToArray(), net.Layers.Length);
            Assert.Equal(string.Concat(taken.SelectMany(t => t).Select(t => t ? '1' : '0')), mask);

            // the same scores choose the same channels, without allocating
            Assert.Equal(0, Allocations.FewestBytes(() => selector.SelectSparse()));
            Assert.Equal(mask, Mask(net));
            // without scores it is the top-down baseline's order
            if (unscored)
            {
                var plain = new ChannelSelector(net, scorer, batchSize) { BudgetBytes = selector.BudgetBytes, BudgetMacs = selector.BudgetMacs };
                plain.SelectSparse();
                Assert.Equal(mask, Mask(net));
            }
        }

        [Fact]
        public void TheTopFirstFillIsForScoredCriteriaOnlyAndTheSpecsSetIt()
        {
            var model = new Model(Network.CreateMlp(new[] { 2, 8, 8, 2 }, 3, -1, false), null);
            Assert.True(new ContinualLearner(model, new ContinualConfig { LayersTopDown = true }).Selector.LayersTopDown);
            Assert.True(new ContinualLearner(model, new ContinualConfig { LayersTopDown = true, Criterion = SelectionCriterion.Fisher }).Selector.LayersTopDown);
            Assert.False(new ContinualLearner(model, new ContinualConfig { LayersTopDown = true, Criterion = SelectionCriterion.Random }).Selector.LayersTopDown);
            Assert.False(new ContinualLearner(model, new ContinualConfig { LayersTopDown = true, Criterion = SelectionCriterion.TopDown }).Selector.LayersTopDown);
            ExperimentOptions top = ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--fill", "topfirst" });
            Assert.True(top.LayersTopDown && !top.PricedFill);
            ExperimentOptions spec = SelectionSpec.Apply("gradmag+topfirst+lambda512", new ExperimentOptions());
            Assert.True(spec.LayersTopDown && !spec.PricedFill && spec.DriftLambdaQ8 == 512);
            Assert.False(SelectionSpec.Apply("gradmag+topfirst+layers", new ExperimentOptions()).LayersTopDown);
            Assert.Equal(SelectionCriterion.GradMag, SelectionSpec.Criterion("gradmag+topfirst"));
        }

        [Fact]
        public void ThePricedFillIsForScoredCriteriaOnly()
        {
            var model = new Model(Network.CreateMlp(new[] { 2, 8, 8, 2 }, 3, -1, false), null);
            Assert.True(new ContinualLearner(model, new ContinualConfig { PricedFill = true }).Selector.PricedFill);
            Assert.True(new ContinualLearner(model, new ContinualConfig { PricedFill = true, Criterion = SelectionCriterion.Fisher }).Selector.PricedFill);
            Assert.False(new ContinualLearner(model, new ContinualConfig { PricedFill = true, Criterion = SelectionCriterion.Random }).Selector.PricedFill);
            Assert.False(new ContinualLearner(model, new ContinualConfig { PricedFill = true, Criterion = SelectionCriterion.TopDown }).Selector.PricedFill);
            Assert.False(new ContinualLearner(model, new ContinualConfig()).Selector.PricedFill);
            Assert.True(ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--fill", "priced" }).PricedFill);
            Assert.False(ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b" }).PricedFill);
            Assert.Contains("--fill", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--fill", "cheap" })).Message);
        }

        [Fact]
        public void RandomScoresAreRedrawnAndTopDownIsTheUnscoredOrder()
        {
            var net = Network.CreateMlp(new[] { 4, 12, 12, 3 }, 5, -1, false);
            var scorer = new FisherScorer(net);
            var selector = new ChannelSelector(net, scorer, 4);
            selector.SelectAll();
            selector.BudgetBytes = selector.SelectedBytes / 3;
            var generator = new XorShift32(99);
            var drawn = new System.Collections.Generic.HashSet<string>();
            for (int i = 0; i < 8; i++)
            {
                scorer.FillRandom(generator);
                Assert.True(scorer.HasScores);
                selector.SelectSparse();
                Assert.True(selector.SelectedBytes <= selector.BudgetBytes);
                drawn.Add(Mask(net));
            }
            Assert.True(drawn.Count >= 3, $"8 random draws gave only {drawn.Count} different selections");
            // the same state draws the same selection (seeded)
            scorer.FillRandom(new XorShift32(1234)); selector.SelectSparse(); string a = Mask(net);
            scorer.FillRandom(new XorShift32(1234)); selector.SelectSparse();
            Assert.Equal(a, Mask(net));
            // top-down: no scores → top layer first, channels by index
            scorer.Begin(); scorer.Finish();
            selector.SelectSparse();
            ParameterLayer[] layers = TestNets.ParameterLayers(net);
            Assert.All(layers[^1].ChannelTrainable, Assert.True);
            Assert.False(layers[0].ChannelTrainable[0]);
        }

        private static string Mask(Network net) =>
            string.Concat(TestNets.ParameterLayers(net).SelectMany(p => p.ChannelTrainable).Select(t => t ? '1' : '0'));

        [Fact]
        public void TheLearnerUsesTheConfiguredCriterion()
        {
            var net = Network.CreateMlp(new[] { 2, 8, 8, 2 }, 3, -1, false);
            var model = new Model(net, null);
            var first = new ContinualLearner(model, new ContinualConfig { Criterion = SelectionCriterion.FirstLayer, BudgetBytes = 100000 });
            ParameterLayer[] layers = TestNets.ParameterLayers(net);
            Assert.True(layers[0].ChannelTrainable.All(t => t));
            Assert.True(layers[1].ChannelTrainable.Concat(layers[2].ChannelTrainable).All(t => !t));
            var last = new ContinualLearner(model, new ContinualConfig { Criterion = SelectionCriterion.LastLayer, BudgetBytes = 100000 });
            Assert.Equal(layers[2].Channels, last.SelectedChannels);
            Assert.True(layers[2].ChannelTrainable.All(t => t));
            Assert.Throws<ArgumentException>(() => new ContinualLearner(model, new ContinualConfig { Criterion = (SelectionCriterion)17 }));
            foreach (string name in ExperimentOptions.AllSelections)
            {
                Assert.True(SelectionCriterionNames.TryParse(name, out SelectionCriterion c));
                Assert.Equal(name, SelectionCriterionNames.Name(c));
            }
        }

        [Fact]
        public void PairedComparisonMatchesHandComputedStatistics()
        {
            // d = 1, 2, 3, 4, 5: mean 3, sd √2.5, se √0.5, t = 3/√0.5 = 4.2426 with 4 df: two-sided p = 0.01324
            var c = PairedComparison.Of("a", "b", new[] { 11.0, 12, 13, 14, 15 }, new[] { 10.0, 10, 10, 10, 10 });
            Assert.Equal(3, c.Mean, 9);
            Assert.Equal(Math.Sqrt(2.5), c.StandardDeviation, 9);
            Assert.Equal(0.01324, c.TTestP, 4);
            Assert.Equal(3 - 2.776445 * Math.Sqrt(0.5), c.CiLow, 4);
            Assert.Equal(5, c.Wins);
            Assert.Equal(0, c.Losses);
            // all five positive: only the all-plus and all-minus patterns are as extreme: 2/32
            Assert.Equal(2.0 / 32, c.PermutationP, 12);
            var mixed = PairedComparison.Of("a", "b", new[] { 1.0, -1, 0 }, new[] { 0.0, 0, 0 });
            Assert.Equal(1, mixed.Wins); Assert.Equal(1, mixed.Losses); Assert.Equal(1, mixed.Ties);
            Assert.Equal(1.0, mixed.PermutationP, 12);
            Assert.Throws<ArgumentException>(() => PairedComparison.Of("a", "b", new[] { 1.0 }, new[] { 1.0, 2 }));
        }

        [Fact]
        public void TheStudyComparesEverySelectionAtEqualBudgetsAndWritesJson()
        {
            ExperimentOptions options = ExperimentOptions.Occupancy(Path.Combine(TinTin.Reference.RepositoryPaths.Find("data", "occupancy")));
            options.Selections = new[] { "fisher", "random", "last-layer" }; // the default reference (gradmag) is added in front
            options.Seeds = 2;
            options.Fractions = new[] { "25", "100", "profile" };
            options.MaxStreamRows = 1500;
            options.PretrainEpochs = 2;
            options.JsonPath = Path.Combine(Path.GetTempPath(), "tintin-study-" + Guid.NewGuid().ToString("N") + ".json");
            var log = new StringWriter();
            SelectionStudyResult r = SelectionStudy.Run(options, log);
            string text = log.ToString();
            Assert.Equal("gradmag", r.Reference);
            Assert.Equal(new[] { "gradmag", "fisher", "random", "last-layer" }, r.Selections);
            Assert.Equal(4 * 3, r.Cells.Count);
            StudyBudget quarter = r.Budgets[0], whole = r.Budgets[1], profile = r.Budgets[2];
            Assert.Equal(r.FullBytes / 4, quarter.Bytes);
            Assert.True(quarter.Macs < r.FullUpdateMacs && quarter.Macs > r.ForwardMacsPerUpdate);
            Assert.Equal(r.FullUpdateMacs, whole.Macs);
            Assert.Equal(r.ProfileBudgetBytes, profile.Bytes);
            // every selection stays within its budget
            foreach (StudyCell c in r.Cells.Where(c => c.Budget == "25")) Assert.All(c.BytesFraction, f => Assert.True(f <= 0.25));
            // the per-layer counts add up to the channels selected; last-layer trains nothing below the top layer
            Assert.All(r.Cells, c => Assert.Equal(c.SelectedChannels, c.SelectedPerLayer.Select(x => x.Sum()).ToArray()));
            Assert.All(r.Cells.Where(c => c.Selection == "last-layer"), c => Assert.All(c.SelectedPerLayer, x => Assert.Equal(0, x.Take(x.Length - 1).Sum())));
            Assert.Contains("channels per parameter layer", text);
            // only the scored criteria pay for scoring; random and the fixed layer choose for free
            Assert.All(r.Cells.Where(c => c.Selection == "gradmag" || c.Selection == "fisher"), c => Assert.True(c.ScoredSamples.Sum() > 0));
            Assert.All(r.Cells.Where(c => c.Selection == "random" || c.Selection == "last-layer"), c => Assert.Equal(0, c.ScoredSamples.Sum()));
            // at 100 % gradmag and random both select everything: identical runs, zero differences
            PairedComparison same = r.Comparisons["100"].First(c => c.Baseline == "random");
            Assert.All(same.Differences, d => Assert.Equal(0, d));
            Assert.Contains("the full update fits: not sparse", text);
            Assert.Contains("gradmag − selection", text);
            Assert.Contains("samples scored", text);
            string json = File.ReadAllText(options.JsonPath);
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            Assert.Equal(3, doc.RootElement.GetProperty("Comparisons").GetProperty("25").GetArrayLength());
            Assert.Equal(2, doc.RootElement.GetProperty("Cells")[0].GetProperty("ScoredSamples").GetArrayLength());
            Assert.Equal(2, doc.RootElement.GetProperty("Cells")[0].GetProperty("Accuracy").GetArrayLength());
            File.Delete(options.JsonPath);
        }
    

        [Fact]
        public void AGivenModelIsStudiedAsItIsForEverySeedFromTheFirstSeed()
        {
            string folder = TinTin.Reference.RepositoryPaths.Find("data", "occupancy");
            byte[] bytes = TinTin.VirtualBoard.ModelPreparation.Prepare(new TinTin.VirtualBoard.PrepareOptions
            {
                TrainingPath = Path.Combine(folder, "datatraining.txt"), Hidden = new[] { 8 }, Epochs = 1, Seed = 7,
            }).Bytes;
            string modelPath = Path.Combine(Path.GetTempPath(), "tintin-study-model-" + Guid.NewGuid().ToString("N") + ".ttm");
            File.WriteAllBytes(modelPath, bytes);
            try
            {
                ExperimentOptions options = ExperimentOptions.Occupancy(folder);
                options.ModelPath = modelPath;
                options.BoardFeatures = new[] { "default" };
                options.Selections = new[] { "last-layer" };
                options.Seeds = 2;
                options.FirstSeed = 3;
                options.Fractions = new[] { "100" };
                options.MaxStreamRows = 800;
                SelectionStudyResult r = SelectionStudy.Run(options, new StringWriter());
                Assert.Equal(new[] { 3, 4 }, r.Seeds);
                Assert.Equal("MLP 6-8-2", r.Model);
                // the same model for both seeds: without updates the seeds cannot differ (pre-training per seed would)
                Assert.Equal(r.FrozenAccuracy[0], r.FrozenAccuracy[1]);
                // the study's model is the file's: its frozen accuracy is the file's own on the stream
                PrequentialExperiment.PreparedSeed seed = PrequentialExperiment.Prepare(options.WithSeed(3));
                Assert.Equal(bytes, seed.Pretrained);

                options.BoardFeatures = null; // Temperature, Humidity: two inputs for a six-input model
                Assert.Contains("6 inputs", Assert.Throws<ArgumentException>(() => SelectionStudy.Run(options, new StringWriter())).Message);
            }
            finally { File.Delete(modelPath); }
            Assert.Contains("--first-seed", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--first-seed", "0" })).Message);
            Assert.Equal("m.ttm", ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--model", "m.ttm" }).ModelPath);
        }
    }
}
