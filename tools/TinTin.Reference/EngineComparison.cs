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
        public uint Seed { get; set; } = 1;
        /// <summary>Use at most this many training samples (0: all).</summary>
        public int TrainLimit { get; set; }
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
    }

    public sealed class ComparisonResult
    {
        public string Dataset { get; init; }
        public int[] LayerSizes { get; init; }
        public int TrainSamples { get; init; }
        public int TestSamples { get; init; }
        /// <summary>MACs of one training sample (forward + backward, all layers trainable).</summary>
        public long MacsPerSample { get; init; }
        public EngineFigures Integer { get; init; }
        public EngineFigures Float { get; init; }
        /// <summary>The integer model's buffers, for the memory table.</summary>
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
            (QDataset train, QDataset test) = Load(options);
            int[] sizes = new[] { train.InputLength }.Concat(options.HiddenSizes).Append(train.ClassCount).ToArray();
            Network network = Network.CreateMlp(sizes, options.Seed, -1, false);
            network.SetAllTrainable(true);
            var reference = new FloatMlp(network);
            var trainOptions = new TrainOptions
            {
                Epochs = options.Epochs, BatchSize = options.BatchSize,
                LearningRateNumerator = options.LearningRateNumerator, LearningRateDenominator = options.LearningRateDenominator,
                ShuffleSeed = (int)options.Seed,
            };
            long samples = (long)options.Epochs * train.Count;

            var clock = Stopwatch.StartNew();
            double integerLoss = Trainer.TrainInteger(network, train, trainOptions, (d, t) => progress?.Invoke("integer", d, t));
            double integerSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            double floatLoss = Trainer.TrainFloat(reference, train, trainOptions, (d, t) => progress?.Invoke("float32", d, t));
            double floatSeconds = clock.Elapsed.TotalSeconds;

            MemoryPlan memory = network.DescribeMemory();
            long parameters = network.Layers.OfType<DenseLayer>().Sum(d => (long)d.ParameterCount);
            long activations = network.Activations.Sum(a => (long)a.Length);
            // float32: weights, gradient sums, activations and their gradients (4 bytes each).
            long floatBytes = 4 * (2 * parameters + 2 * activations);
            return new ComparisonResult
            {
                Dataset = options.Dataset,
                LayerSizes = sizes,
                TrainSamples = train.Count,
                TestSamples = test.Count,
                MacsPerSample = network.ForwardMacs() + network.BackwardMacs(),
                IntegerMemory = memory,
                Integer = new EngineFigures
                {
                    Engine = "integer (int8/int16/int32)", TestAccuracy = Trainer.Accuracy(network, test), TrainAccuracy = Trainer.Accuracy(network, train),
                    SamplesPerSecond = samples / Math.Max(integerSeconds, 1e-9), TrainingStateBytes = memory.TotalBytes, LastEpochLoss = integerLoss,
                },
                Float = new EngineFigures
                {
                    Engine = "float32 reference", TestAccuracy = Trainer.Accuracy(reference, test), TrainAccuracy = Trainer.Accuracy(reference, train),
                    SamplesPerSecond = samples / Math.Max(floatSeconds, 1e-9), TrainingStateBytes = floatBytes, LastEpochLoss = floatLoss,
                },
            };
        }

        /// <summary>Loads and quantises the chosen data set (occupancy: normaliser fitted on the training file).</summary>
        public static (QDataset Train, QDataset Test) Load(ComparisonOptions options)
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
                    return (QDataset.FromImages(train), QDataset.FromImages(test));
                }
                default:
                    throw new ArgumentException($"unknown data set '{options.Dataset}': use occupancy or mnist");
            }
        }
    }
}
