using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TinTin.Core;

namespace TinTin.Reference
{
    /// <summary>What to train for an integer-versus-float comparison.</summary>
    public sealed class ComparisonOptions
    {
        /// <summary>"occupancy" (UCI occupancy CSVs) or "mnist" (IDX files).</summary>
        public string Dataset { get; set; } = "occupancy";
        /// <summary>Folder with the data files (datatraining.txt/datatest2.txt, or the MNIST IDX files).</summary>
        public string DataFolder { get; set; }
        public int[] HiddenSizes { get; set; } = { 16, 16 };
        /// <summary>Occupancy feature columns; the default is what a BME280 measures.</summary>
        public string[] Features { get; set; } = { "Temperature", "Humidity" };
        public int Epochs { get; set; } = 5;
        public int BatchSize { get; set; } = 16;
        public int LearningRateNumerator { get; set; } = 1;
        public int LearningRateDenominator { get; set; } = 16;
        /// <summary>Halve the learning rate every this many epochs (0: constant).</summary>
        public int HalveRateEvery { get; set; }
        /// <summary>Momentum β as a ratio; numerator 0 for plain SGD.</summary>
        public int MomentumNumerator { get; set; }
        public int MomentumDenominator { get; set; } = 10;
        public uint Seed { get; set; } = 1;
        /// <summary>Use at most this many training samples (0: all).</summary>
        public int TrainLimit { get; set; }

        // ---- any sensor CSV (Dataset "csv") ----
        /// <summary>A sensor CSV: trains on it (Features → Labels.Column); null: the built-in sets.</summary>
        public string CsvPath { get; set; }
        /// <summary>CSV to test on (same columns); null: the CsvPath rows after the Split fraction (time order).</summary>
        public string TestCsvPath { get; set; }
        /// <summary>Fraction of the CsvPath rows to train on (in (0, 1)), or a row number ≥ 1.</summary>
        public double Split { get; set; } = 0.8;
        public CsvOptions Csv { get; set; } = CsvOptions.Default();
        public LabelSpec Labels { get; set; } = LabelSpec.For("Occupancy");
        /// <summary>Train the integer engine only (no float32 reference).</summary>
        public bool IntegerOnly { get; set; }
        /// <summary>Training-state modes of the integer engine to train, one row each (same initial weights and order).</summary>
        public TrainingStateMode[] Modes { get; set; } = { TrainingStateMode.GradientArena };
    }

    /// <summary>One engine's figures in a comparison.</summary>
    public sealed class EngineFigures
    {
        public string Engine { get; init; }
        public double TestAccuracy { get; init; }
        public double TrainAccuracy { get; init; }
        public double SamplesPerSecond { get; init; }
        public long TrainingStateBytes { get; init; }
        public double LastEpochLoss { get; init; }
        /// <summary>Confusion, balanced accuracy, per-class recall and majority rate on the test set.</summary>
        public ClassMetrics TestMetrics { get; init; }
        /// <summary>CPU seconds the training took (<see cref="CpuClock"/>); SamplesPerSecond = samples / CpuSeconds.</summary>
        public double CpuSeconds { get; init; }
        /// <summary>The integer engine's training-state mode; null for the float reference.</summary>
        public TrainingStateMode? Mode { get; init; }
    }

    public sealed class ComparisonResult
    {
        public string Dataset { get; init; }
        public int[] LayerSizes { get; init; }
        public int TrainSamples { get; init; }
        public int TestSamples { get; init; }
        /// <summary>What was trained on, for the title (a file or folder, features and label).</summary>
        public string Description { get; init; }
        /// <summary>MACs of one training sample (forward + backward, all layers trainable).</summary>
        public long MacsPerSample { get; init; }
        /// <summary>The first integer row (options.Modes[0]).</summary>
        public EngineFigures Integer => Integers[0];
        /// <summary>One row per training-state mode, in options.Modes order.</summary>
        public EngineFigures[] Integers { get; init; }
        /// <summary>Null with IntegerOnly.</summary>
        public EngineFigures Float { get; init; }
        /// <summary>The first integer model's buffers, for the memory table.</summary>
        public MemoryPlan IntegerMemory { get; init; }
    }

