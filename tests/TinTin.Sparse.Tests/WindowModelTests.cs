using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Experiments;
using TinTin.Reference;
using Xunit;

namespace TinTin.Sparse.Tests
{
    /// <summary>
    /// `experiment --lags N --conv KERNEL,CHANNELS [--pool max]`: the window layout a Conv1DLayer reads, the network it
    /// builds, clear errors for shapes that cannot work, and a conv model that survives the model file and still selects
    /// and trains (and, outside its selection, stays bit for bit frozen).
    /// </summary>
    public class WindowModelTests
    {
        /// <summary>Two features over time: a temperature random walk and a humidity that follows it; class 1 while it rose over the last 3 rows.</summary>
        private static SensorDataset RisingOrFalling(int rows, int seed)
        {
            var random = new Random(seed);
            var raw = new int[rows][];
            var labels = new int[rows];
            var times = new long[rows];
            int t = 2100, slope = 5;
            for (int i = 0; i < rows; i++)
            {
                if (i % 12 == 0) slope = random.Next(2) == 0 ? -random.Next(3, 9) : random.Next(3, 9);
                t += slope + random.Next(-2, 3);
                raw[i] = new[] { t, 4000 - t / 2 + random.Next(-20, 21) };
                times[i] = i * 60_000L;
            }
            for (int i = 0; i < rows; i++) labels[i] = raw[i][0] > raw[Math.Max(0, i - 3)][0] ? 1 : 0;
            return new SensorDataset(new[] { "Temperature", "Humidity" }, raw, labels, times, 2, new[] { 2, 2 }, null);
        }

        [Fact]
        public void TheConvWindowIsTimeMajorOldestRowFirst()
        {
            var d = new SensorDataset(new[] { "T", "H" }, new[] { new[] { 1, 10 }, new[] { 2, 20 }, new[] { 3, 30 }, new[] { 4, 40 } },
                new[] { 0, 1, 0, 1 }, new long[] { 0, 1, 2, 3 }, 2, new[] { 2, 1 }, null);
            SensorDataset byFeature = PrequentialExperiment.WithLags(d, 3);
            SensorDataset byTime = PrequentialExperiment.WithLags(d, 3, timeMajor: true);
            Assert.Equal(new[] { 4, 3, 2, 40, 30, 20 }, byFeature.Raw[3]);   // [feature][lag], now first
            Assert.Equal(new[] { 2, 20, 3, 30, 4, 40 }, byTime.Raw[3]);      // [oldest..now][feature]
            Assert.Equal(new[] { 1, 10, 1, 10, 1, 10 }, byTime.Raw[0]);      // before the first rows the earliest stands in
            Assert.Equal(new[] { "T-2", "H-2", "T-1", "H-1", "T", "H" }, byTime.FeatureNames);
            Assert.Equal(new[] { 2, 1, 2, 1, 2, 1 }, byTime.Decimals);
            Assert.Equal(d.Labels, byTime.Labels);
        }

        [Fact]
        public void ConvOptionsBuildConvReluThenTheHiddenLayers()
        {
            ExperimentOptions o = ExperimentOptions.Parse(new[] { "--train", "a.csv", "--stream", "b.csv", "--lags", "16", "--conv", "4,8", "--hidden", "24" });
            Network flat = PrequentialExperiment.CreateConvNet(o, 6, 2);
            var conv = Assert.IsType<Conv1DLayer>(flat.Layers[0]);
            Assert.Equal((16, 6, 4, 8, 13), (conv.Length, conv.InChannels, conv.Kernel, conv.OutChannels, conv.Positions));
            Assert.IsType<ReluLayer>(flat.Layers[1]);
            var hidden = Assert.IsType<DenseLayer>(flat.Layers[2]);
            Assert.Equal((104, 24), (hidden.InputLength, hidden.Channels));
            Assert.Equal(96, flat.InputLength);
            Assert.Equal(2, flat.ClassCount);
            Assert.Equal("Conv1D 16x6 k4 c8 + MLP 104-24-2", PrequentialExperiment.Describe(flat));

            ExperimentOptions pooled = ExperimentOptions.Parse(new[] { "--train", "a.csv", "--stream", "b.csv", "--lags", "16", "--conv", "4,8", "--pool", "max", "--hidden", "16" });
            Network net = PrequentialExperiment.CreateConvNet(pooled, 6, 3);
            Assert.IsType<GlobalMaxPoolLayer>(net.Layers[2]);
            Assert.Equal(8, ((DenseLayer)net.Layers[3]).InputLength);
            Assert.Equal("Conv1D 16x6 k4 c8 + max-pool + MLP 8-16-3", PrequentialExperiment.Describe(net));
        }

