using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using Spectre.Console;
using TinTin.Core;
using TinTin.Reference;
using TinTin.VirtualBoard;

namespace TinTin.Cli
{
    /// <summary>
    /// `tintin train`: trains one architecture on occupancy or MNIST twice — integer engine and
    /// float32 reference, same initial weights, order and learning rate — and prints them side by side.
    /// </summary>
    public static class TrainCommand
    {
        public static Command Create(CliContext context)
        {
            var dataset = new Argument<string>("dataset") { Description = "occupancy or mnist.", DefaultValueFactory = _ => "occupancy" };
            var data = new Option<string>("--data") { Description = "Folder with the data files (default: data/occupancy or data/mnist of this repository)." };
            var hidden = new Option<string>("--hidden") { Description = "Hidden layer sizes, e.g. 16,16 (default: 16,16 for occupancy, 128 for MNIST)." };
            var features = new Option<string>("--features") { Description = "Occupancy feature columns (default: Temperature,Humidity — what a BME280 measures; Light and CO2 are for experiments)." };
            var epochs = new Option<int>("--epochs") { Description = "Epochs (default: 5 for occupancy, 3 for MNIST)." };
            var batch = new Option<int>("--batch") { Description = "Samples per update.", DefaultValueFactory = _ => 16 };
            var rate = new Option<string>("--lr") { Description = "Learning rate as a ratio n/d (no float reaches the engine).", DefaultValueFactory = _ => "1/16" };
            var seed = new Option<uint>("--seed") { Description = "Initialisation and shuffle seed.", DefaultValueFactory = _ => 1u };
            var limit = new Option<int>("--limit") { Description = "Use at most this many training samples (0: all)." };
            var command = new Command("train",
                "Train one model integer-only and in float32 and compare them side by side.\n" +
                "Train one model integer-only and in float32 from the same initial weights, with the same sample order and\n" +
                "learning rate, and print them side by side: test accuracy, samples/s, bytes of training state, MACs per sample.\n" +
                "Examples: tintin train;  tintin train mnist;  tintin train occupancy --features Temperature,Humidity,CO2\n" +
                "Exit codes: 0 ok, 1 usage, 2 missing or malformed data.")
            { dataset };
            foreach (Option option in new Option[] { data, hidden, features, epochs, batch, rate, seed, limit }) command.Options.Add(option);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                string name = parse.GetValue(dataset).ToLowerInvariant();
                bool mnist = name == "mnist";
                if (!mnist && name != "occupancy") throw CliException.Usage("dataset must be occupancy or mnist, not '" + name + "'");
                var options = new ComparisonOptions
                {
                    Dataset = name,
                    DataFolder = parse.GetValue(data) ?? RepositoryPaths.DataFolder(name),
                    HiddenSizes = ParseSizes(parse.GetValue(hidden) ?? (mnist ? "128" : "16,16")),
                    Epochs = parse.GetValue(epochs) > 0 ? parse.GetValue(epochs) : (mnist ? 3 : 5),
                    BatchSize = parse.GetValue(batch),
                    Seed = parse.GetValue(seed),
                    TrainLimit = parse.GetValue(limit),
                };
                if (parse.GetValue(features) != null) options.Features = parse.GetValue(features).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                (options.LearningRateNumerator, options.LearningRateDenominator) = ParseRatio(parse.GetValue(rate));
                if (options.BatchSize < 1 || options.BatchSize > ParameterLayer.MaxAccumulatedSamples)
                    throw CliException.Usage("--batch must be 1.." + ParameterLayer.MaxAccumulatedSamples);
                return Run(context, options);
            }));
            return command;
        }

        public static int Run(CliContext context, ComparisonOptions options)
        {
            ComparisonResult result = null;
            try
            {
                context.Console.Progress().AutoClear(true).Start(progress =>
                {
                    ProgressTask integer = progress.AddTask("integer engine"), floating = progress.AddTask("float32 reference");
                    result = EngineComparison.Run(options, (engine, done, total) =>
                    {
                        ProgressTask task = engine == "integer" ? integer : floating;
                        task.MaxValue = total;
                        task.Value = done;
                    });
                });
            }
            catch (ArgumentException e) { throw CliException.Input(e.Message); }

            var table = new Table().Border(TableBorder.Rounded)
                .Title($"[bold]{result.Dataset}[/] MLP {string.Join("-", result.LayerSizes)}, {options.Epochs} epochs, {result.TrainSamples} train / {result.TestSamples} test samples")
                .AddColumn("engine").AddColumn(new TableColumn("test accuracy").RightAligned()).AddColumn(new TableColumn("train accuracy").RightAligned())
                .AddColumn(new TableColumn("samples/s").RightAligned()).AddColumn(new TableColumn("training state").RightAligned())
                .AddColumn(new TableColumn("MACs/sample").RightAligned());
            foreach (EngineFigures f in new[] { result.Integer, result.Float })
                table.AddRow(f.Engine, f.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture), f.TrainAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                    f.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture), f.TrainingStateBytes.ToString("N0", CultureInfo.InvariantCulture) + " B",
                    result.MacsPerSample.ToString("N0", CultureInfo.InvariantCulture));
            context.Console.Write(table);
            context.Out.WriteLine($"integer − float32 test accuracy: {(result.Integer.TestAccuracy - result.Float.TestAccuracy) * 100:+0.00;-0.00} points. " +
                "Host throughput; on a board the interpreter is far slower, MACs and bytes carry over exactly.");
            return ExitCodes.Ok;
        }

        private static int[] ParseSizes(string text)
        {
            try
            {
                int[] sizes = text.Split(',', StringSplitOptions.TrimEntries).Select(t => int.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
                if (sizes.Any(s => s < 1 || s > 4096)) throw new FormatException();
                return sizes;
            }
            catch (FormatException) { throw CliException.Usage("--hidden: '" + text + "' is not a list of layer sizes like 16,16"); }
            catch (OverflowException) { throw CliException.Usage("--hidden: '" + text + "' is not a list of layer sizes like 16,16"); }
        }

        private static (int, int) ParseRatio(string text)
        {
            string[] parts = text.Split('/');
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int d) && n > 0 && d > 0)
                return (n, d);
            throw CliException.Usage("--lr: '" + text + "' is not a ratio like 1/16");
        }
    }
}
