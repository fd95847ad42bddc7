using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using TinTin.Core;
using TinTin.Reference;
using TinTin.Sensors;

namespace TinTin.VirtualBoard
{
    /// <summary>How to prepare a default model from a recorded data set.</summary>
    public sealed class PrepareOptions
    {
        /// <summary>Training CSV (default: the repository's data/occupancy/datatraining.txt).</summary>
        public string TrainingPath { get; set; }
        public ReplayColumns Columns { get; set; } = ReplayColumns.Occupancy();
        /// <summary>TinTin.Sensors.FeatureSet ids, in model input order.</summary>
        public int[] FeatureIds { get; set; } = DefaultFeatureIds();
        public int WindowSamples { get; set; } = 8;
        /// <summary>Hidden layer sizes of the MLP: the default board model is 6-48-24-2 (issue 16 item 3: its full
        /// update does not fit the ESP32-C3's budget; 6-16-2 before, kept as data/models/occupancy-6-16-2.ttm).</summary>
        public int[] Hidden { get; set; } = { 48, 24 };
        public int Epochs { get; set; } = 4;
        public int BatchSize { get; set; } = 16;
        public int LearningRateNumerator { get; set; } = 1;
        public int LearningRateDenominator { get; set; } = 16;
        public uint Seed { get; set; } = 7;
        public string ModelName { get; set; } = "occupancy-th";

        /// <summary>Temperature, humidity, humidity ratio and their one-step changes: what a BME280 gives without pressure.</summary>
        public static int[] DefaultFeatureIds() => new[]
        {
            FeatureSet.Temperature, FeatureSet.Humidity, FeatureSet.HumidityRatio,
            FeatureSet.TemperatureDelta, FeatureSet.HumidityDelta, FeatureSet.HumidityRatioTrend,
        };
    }

    /// <summary>A prepared model: the ModelFile bytes firmware embeds, with what produced them.</summary>
    public sealed class PreparedModel
    {
        public byte[] Bytes { get; init; }
        public int[] FeatureIds { get; init; }
        public int WindowSamples { get; init; }
        public string ModelName { get; init; }
        public int TrainingRows { get; init; }
        /// <summary>Integer model accuracy on its own training rows, per mille.</summary>
        public int TrainingAccuracyPerMille { get; init; }
        public string Source { get; init; }
    }

    /// <summary>
    /// The host "prepare" step: features from a recorded CSV through the SAME TinTin.Sensors
    /// FeaturePipeline the firmware runs, a normaliser fitted on them (TinTin.Reference.NormalizerFit),
    /// an integer MLP trained with the engine (TinTin.Reference.Trainer), saved as ModelFile bytes,
    /// and optionally written as the C# constant firmware embeds (firmware/TinTin.Firmware/DefaultModel.g.cs).
    /// Deterministic: the same options give the same bytes. `tintin prepare` calls this.
    /// </summary>
    public static class ModelPreparation
    {
        public static PreparedModel Prepare(PrepareOptions options, TextWriter log = null)
        {
            ArgumentNullException.ThrowIfNull(options);
            string path = options.TrainingPath ?? RepositoryPaths.Data("occupancy", "datatraining.txt");
            (int[][] raw, int[] labels) = Features(path, options.Columns, options.FeatureIds, options.WindowSamples);
            int classes = 2;
            foreach (int l in labels) if (l + 1 > classes) classes = l + 1;
            InputNormalizer normalizer = NormalizerFit.Fit(raw, decimals: Decimals(options.FeatureIds));
            var names = new string[options.FeatureIds.Length];
            for (int i = 0; i < names.Length; i++) names[i] = FeatureSet.Name(options.FeatureIds[i]);
            var times = new long[labels.Length];
            var dataset = new SensorDataset(names, raw, labels, times, classes);
            QDataset q = QDataset.FromSensorRows(dataset, normalizer);

            var sizes = new List<int> { options.FeatureIds.Length };
            sizes.AddRange(options.Hidden);
            sizes.Add(classes);
            Network network = Network.CreateMlp(sizes.ToArray(), options.Seed, -1, false);
            network.SetAllTrainable(true);
            var train = new TrainOptions
            {
                Epochs = options.Epochs, BatchSize = options.BatchSize,
                LearningRateNumerator = options.LearningRateNumerator, LearningRateDenominator = options.LearningRateDenominator,
                ShuffleSeed = (int)options.Seed,
            };
            double loss = Trainer.TrainInteger(network, q, train);
            double accuracy = Trainer.Accuracy(network, q);
            network.SetAllTrainable(false);
            var model = new Model(network, normalizer);
            byte[] bytes = ModelFile.Save(model);
            log?.WriteLine($"prepare: {Path.GetFileName(path)} {raw.Length} rows, features {string.Join(",", names)}, " +
                $"MLP {string.Join("-", sizes)}, last-epoch loss {loss.ToString("F3", CultureInfo.InvariantCulture)}, " +
                $"training accuracy {(accuracy * 100).ToString("F1", CultureInfo.InvariantCulture)} %, {bytes.Length} bytes");
            return new PreparedModel
            {
                Bytes = bytes, FeatureIds = (int[])options.FeatureIds.Clone(), WindowSamples = options.WindowSamples,
                ModelName = options.ModelName, TrainingRows = raw.Length,
                TrainingAccuracyPerMille = (int)Math.Round(accuracy * 1000), Source = Path.GetFileName(path),
            };
        }