        [Theory]
        [InlineData("--lags 3 --conv 4,8", "--lags 4 or more")]
        [InlineData("--conv 4,8", "--lags 4 or more")]
        [InlineData("--lags 8 --conv 4", "KERNEL,CHANNELS")]
        [InlineData("--lags 8 --conv four,8", "KERNEL,CHANNELS")]
        [InlineData("--lags 8 --conv 0,8", "kernel must be at least 1")]
        [InlineData("--lags 8 --conv 4,0", "channels 1..256")]
        [InlineData("--lags 8 --pool max", "give --conv")]
        [InlineData("--lags 8 --conv 4,8 --pool mean", "neither max nor none")]
        [InlineData("--lags 8 --conv 4,8 --label-inputs", "leave out --label-inputs")]
        [InlineData("--lags 8 --conv 4,8 --model m.ttm", "leave out --model")]
        public void ShapesThatCannotWorkAreRejectedByName(string flags, string expected)
        {
            string[] args = new[] { "--train", "a.csv", "--stream", "b.csv" }.Concat(flags.Split(' ')).ToArray();
            var e = Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(args).Validate());
            Assert.Contains(expected, e.Message);
        }

        [Fact]
        public void AConvModelRoundTripsTheModelFileThenSelectsAndTrains()
        {
            const int lags = 6;
            SensorDataset rows = RisingOrFalling(1200, 3);
            SensorDataset windows = PrequentialExperiment.WithLags(rows, lags, timeMajor: true);
            SensorDataset train = windows.Slice(0, 800), stream = windows.Slice(800, 400);
            InputNormalizer normalizer = NormalizerFit.Fit(train.Raw, decimals: train.Decimals);
            var o = new ExperimentOptions { Lags = lags, ConvKernel = 3, ConvChannels = 4, HiddenSizes = new[] { 8 }, Seed = 5 };
            Network network = PrequentialExperiment.CreateConvNet(o, rows.FeatureCount, 2);
            network.SetAllTrainable(true);
            QDataset trainQ = QDataset.FromSensorRows(train, normalizer);
            double before = Trainer.Accuracy(network, trainQ);
            Trainer.TrainInteger(network, trainQ, new TrainOptions { Epochs = 6, BatchSize = 16, ShuffleSeed = 5, LearningRateNumerator = 1, LearningRateDenominator = 8 });
            double after = Trainer.Accuracy(network, trainQ);
            Assert.True(after > 0.8 && after > before + 0.1, $"integer pre-training of the conv model: {before:P1} → {after:P1}");

            byte[] file = ModelFile.Save(new Model(network, normalizer));
            Model loaded = ModelFile.Load(file, file.Length, -1, false);
            var conv = Assert.IsType<Conv1DLayer>(loaded.Network.Layers[0]);
            Assert.Equal((lags, 2, 3, 4), (conv.Length, conv.InChannels, conv.Kernel, conv.OutChannels));
            for (int i = 0; i < 50; i++)
            {
                normalizer.Normalize(stream.Raw[i], network.Input);
                loaded.Normalizer.Normalize(stream.Raw[i], loaded.Network.Input);
                Assert.Equal(network.Predict(), loaded.Network.Predict());
                Assert.Equal(network.Output.Data, loaded.Network.Output.Data);
            }

            // The full update's cost, then the same stream under all of it and under an eighth of it.
            int fullBytes = new ContinualLearner(ModelFile.Load(file, file.Length, -1, false), new ContinualConfig { Policy = UpdatePolicy.Full }).Selector.SelectedBytes;
            (ContinualLearner learner, int[] perLayer) Run(int budgetBytes)
            {
                var learner = new ContinualLearner(ModelFile.Load(file, file.Length, -1, false), new ContinualConfig
                {
                    Policy = UpdatePolicy.Sparse, Criterion = SelectionCriterion.GradMag, BudgetBytes = budgetBytes, BudgetMacs = long.MaxValue,
                    MaxUpdatesPerMinute = 60, ReselectEveryUpdates = 5,
                });
                for (int t = 0; t < stream.Count; t++)
                {
                    long now = stream.TimesMs[t];
                    learner.Observe(stream.Raw[t], now);
                    if (t % 8 == 7) learner.LabelRecent(stream.Labels[t], now, now);
                    learner.UpdateIfDue(now);
                }
                var counts = new int[learner.Model.Network.Layers.Length];
                learner.Selector.CountsOfNetwork(counts);
                return (learner, learner.Scorer.LayerIndex.Select(l => counts[l]).ToArray());
            }
            var original = (Conv1DLayer)loaded.Network.Layers[0];

            (ContinualLearner all, int[] allLayers) = Run(fullBytes);
            Assert.True(all.Updates > 5, $"{all.Updates} updates");
            Assert.Equal(new[] { 4, 8, 2 }, allLayers);
            var trained = (Conv1DLayer)all.Model.Network.Layers[0];
            Assert.NotEqual(original.MasterWeights, trained.MasterWeights);

            (ContinualLearner eighth, int[] eighthLayers) = Run(fullBytes / 8);
            Assert.True(eighth.Updates > 5, $"{eighth.Updates} updates");
            Assert.True(eighthLayers[0] == 0 && eighthLayers.Sum() > 0, "an eighth of the bytes selects above the conv: " + string.Join("/", eighthLayers));
            Assert.True(eighth.Selector.SelectedBytes <= fullBytes / 8);
            var frozen = (Conv1DLayer)eighth.Model.Network.Layers[0];
            Assert.Equal(original.Weights, frozen.Weights);
            Assert.Equal(original.MasterWeights, frozen.MasterWeights);
            Assert.Equal(original.Bias, frozen.Bias);
            var top = (DenseLayer)eighth.Model.Network.Layers[^1];
            Assert.NotEqual(((DenseLayer)loaded.Network.Layers[^1]).MasterWeights, top.MasterWeights);
        }

