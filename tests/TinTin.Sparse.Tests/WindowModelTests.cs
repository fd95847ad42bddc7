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
            Assert.Equal((128 + 8 - 1) * 2 + 11 * 128, r.HistoryBytes); // one row of 2 features a sample (+ 7 rows for the oldest window), not 16 inputs
        }

        /// <summary>A model over `lags` rows of the 2-feature stream, pre-trained briefly; its normaliser repeats the rows' at every lag.</summary>
        private static (byte[] model, SensorDataset stream) WindowModel(int lags, bool conv, int seed)
        {
            SensorDataset rows = RisingOrFalling(1400, seed);
            SensorDataset windows = PrequentialExperiment.WithLags(rows, lags, timeMajor: conv);
            SensorDataset train = windows.Slice(0, 600);
            SensorDataset stream = PrequentialExperiment.WithLags(rows.Slice(600, 800), lags, timeMajor: conv);
            InputNormalizer normalizer = PrequentialExperiment.RepeatedOverWindow(NormalizerFit.Fit(rows.Slice(0, 600).Raw, decimals: rows.Decimals), lags, conv);
            var o = new ExperimentOptions { Lags = lags, ConvKernel = conv ? 3 : 0, ConvChannels = conv ? 4 : 0, HiddenSizes = new[] { 12 }, Seed = seed };
            Network network = conv ? PrequentialExperiment.CreateConvNet(o, 2, 2) : Network.CreateMlp(new[] { 2 * lags, 12, 2 }, (uint)seed, -1, false);
            network.SetAllTrainable(true);
            Trainer.TrainInteger(network, QDataset.FromSensorRows(train, normalizer), new TrainOptions { Epochs = 2, BatchSize = 16, ShuffleSeed = seed, LearningRateNumerator = 1, LearningRateDenominator = 8 });
            return (ModelFile.Save(new Model(network, normalizer)), stream);
        }

        /// <summary>Runs a learner over the stream (a label every 5th row, over the last 3), recording every prediction.</summary>
        private static (ContinualLearner learner, int[] predictions) RunWindowLearner(byte[] file, SensorDataset stream, int windowRows, bool timeMajor,
            SelectionCriterion criterion, int budgetBytes, int replay = 16)
        {
            var learner = new ContinualLearner(ModelFile.Load(file, file.Length, -1, false), new ContinualConfig
            {
                WindowRows = windowRows, WindowTimeMajor = timeMajor, HistorySamples = 48, ReplayCapacity = replay,
                Criterion = criterion, BudgetBytes = budgetBytes, BudgetMacs = long.MaxValue, MaxUpdatesPerMinute = 60, ReselectEveryUpdates = 7,
            });
            var predictions = new int[stream.Count];
            for (int t = 0; t < stream.Count; t++)
            {
                long now = stream.TimesMs[t];
                predictions[t] = learner.Observe(stream.Raw[t], now);
                if (t % 5 == 4) learner.LabelRecent(stream.Labels[t], now - 2 * 60_000L, now);
                learner.UpdateIfDue(now);
            }
            return (learner, predictions);
        }

        /// <summary>
        /// Session 8: the history keeps one feature row a sample and rebuilds windows from rows; replay keeps whole windows.
        /// The training is bit for bit that of the history of whole windows (WindowRows 1: the layout before), for a lagged MLP
        /// ([feature][rows back]) and a Conv1D ([oldest..now][feature]), under a sparse and the full update, across the ring's wrap.
        /// </summary>
        [Theory]
        [InlineData(4, false, SelectionCriterion.GradMag, 600)]
        [InlineData(8, false, SelectionCriterion.Fisher, 0)]
        [InlineData(6, true, SelectionCriterion.GradMag, 0)]
        [InlineData(6, true, SelectionCriterion.TopDown, 900)]
        public void AHistoryOfRowsTrainsExactlyAsAHistoryOfWholeWindows(int lags, bool conv, SelectionCriterion criterion, int budgetBytes)
        {
            (byte[] file, SensorDataset stream) = WindowModel(lags, conv, 11 + lags);
            (ContinualLearner windows, int[] windowPredictions) = RunWindowLearner(file, stream, 1, false, criterion, budgetBytes);
            (ContinualLearner rows, int[] rowPredictions) = RunWindowLearner(file, stream, lags, conv, criterion, budgetBytes);
            Assert.True(rows.Updates > 20, $"{rows.Updates} updates");
            Assert.Equal(windows.Updates, rows.Updates);
            Assert.Equal(windows.Reselections, rows.Reselections);
            Assert.Equal(windowPredictions, rowPredictions);
            Assert.Equal(windows.Replay.Data, rows.Replay.Data);
            Assert.Equal(ModelFile.Save(windows.Model), ModelFile.Save(rows.Model));
            Assert.NotEqual(file, ModelFile.Save(rows.Model)); // it did train
            // What the rows save: 48 samples × (lags − 1) rows, less the lags − 1 rows the oldest window reaches back.
            int saved = 48 * 2 * lags - (48 + lags - 1) * 2;
            Assert.Equal(saved, windows.History.Bytes - rows.History.Bytes);
            Assert.Equal(saved, windows.LearnerBytes - rows.LearnerBytes);
        }

        /// <summary>
        /// On the ESP32-C3 profile an 8-row window of the six board features (48 inputs, --hidden 32,24): the default history
        /// of 128 samples takes 128 × 48 B as windows and (128 + 7) × 6 B as rows; the heap used falls and the backward budget
        /// rises by exactly that.
        /// </summary>
        [Fact]
        public void AnEightRowWindowOnTheC3UsesTheRowsBytesNotTheWindows()
        {
            const int lags = 8, features = 6;
            Network network = Network.CreateMlp(new[] { features * lags, 32, 24, 2 }, 3, -1, false);
            var scales = new FeatureScale[features];
            for (int j = 0; j < features; j++) scales[j] = new FeatureScale(100 * j, ShiftSum.FromRatio(1, 3, 4));
            InputNormalizer normalizer = PrequentialExperiment.RepeatedOverWindow(new InputNormalizer(scales, -5), lags, false);
            byte[] file = ModelFile.Save(new Model(network, normalizer));
            ContinualLearner Learner(int windowRows) => new ContinualLearner(ModelFile.Load(file, file.Length, -1, false),
                new ContinualConfig { Profile = DeviceProfile.Esp32C3, WindowRows = windowRows });
            ContinualLearner windows = Learner(1), rows = Learner(lags);
            Assert.Equal(128 * 48 + 11 * 128, windows.History.Bytes);
            Assert.Equal((128 + lags - 1) * 6 + 11 * 128, rows.History.Bytes);
            int saved = 128 * 48 - 135 * 6; // 5,334 B
            Assert.Equal(saved, windows.HeapUsedBytes() - rows.HeapUsedBytes());
            Assert.Equal(64 * 48, rows.Replay.Data.Length); // replay keeps whole windows: its samples are scattered in time
            Assert.Equal(1, windows.BudgetBytes);            // as windows nothing is left: "nothing can train"
            Assert.Equal(saved, windows.StaticBytes - rows.StaticBytes); // what the byte budget subtracts
            Assert.Equal(Math.Max(1, DeviceProfile.Esp32C3.TrainingBudgetBytes(rows.StaticBytes)), rows.BudgetBytes);
        }

        [Fact]
        public void AWindowThatDoesNotContinueTheRowsIsRefusedWithNothingStored()
        {
            var ring = new HistoryRing(4, 6, 3, false); // 2 features, 3 rows: [f0 now, f0 −1, f0 −2, f1 now, f1 −1, f1 −2]
            ring.Add(new sbyte[] { 1, 1, 1, 10, 10, 10 }, 0, 0);          // the first window: the earliest row stands in
            ring.Add(new sbyte[] { 2, 1, 1, 20, 10, 10 }, 1, 0);
            var e = Assert.Throws<ArgumentException>(() => ring.Add(new sbyte[] { 3, 9, 1, 30, 20, 10 }, 2, 0));
            Assert.Contains("consecutive rows", e.Message);
            Assert.Equal(2, ring.Count);
            ring.Add(new sbyte[] { 3, 2, 1, 30, 20, 10 }, 2, 0);
            var input = new sbyte[6];
            ring.LoadInput(ring.OldestSlot(), input, 0);
            Assert.Equal(new sbyte[] { 1, 1, 1, 10, 10, 10 }, input);
            ring.LoadInput(ring.NewestSlot(), input, 0);
            Assert.Equal(new sbyte[] { 3, 2, 1, 30, 20, 10 }, input);
            Assert.Throws<InvalidOperationException>(() => ring.OffsetOf(0));
        }

        [Fact]
        public void TheRingKeepsTheOldestSamplesWholeWindowAcrossTheWrap()
        {
            var ring = new HistoryRing(3, 4, 2, true); // 2 features, 2 rows, time-major: [f0 −1, f1 −1, f0 now, f1 now]
            sbyte[] Window(int t) => new sbyte[] { (sbyte)Math.Max(0, t - 1), (sbyte)(50 + Math.Max(0, t - 1)), (sbyte)t, (sbyte)(50 + t) };
            for (int t = 0; t < 10; t++) ring.Add(Window(t), t, 0);
            var input = new sbyte[4];
            for (int age = 0; age < 3; age++)
            {
                ring.LoadInput(ring.SlotAtAge(age), input, 0);
                Assert.Equal(Window(7 + age), input);
            }
            Assert.Equal(4 * 2 + 11 * 3, ring.Bytes);
        }

        [Fact]
        public void WindowRowsNeedEveryRowScaledAlike()
        {
            var scales = new FeatureScale[4];
            for (int i = 0; i < 4; i++) scales[i] = new FeatureScale(i < 2 ? 7 : 8, ShiftSum.FromRatio(1, 3, 4)); // [f0 now, f0 −1, f1 now, f1 −1]
            Network network = Network.CreateMlp(new[] { 4, 4, 2 }, 1, -1, false);
            var model = new Model(network, new InputNormalizer(scales, -5));
            Assert.NotNull(new ContinualLearner(model, new ContinualConfig { WindowRows = 2 }));
            scales[1] = new FeatureScale(6, ShiftSum.FromRatio(1, 3, 4));
            var e = Assert.Throws<ArgumentException>(() => new ContinualLearner(new Model(Network.CreateMlp(new[] { 4, 4, 2 }, 1, -1, false), new InputNormalizer(scales, -5)), new ContinualConfig { WindowRows = 2 }));
            Assert.Contains("feature 0 is normalised differently 1 rows back", e.Message);
            Assert.Contains("does not divide", Assert.Throws<ArgumentException>(() => new ContinualLearner(model, new ContinualConfig { WindowRows = 3 })).Message);
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
