using System;
using System.IO;
using TinTin.Core;
using TinTin.Reference;
using Xunit;
using Xunit.Abstractions;

namespace TinTin.Core.Tests
{
    /// <summary>Integer-only training learns real data as well as float32 does.</summary>
    public class RealDataTests
    {
        private readonly ITestOutputHelper output;
        public RealDataTests(ITestOutputHelper output) { this.output = output; }

        [Theory]
        [InlineData(1u)]
        [InlineData(2u)]
        [InlineData(3u)]
        public void Occupancy_integer_mlp_is_within_1_5_points_of_float(uint seed)
        {
            // What a BME280 measures: temperature and humidity (the data has no pressure).
            string[] features = { "Temperature", "Humidity" };
            SensorDataset train = SensorDataset.FromTable(SensorTable.Load(RepositoryPaths.Find("data", "occupancy", "datatraining.txt")), features, "Occupancy");
            SensorDataset test = SensorDataset.FromTable(SensorTable.Load(RepositoryPaths.Find("data", "occupancy", "datatest2.txt")), features, "Occupancy");
            InputNormalizer normalizer = NormalizerFit.Fit(train.Raw);
            QDataset qTrain = QDataset.FromSensorRows(train, normalizer), qTest = QDataset.FromSensorRows(test, normalizer);

            Network net = Network.CreateMlp(new[] { 2, 16, 16, 2 }, seed, -1, false);
            net.SetAllTrainable(true);
            var reference = new FloatMlp(net); // same architecture, same initial weights
            var options = new TrainOptions { Epochs = 5, BatchSize = 16, LearningRateNumerator = 1, LearningRateDenominator = 16 };
            Trainer.TrainInteger(net, qTrain, options);
            Trainer.TrainFloat(reference, qTrain, options);
            double integer = Trainer.Accuracy(net, qTest), floating = Trainer.Accuracy(reference, qTest);
            output.WriteLine($"seed {seed}: integer {integer:P2}, float {floating:P2} on datatest2");
            Assert.InRange(integer - floating, -0.015, 0.015);
            Assert.True(integer > 0.79, $"integer accuracy {integer:P2} does not beat the 79.0 % majority class");
        }

        [Fact]
        public void Mnist_784_128_10_reaches_96_percent_in_3_epochs()
        {
            var (train, test) = ImageSet.LoadFolder(RepositoryPaths.Find("data", "mnist"));
            QDataset qTrain = train.Data, qTest = test.Data;
            Network net = Network.CreateMlp(new[] { 784, 128, 10 }, 1, -1, false);
            net.SetAllTrainable(true);
            var options = new TrainOptions { Epochs = 3, BatchSize = 16, LearningRateNumerator = 1, LearningRateDenominator = 16 };
            Trainer.TrainInteger(net, qTrain, options);
            double accuracy = Trainer.Accuracy(net, qTest);
            output.WriteLine($"MNIST integer-only, 3 epochs: {accuracy:P2}");
            Assert.True(accuracy >= 0.96, $"MNIST test accuracy {accuracy:P2} < 96 %");
        }
    }
}