        /// <summary>The firmware features' fixed points as decimals of their natural unit (0.01 °C → 2, Pa → 0, mg/kg of kg/kg → 6).</summary>
        public static int[] Decimals(int[] featureIds)
        {
            var decimals = new int[featureIds.Length];
            for (int i = 0; i < decimals.Length; i++)
                decimals[i] = FeatureSet.Unit(featureIds[i]) switch { "Pa" => 0, "mg/kg" => 6, _ => 2 };
            return decimals;
        }

        /// <summary>
        /// Raw features of every row once the pipeline is warm, with the row labels. With a group
        /// column (columns.Csv.Group) each sensor node has its own pipeline, so windows and
        /// differences never mix nodes; rows keep their file order.
        /// </summary>
        public static (int[][] Raw, int[] Labels) Features(string path, ReplayColumns columns, int[] featureIds, int windowSamples)
        {
            SensorDataset rows = FeatureRows(path, columns, featureIds, windowSamples);
            return (rows.Raw, rows.Labels);
        }

        /// <summary>
        /// <see cref="Features"/> as a dataset (what `tintin experiment --board-features` streams): the same rows
        /// with their timestamps, sensor node, feature names and fixed-point decimals. Class count: the
        /// largest label + 1, at least 2 and at least <paramref name="classes"/>.
        /// </summary>
        public static SensorDataset FeatureRows(string path, ReplayColumns columns, int[] featureIds, int windowSamples, int classes = 0)
        {
            var source = ReplaySource.Open(path, columns);
            int[] groups = source.Table.GroupIds;
            var pipelines = new FeaturePipeline[source.Table.GroupCount];
            for (int g = 0; g < pipelines.Length; g++) pipelines[g] = new FeaturePipeline(featureIds, windowSamples);
            var sample = new EnvironmentSample();
            var rawRows = new List<int[]>();
            var labels = new List<int>();
            var times = new List<long>();
            var nodes = new List<int>();
            var features = new int[featureIds.Length];
            int status;
            while ((status = source.Read(sample)) != SampleStatus.EndOfData)
            {
                if (status != SampleStatus.Ok) continue;
                int node = groups == null ? 0 : groups[source.Position - 1];
                if (!pipelines[node].Push(sample, features)) continue;
                if (sample.Label < 0) throw new InvalidDataException($"{path}: a row has no label; preparing needs labelled data");
                rawRows.Add((int[])features.Clone());
                labels.Add(sample.Label);
                times.Add(sample.TimestampMs);
                nodes.Add(node);
            }
            if (rawRows.Count == 0) throw new InvalidDataException($"{path}: no usable rows");
            classes = Math.Max(classes, 2);
            foreach (int l in labels) if (l + 1 > classes) classes = l + 1;
            var names = new string[featureIds.Length];
            for (int i = 0; i < names.Length; i++) names[i] = FeatureSet.Name(featureIds[i]);
            return new SensorDataset(names, rawRows.ToArray(), labels.ToArray(), times.ToArray(), classes, Decimals(featureIds), nodes.ToArray());
        }

        /// <summary>The C# source of the embedded default model (nano subset: a byte[] and an int[]).</summary>
        public static string ToCSharp(PreparedModel model)
        {
            var sb = new StringBuilder();
            sb.Append("// <auto-generated>\n");
            sb.Append("// Generated by the host prepare step (tools/TinTin.VirtualBoard ModelPreparation; `tintin prepare`).\n");
            sb.Append($"// Trained on {model.Source} ({model.TrainingRows} rows), training accuracy {model.TrainingAccuracyPerMille / 10}.{model.TrainingAccuracyPerMille % 10} %.\n");
            sb.Append("// Do not edit: regenerate.\n");
            sb.Append("// </auto-generated>\n");
            sb.Append("namespace TinTin.Firmware\n{\n");
            sb.Append("    /// <summary>The embedded default model (TinTin.Core.ModelFile bytes) and the features it takes.</summary>\n");
            sb.Append("    public static class DefaultModel\n    {\n");
            sb.Append($"        public const string Name = \"{model.ModelName}\";\n");
            sb.Append($"        public const int WindowSamples = {model.WindowSamples};\n\n");
            sb.Append("        /// <summary>TinTin.Sensors.FeatureSet ids in model input order.</summary>\n");
            sb.Append("        public static int[] FeatureIds()\n        {\n            return new int[] { ");
            sb.Append(string.Join(", ", model.FeatureIds));
            sb.Append(" };\n        }\n\n");
            sb.Append($"        /// <summary>{model.Bytes.Length} bytes.</summary>\n");
            sb.Append("        public static byte[] Bytes()\n        {\n            return new byte[]\n            {\n");
            for (int i = 0; i < model.Bytes.Length; i += 16)
            {
                sb.Append("                ");
                for (int j = i; j < Math.Min(i + 16, model.Bytes.Length); j++)
                    sb.Append("0x").Append(model.Bytes[j].ToString("X2")).Append(j + 1 < model.Bytes.Length ? ", " : "");
                sb.Append('\n');
            }
            sb.Append("            };\n        }\n    }\n}\n");
            return sb.ToString();
        }

        /// <summary>Writes <see cref="ToCSharp"/> to path (default: firmware/TinTin.Firmware/DefaultModel.g.cs).</summary>
        public static string WriteCSharp(PreparedModel model, string path = null)
        {
            path ??= RepositoryPaths.Find("firmware", "TinTin.Firmware", "DefaultModel.g.cs");
            File.WriteAllText(path, ToCSharp(model));
            return path;
        }
    }
}