    /// <summary>
    /// Trains the same architecture from the same initial weights with the integer engine and
    /// with the float32 reference, same sample order and learning rate, and measures both.
    /// </summary>
    public static class EngineComparison
    {
        public static ComparisonResult Run(ComparisonOptions options, Action<string, long, long> progress = null)
        {
            (QDataset train, TestPass test, string description) = LoadForRun(options);
            if (train.Count == 0) throw new ArgumentException("no training samples");
            if (test.Count == 0) throw new ArgumentException("no test samples");
            int classes = Math.Max(train.ClassCount, test.ClassCount);
            int[] sizes = new[] { train.InputLength }.Concat(options.HiddenSizes).Append(classes).ToArray();
            if (options.Modes == null || options.Modes.Length == 0) throw new ArgumentException("no training-state mode to train");
            bool momentum = options.MomentumNumerator != 0;
            if (momentum && options.Modes.Any(m => m != TrainingStateMode.GradientArena))
                throw new ArgumentException("momentum needs the arena mode: the fused modes keep no velocity (use --mode arena)");
            // The float reference starts from the arena network's master weights (every mode starts from the same ones).
            Network initial = Network.CreateMlp(sizes, options.Seed, -1, false);
            var reference = options.IntegerOnly ? null : new FloatMlp(initial);
            var trainOptions = new TrainOptions
            {
                Epochs = options.Epochs, BatchSize = options.BatchSize,
                LearningRateNumerator = options.LearningRateNumerator, LearningRateDenominator = options.LearningRateDenominator,
                ShuffleSeed = (int)options.Seed, HalveRateEvery = options.HalveRateEvery,
                MomentumNumerator = options.MomentumNumerator, MomentumDenominator = options.MomentumDenominator,
            };
            long samples = (long)options.Epochs * train.Count;

            var integers = new EngineFigures[options.Modes.Length];
            MemoryPlan memory = null;
            long macsPerSample = 0;
            for (int m = 0; m < options.Modes.Length; m++)
            {
                TrainingStateMode mode = options.Modes[m];
                Network network = Network.CreateMlp(sizes, options.Seed, -1, momentum, mode);
                network.SetAllTrainable(true);
                string label = "integer " + TrainingStateModeNames.Name(mode);
                // CPU time of this thread, not wall time: other processes on a shared machine do not count.
                double begin = CpuClock.Seconds();
                double integerLoss = Trainer.TrainInteger(network, train, trainOptions, (d, t) => progress?.Invoke(label, d, t));
                double integerSeconds = CpuClock.Seconds() - begin;
                MemoryPlan plan = network.DescribeMemory();
                if (m == 0) { memory = plan; macsPerSample = network.ForwardMacs() + network.BackwardMacs(); }
                ClassMetrics testMetrics = Metrics(classes, test, (x, exponent) =>
                {
                    Array.Copy(x, network.Input.Data, network.Input.Length);
                    network.Input.Exponent = exponent;
                    return network.Predict();
                });
                integers[m] = new EngineFigures
                {
                    Engine = label, Mode = mode, TestAccuracy = testMetrics.Accuracy, TrainAccuracy = Trainer.Accuracy(network, train),
                    SamplesPerSecond = samples / Math.Max(integerSeconds, 1e-9), TrainingStateBytes = plan.TotalBytes, LastEpochLoss = integerLoss,
                    TestMetrics = testMetrics, CpuSeconds = integerSeconds,
                };
            }
            double floatLoss = 0, floatSeconds = 0;
            if (reference != null)
            {
                double start = CpuClock.Seconds();
                floatLoss = Trainer.TrainFloat(reference, train, trainOptions, (d, t) => progress?.Invoke("float32", d, t));
                floatSeconds = CpuClock.Seconds() - start;
            }

            ClassMetrics floatMetrics = reference == null ? null
                : Metrics(classes, test, (x, exponent) => { reference.LoadInput(x, exponent); return reference.Predict(); });
            return new ComparisonResult
            {
                Dataset = options.Dataset,
                Description = description,
                LayerSizes = sizes,
                TrainSamples = train.Count,
                TestSamples = test.Count,
                MacsPerSample = macsPerSample,
                IntegerMemory = memory,
                Integers = integers,
                Float = reference == null ? null : new EngineFigures
                {
                    Engine = "float32 reference", TestAccuracy = floatMetrics.Accuracy, TrainAccuracy = Trainer.Accuracy(reference, train),
                    SamplesPerSecond = samples / Math.Max(floatSeconds, 1e-9), TrainingStateBytes = FloatStateBytes(initial), LastEpochLoss = floatLoss,
                    TestMetrics = floatMetrics, CpuSeconds = floatSeconds,
                },
            };
        }

