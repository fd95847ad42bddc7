using System;
using System.Collections.Generic;
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
            var dataset = new Argument<string>("dataset") { Description = "occupancy or mnist (default: mnist when --data holds MNIST-format files, else occupancy).", Arity = ArgumentArity.ZeroOrOne };
            var data = new Option<string>("--data") { Description = "Folder with the data files (default: data/occupancy or data/mnist of this repository). Any MNIST-format folder works " +
                "(train-/t10k- images-idx3-ubyte and labels-idx1-ubyte, .gz or not; e.g. Fashion-MNIST); the title names it." };
            var hidden = new Option<string>("--hidden") { Description = "Hidden layer sizes, e.g. 16,16 (default: 16,16 for occupancy, 128 for MNIST)." };
            var features = new Option<string>("--features") { Description = "Occupancy feature columns (default: Temperature,Humidity — what a BME280 measures; Light and CO2 are for experiments)." };
            var epochs = new Option<int>("--epochs") { Description = "Epochs (default: 5 for occupancy, 3 for MNIST)." };
            var batch = new Option<int>("--batch") { Description = "Samples per update.", DefaultValueFactory = _ => 16 };
            var rate = new Option<string>("--lr") { Description = "Learning rate as a ratio n/d (no float reaches the engine).", DefaultValueFactory = _ => "1/16" };
            var halve = new Option<int>("--lr-halve-every") { Description = "Halve the learning rate every N epochs (0: constant). Each halving is one more fraction bit of the same shift sum." };
            var momentum = new Option<string>("--momentum") { Description = "Momentum as a ratio, e.g. 1/2; 0 for plain SGD.", DefaultValueFactory = _ => "0" };
            var seed = new Option<uint>("--seed") { Description = "Initialisation and shuffle seed.", DefaultValueFactory = _ => 1u };
            var limit = new Option<int>("--limit") { Description = "Use at most this many training samples (0: all)." };
            // any sensor CSV: the same reading options as prepare and experiment
            var csv = new Option<string>("--csv") { Description = "Train on this sensor CSV instead of a built-in set (with --features and --label)." };
            var testCsv = new Option<string>("--test-csv") { Description = "--csv: test on this CSV (same columns); without it the --csv rows are split in time order by --split." };
            var split = new Option<double>("--split") { Description = "--csv: fraction of the rows (time order) to train on; the rest is the test set.", DefaultValueFactory = _ => 0.8 };
            var label = new Option<string>("--label") { Description = "--csv: label column (class numbers 0, 1, …, or mapped with --label-map).", DefaultValueFactory = _ => "Occupancy" };
            var time = new Option<string>("--time-column") { Description = "--csv: timestamp column, DATE,TIME, or 'none'.", DefaultValueFactory = _ => "date" };
            var noHeader = new Option<bool>("--no-header") { Description = "--csv: no header line; columns are c1..cN." };
            var timeFormat = new Option<string>("--time-format") { Description = "--csv: iso (default), epoch-ms, epoch-s, or a .NET format such as dd-MM-yyyy HH:mm:ss.", DefaultValueFactory = _ => "iso" };
            var group = new Option<string>("--group") { Description = "--csv: column naming the sensor node of each row." };
            var missing = new Option<string>("--missing") { Description = "--csv: empty/NA cells: error (default), skip, or previous.", DefaultValueFactory = _ => "error" };
            var labelMap = new Option<string>("--label-map") { Description = "--csv: raw label → class, e.g. 0=0,1=1,2=1." };
            var classes = new Option<int>("--classes") { Description = "--csv: number of classes (default: from the training labels)." };
            var integerOnly = new Option<bool>("--integer-only") { Description = "Train the integer engine only (no float32 reference)." };
            var mode = new Option<string>("--mode") { Description = "Training-state modes of the integer engine, one row each: " + TrainingStateModeNames.List + ", a comma list, or all (default; arena only for mnist, whose lean-mode rows cost 25-45x the arena's CPU, and with --momentum: the fused modes keep no velocity)." };
            var json = new Option<bool>("--json") { Description = "Print one JSON object (test_accuracy, balanced_accuracy, majority, per_class_recall, confusion of the integer engine; engines: both) on standard output; the rest goes to standard error." };
            var command = new Command("train",
                "Train one model integer-only and in float32 and compare them side by side.\n" +
                "Train one model integer-only and in float32 from the same initial weights, with the same sample order and\n" +
                "learning rate, and print them side by side: test accuracy, samples/s, bytes of training state, MACs per sample.\n" +
                "Samples/s are per CPU second of the training thread (other load on the machine does not count).\n" +
                "Examples: tintin train;  tintin train mnist;  tintin train occupancy --features Temperature,Humidity,CO2\n" +
                "  tintin train --csv logger.csv --features temp_c,rh --label occupants --label-map 0=0,1=1,2=1 --split 0.7\n" +
                "Exit codes: 0 ok, 1 usage, 2 missing or malformed data.")
            { dataset };
            foreach (Option option in new Option[] { data, hidden, features, epochs, batch, rate, halve, momentum, seed, limit, csv, testCsv, split, label, time, noHeader, timeFormat, group, missing, labelMap, classes, integerOnly, mode, json })
                command.Options.Add(option);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                string name = (parse.GetValue(dataset) ?? (ImageSet.IsImageFolder(parse.GetValue(data)) ? "mnist" : "occupancy")).ToLowerInvariant();
                bool mnist = name == "mnist";
                if (!mnist && name != "occupancy") throw CliException.Usage("dataset must be occupancy or mnist, not '" + name + "'");
                string csvPath = parse.GetValue(csv);
                if (csvPath == null && parse.GetValue(testCsv) != null) throw CliException.Usage("--test-csv needs --csv (the training file)");
                if (csvPath != null && mnist) throw CliException.Usage("give either a built-in data set (occupancy, mnist) or --csv FILE, not both");
                if (csvPath != null && parse.GetValue(data) != null) throw CliException.Usage("--data names a built-in set's folder; with --csv give the file itself");
                if (csvPath != null && parse.GetValue(features) == null) throw CliException.Usage("--csv needs --features COLUMNS (e.g. --features temp_c,rh)");
                var options = new ComparisonOptions
                {
                    Dataset = name,
                    DataFolder = parse.GetValue(data) ?? RepositoryPaths.DataFolder(name),
                    HiddenSizes = ParseSizes(parse.GetValue(hidden) ?? (mnist ? "128" : "16,16")),
                    Epochs = parse.GetValue(epochs) > 0 ? parse.GetValue(epochs) : (mnist ? 3 : 5),
                    BatchSize = parse.GetValue(batch),
                    Seed = parse.GetValue(seed),
                    TrainLimit = parse.GetValue(limit),
                    IntegerOnly = parse.GetValue(integerOnly),
                    // MNIST trains the arena mode unless asked: the lean modes' scalar host kernels take 25–45× its CPU there (docs/ENGINE.md).
                    Modes = mnist && parse.GetValue(mode) == null ? new[] { TrainingStateMode.GradientArena } : ParseModes(parse.GetValue(mode)),
                };
                if (csvPath != null)
                {
                    options.Dataset = "csv";
                    options.DataFolder = null;
                    options.CsvPath = csvPath;
                    options.TestCsvPath = parse.GetValue(testCsv);
                    options.Split = parse.GetValue(split);
                    if (!(options.Split > 0) || (options.Split >= 1 && options.Split != Math.Floor(options.Split)))
                        throw CliException.Usage("--split must be a fraction in (0, 1) or a whole row number");
                    try
                    {
                        options.Csv = CsvOptions.FromFlags(parse.GetValue(time), parse.GetValue(noHeader), parse.GetValue(timeFormat), parse.GetValue(group), parse.GetValue(missing));
                        options.Csv.Validate();
                        options.Labels = new LabelSpec { Column = parse.GetValue(label), Map = LabelSpec.ParseMap(parse.GetValue(labelMap)), Classes = parse.GetValue(classes) };
                    }
                    catch (ArgumentException e) { throw CliException.Usage(e.Message); }
                    if (options.Labels.Classes < 0 || options.Labels.Classes > 4096) throw CliException.Usage("--classes must be 1 to 4096");
                }
                if (parse.GetValue(features) != null) options.Features = parse.GetValue(features).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                (options.LearningRateNumerator, options.LearningRateDenominator) = ParseRatio(parse.GetValue(rate));
                options.HalveRateEvery = parse.GetValue(halve);
                if (options.HalveRateEvery < 0) throw CliException.Usage("--lr-halve-every must be 0 (constant) or a number of epochs");
                string momentumText = parse.GetValue(momentum);
                if (momentumText != "0")
                {
                    (options.MomentumNumerator, options.MomentumDenominator) = ParseRatio(momentumText, "--momentum");
                    if (options.MomentumNumerator >= options.MomentumDenominator) throw CliException.Usage("--momentum must be below 1");
                    if (parse.GetValue(mode) == null) options.Modes = new[] { TrainingStateMode.GradientArena };
                    else if (options.Modes.Any(m => m != TrainingStateMode.GradientArena))
                        throw CliException.Usage("--momentum needs --mode arena: the fused modes keep no velocity");
                }
                if (options.BatchSize < 1 || options.BatchSize > ParameterLayer.MaxAccumulatedSamples)
                    throw CliException.Usage("--batch must be 1.." + ParameterLayer.MaxAccumulatedSamples);
                return Run(context, options, parse.GetValue(json));
            }));
            return command;
        }

        public static int Run(CliContext context, ComparisonOptions options, bool json = false)
        {
            CliContext output = context;
            if (json) context = new CliContext(context.Error, context.Error, context.In, false, context.Cancel); // human text to stderr
            ComparisonResult result = null;
            try
            {
                context.Console.Progress().AutoClear(true).Start(progress =>
                {
                    var tasks = options.Modes.ToDictionary(m => "integer " + TrainingStateModeNames.Name(m), m => progress.AddTask("integer engine, " + TrainingStateModeNames.Name(m)));
                    ProgressTask floating = options.IntegerOnly ? null : progress.AddTask("float32 reference");
                    result = EngineComparison.Run(options, (engine, done, total) =>
                    {
                        context.Cancel.ThrowIfCancellationRequested();
                        ProgressTask task = tasks.TryGetValue(engine, out ProgressTask t) ? t : floating;
                        task.MaxValue = total;
                        task.Value = done;
                    });
                });
            }
            catch (ArgumentException e) { throw CliException.Input(e.Message); }
            catch (FormatException e) { throw CliException.Input(e.Message); }

            EngineFigures[] engines = result.Float == null ? result.Integers : result.Integers.Append(result.Float).ToArray();
            var table = new Table().Border(TableBorder.Rounded)
                .Title($"[bold]{Markup.Escape(result.Description ?? result.Dataset)}[/] MLP {string.Join("-", result.LayerSizes)}, {options.Epochs} epochs{Schedule(options)}, {result.TrainSamples} train / {result.TestSamples} test samples")
                .AddColumn("engine").AddColumn(new TableColumn("test accuracy").RightAligned()).AddColumn(new TableColumn("balanced").RightAligned())
                .AddColumn(new TableColumn("train accuracy").RightAligned())
                .AddColumn(new TableColumn("samples/CPU s").RightAligned()).AddColumn(new TableColumn("training state").RightAligned())
                .AddColumn(new TableColumn("MACs/sample").RightAligned());
            foreach (EngineFigures f in engines)
                table.AddRow(Markup.Escape(f.Engine), f.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture), f.TestMetrics.BalancedAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                    f.TrainAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                    f.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture), f.TrainingStateBytes.ToString("N0", CultureInfo.InvariantCulture) + " B",
                    result.MacsPerSample.ToString("N0", CultureInfo.InvariantCulture));
            context.Console.Write(table);
            context.Out.WriteLine("CPU seconds per training epoch: " + string.Join(", ", engines.Select(f =>
                (f.Mode == null ? "float32 " : f.Engine + " ") + (f.CpuSeconds / options.Epochs).ToString("0.00", CultureInfo.InvariantCulture))) + " (" + CpuClock.Kind + " CPU time).");
            foreach (EngineFigures f in engines) context.Out.Write(f.Engine + ", test set:\n" + f.TestMetrics.Format());
            foreach (EngineFigures f in result.Integers)
                context.Out.WriteLine(f.Engine + ": " + TrainingStateModeNames.Describe(f.Mode.Value) + ", " + f.TrainingStateBytes.ToString("N0", CultureInfo.InvariantCulture) + " B of training state"
                    + (result.Float != null ? ", " + ((double)result.Float.TrainingStateBytes / f.TrainingStateBytes).ToString("0.00", CultureInfo.InvariantCulture) + "x below float32" : "") + ".");
            if (result.Float != null)
                context.Out.WriteLine(string.Join(" ", result.Integers.Select(f => $"{f.Engine} − float32 test accuracy: {(f.TestAccuracy - result.Float.TestAccuracy) * 100:+0.00;-0.00} points.")) + " " +
                    "Training state: every buffer of the engine (Network.DescribeMemory); float32: weights, gradient sums, activations and their gradients. Host throughput per CPU second (" + CpuClock.Kind + " CPU time); on a board the interpreter is far slower, MACs and bytes carry over exactly.");
            else context.Out.WriteLine("Host throughput per CPU second (" + CpuClock.Kind + " CPU time); on a board the interpreter is far slower, MACs and bytes carry over exactly.");
            if (json)
            {
                Dictionary<string, object> report = JsonReport.For("train", result.Integer.TestMetrics);
                report["data"] = result.Description ?? result.Dataset;
                report["layer_sizes"] = result.LayerSizes;
                report["epochs"] = options.Epochs;
                report["train_samples"] = result.TrainSamples;
                report["test_samples"] = result.TestSamples;
                report["macs_per_sample"] = result.MacsPerSample;
                report["engines"] = engines.Select(f => new Dictionary<string, object>
                {
                    ["engine"] = f.Mode == null ? "float32" : f == result.Integer ? "integer" : f.Engine,
                    ["mode"] = f.Mode == null ? null : TrainingStateModeNames.Name(f.Mode.Value),
                    ["test_accuracy"] = f.TestAccuracy,
                    ["balanced_accuracy"] = f.TestMetrics.BalancedAccuracy,
                    ["per_class_recall"] = f.TestMetrics.PerClassRecall,
                    ["confusion"] = f.TestMetrics.Confusion,
                    ["train_accuracy"] = f.TrainAccuracy,
                    ["samples_per_cpu_second"] = f.SamplesPerSecond,
                    ["cpu_seconds"] = f.CpuSeconds,
                    ["training_state_bytes"] = f.TrainingStateBytes,
                }).ToArray();
                JsonReport.WriteLine(output.Out, report);
            }
            return ExitCodes.Ok;
        }

        /// <summary>"all", or a comma list of mode names (TrainingStateModeNames.List).</summary>
        public static TrainingStateMode[] ParseModes(string text)
        {
            if (string.IsNullOrWhiteSpace(text) || text.Trim() == "all") return TrainingStateModeNames.All;
            return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(n =>
                TrainingStateModeNames.TryParse(n.ToLowerInvariant(), out TrainingStateMode m) ? m
                    : throw CliException.Usage("--mode: '" + n + "' is not a training-state mode (" + TrainingStateModeNames.List + ", all)")).Distinct().ToArray();
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

        private static string Schedule(ComparisonOptions o) =>
            FormattableString.Invariant($", lr {o.LearningRateNumerator}/{o.LearningRateDenominator}")
            + (o.HalveRateEvery > 0 ? FormattableString.Invariant($" halved every {o.HalveRateEvery}") : "")
            + (o.MomentumNumerator != 0 ? FormattableString.Invariant($", momentum {o.MomentumNumerator}/{o.MomentumDenominator}") : "");

        private static (int, int) ParseRatio(string text, string option = "--lr")
        {
            string[] parts = text.Split('/');
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int d) && n > 0 && d > 0)
                return (n, d);
            throw CliException.Usage(option + ": '" + text + "' is not a ratio like 1/16");
        }
    }
}