        /// <summary>The study end to end on a conv model (T, H, 8 rows, a short stream): its header names the conv and the full update trains every filter.</summary>
        [Fact]
        public void TheSelectionStudyRunsOnAConvModel()
        {
            ExperimentOptions o = ExperimentOptions.Occupancy(OccupancyFolder());
            o.Lags = 8; o.ConvKernel = 3; o.ConvChannels = 4; o.HiddenSizes = new[] { 8 }; o.PretrainEpochs = 1;
            o.MaxStreamRows = 1500; o.Seeds = 2; o.Selections = new[] { "gradmag", "topdown" }; o.Fractions = new[] { "25", "100" };
            var log = new StringWriter();
            SelectionStudyResult r = SelectionStudy.Run(o, log);
            Assert.Equal("Conv1D 8x2 k3 c4 + MLP 24-8-2", r.Model);
            Assert.Contains("Conv1D 8x2 k3 c4", log.ToString());
            Assert.All(r.Cell("gradmag", "100").SelectedPerLayer, layers => Assert.Equal(new[] { 4, 8, 2 }, layers));
            Assert.True(r.HistoryBytes >= 128 * 16, $"the history keeps each sample's whole window (16 inputs): {r.HistoryBytes} B");
        }

        private static string OccupancyFolder()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "data", "occupancy");
                if (File.Exists(Path.Combine(candidate, "datatest2.txt"))) return candidate;
            }
            throw new FileNotFoundException("data/occupancy not found above the test binaries");
        }
    }
}