        /// <summary>
        /// Training state of the float32 reference for the same network: weights, gradient sums,
        /// activations and their gradients, 4 bytes each (the figure every integer mode is compared with).
        /// </summary>
        public static long FloatStateBytes(Network network)
        {
            long parameters = network.Layers.OfType<ParameterLayer>().Sum(d => (long)d.ParameterCount);
            long activations = network.Activations.Sum(a => (long)a.Length);
            return 4 * (2 * parameters + 2 * activations);
        }

        /// <summary>One pass over the test set: predict(input, exponent) per sample (MNIST streams it from its files: ~8 MB never held).</summary>
        private static ClassMetrics Metrics(int classes, TestPass test, Func<sbyte[], int, int> predict)
        {
            var metrics = new ClassMetrics(classes);
            test.ForEach((x, exponent, label) => metrics.Add(label, predict(x, exponent)));
            return metrics;
        }

        /// <summary>The test set as evaluation reads it: one pass at a time, from memory or streamed from its files.</summary>
        private sealed class TestPass
        {
            public int Count { get; init; }
            public int ClassCount { get; init; }
            /// <summary>Calls visit(input, exponent, label) for every test sample in order; input is only valid during the call.</summary>
            public Action<Action<sbyte[], int, int>> ForEach { get; init; }

            public static TestPass Of(QDataset data) => new TestPass
            {
                Count = data.Count, ClassCount = data.ClassCount,
                ForEach = visit => { for (int i = 0; i < data.Count; i++) visit(data.Inputs[i], data.Exponent, data.Labels[i]); },
            };

            /// <summary>MNIST-format test files read image by image into one buffer [pixels].</summary>
            public static TestPass Streamed(string folder)
            {
                int count;
                using (ImageSet.ImageReader header = ImageSet.OpenTest(folder)) count = header.Count;
                return new TestPass
                {
                    Count = count, ClassCount = ImageSet.ClassCount,
                    ForEach = visit =>
                    {
                        using ImageSet.ImageReader reader = ImageSet.OpenTest(folder);
                        var input = new sbyte[reader.PixelCount];  // [Rows·Columns]
                        for (int i = 0; i < reader.Count; i++)
                        {
                            int label = reader.ReadNext(input);
                            visit(input, ImageSet.InputExponent, label);
                        }
                    },
                };
            }
        }

        /// <summary>What Run trains on and tests with: the MNIST test set is streamed, the others are held.</summary>
        private static (QDataset Train, TestPass Test, string Description) LoadForRun(ComparisonOptions options)
        {
            if (options.CsvPath == null && options.Dataset.Equals("mnist", StringComparison.OrdinalIgnoreCase))
            {
                string folder = options.DataFolder ?? throw new ArgumentException("no data folder given");
                if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"data folder not found: {folder}");
                ImageSet train = ImageSet.LoadTrain(folder, options.TrainLimit);
                TestPass test = TestPass.Streamed(folder);
                return (train.Data, test, options.Dataset + " from " + folder);
            }
            (QDataset trainSet, QDataset testSet, string description) = LoadDescribed(options);
            return (trainSet, TestPass.Of(testSet), description);
        }


        /// <summary>Loads and quantises the chosen data set (occupancy: normaliser fitted on the training file).</summary>
        public static (QDataset Train, QDataset Test) Load(ComparisonOptions options)
        {
            (QDataset train, QDataset test, _) = LoadDescribed(options);
            return (train, test);
        }

        /// <summary>
        /// A sensor CSV read with the CSV options (time-ordered split or a test file), the normaliser
        /// fitted on the training rows with their per-feature fixed point; the description names the file, features and label.
        /// </summary>
        public static (QDataset Train, QDataset Test, string Description) LoadCsv(ComparisonOptions options)
        {
            InputFiles.CheckInput(options.CsvPath, InputFiles.MaxDataBytes, "data file");
            if (options.TestCsvPath != null) InputFiles.CheckInput(options.TestCsvPath, InputFiles.MaxDataBytes, "data file");
            if (options.Features == null || options.Features.Length == 0) throw new ArgumentException("name the feature columns (--features A,B)");
            (SensorDataset train, SensorDataset test) = SensorDataset.LoadSplit(options.CsvPath, options.TestCsvPath, options.Split, options.Csv, options.Features, options.Labels);
            if (options.TrainLimit > 0 && options.TrainLimit < train.Count) train = train.Slice(0, options.TrainLimit);
            InputNormalizer normalizer = NormalizerFit.Fit(train.Raw, decimals: train.Decimals);
            string description = Path.GetFileName(options.CsvPath) + " (" + string.Join(",", options.Features) + " → " + options.Labels.Column + ", "
                + train.ClassCount + " classes; test " + (options.TestCsvPath != null ? Path.GetFileName(options.TestCsvPath)
                    : "the last " + test.Count + " rows in time order") + ")";
            return (QDataset.FromSensorRows(train, normalizer), QDataset.FromSensorRows(test, normalizer), description);
        }

        /// <summary>Load with a title naming what was loaded.</summary>
        public static (QDataset Train, QDataset Test, string Description) LoadDescribed(ComparisonOptions options)
        {
            if (options.CsvPath != null) return LoadCsv(options);
            (QDataset train, QDataset test) = LoadBuiltIn(options);
            return (train, test, options.Dataset + " from " + options.DataFolder);
        }

        private static (QDataset Train, QDataset Test) LoadBuiltIn(ComparisonOptions options)
        {
            string folder = options.DataFolder ?? throw new ArgumentException("no data folder given");
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"data folder not found: {folder}");
            switch (options.Dataset.ToLowerInvariant())
            {
                case "occupancy":
                {
                    SensorDataset train = SensorDataset.FromTable(SensorTable.Load(Path.Combine(folder, "datatraining.txt")), options.Features, "Occupancy");
                    SensorDataset test = SensorDataset.FromTable(SensorTable.Load(Path.Combine(folder, "datatest2.txt")), options.Features, "Occupancy");
                    if (options.TrainLimit > 0 && options.TrainLimit < train.Count) train = train.Slice(0, options.TrainLimit);
                    InputNormalizer normalizer = NormalizerFit.Fit(train.Raw);
                    return (QDataset.FromSensorRows(train, normalizer), QDataset.FromSensorRows(test, normalizer));
                }
                case "mnist":
                {
                    var (train, test) = ImageSet.LoadFolder(folder, options.TrainLimit);
                    return (train.Data, test.Data);
                }
                default:
                    throw new ArgumentException($"unknown data set '{options.Dataset}': use occupancy or mnist");
            }
        }
    }
}
