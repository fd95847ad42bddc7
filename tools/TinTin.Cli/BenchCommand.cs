using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Spectre.Console;
using TinTin.Core;
using TinTin.Reference;

namespace TinTin.Cli
{
    /// <summary>`tintin bench`: engine throughput, bytes and MACs, integer beside the float32 reference. Figures only, no pass/fail.</summary>
    public static class BenchCommand
    {
        /// <summary>One engine row: throughput from CPU time (min and median over the repeats), bytes, MACs.</summary>
        public sealed class Figures
        {
            public string Network, Engine;
            /// <summary>Steps per CPU second from the median repeat (what the table prints).</summary>
            public double PredictPerSecond, TrainPerSecond;
            /// <summary>CPU microseconds per prediction and per training sample: fastest and median repeat.</summary>
            public double PredictUsMin, PredictUsMedian, TrainUsMin, TrainUsMedian;
            public int Repeats;
            public long StateBytes, MacsPerPredict, MacsPerTrainSample;
        }

        /// <summary>How long each figure is measured: CPU seconds of warm-up (not recorded), then Repeats runs of Seconds / Repeats each.</summary>
        public sealed class Settings
        {
            public double Seconds = 0.5;
            public double WarmupSeconds = 0.1;
            public int Repeats = 5;
        }

        public static Command Create(CliContext context)
        {
            var sizes = new Option<string[]>("--sizes") { Description = "MLP layer sizes to benchmark, e.g. 784,64,10 (repeatable). Default: the sensor model 6,16,2 and MNIST 784,64,10." };
            var model = new Option<string>("--model", "-m") { Description = "Benchmark this model file (TinTin.Core.ModelFile) instead." };
            var seconds = new Option<double>("--seconds") { Description = "Time per measurement.", DefaultValueFactory = _ => 0.5 };
            var noFloat = new Option<bool>("--integer-only") { Description = "Skip the float32 reference." };
            var mode = new Option<string>("--mode") { Description = "Training-state modes of the integer engine, one row each: " + TrainingStateModeNames.List + ", a comma list, or all (default)." };
            var repeats = new Option<int>("--repeats") { Description = "Timed repeats per figure (min and median reported), after a warm-up.", DefaultValueFactory = _ => 5 };
            var warmup = new Option<double>("--warmup") { Description = "CPU seconds of warm-up per figure before the repeats (JIT, caches).", DefaultValueFactory = _ => 0.1 };
            var json = new Option<bool>("--json") { Description = "Print one JSON object on standard output (results: one row per engine with state_bytes, MACs, CPU µs min/median); the table goes to standard error." };
            var on = new Option<string>("--on") { Description = "host (this PC's .NET, default) or nanoclr: the firmware on the replay inside the nanoFramework interpreter (instructions per prediction/update with valgrind callgrind, wall time, smallest heap).", DefaultValueFactory = _ => "host" };
            var samples = new Option<int>("--samples") { Description = "--on nanoclr: rows of the shorter callgrind run of the firmware loop (the longer has twice as many).", DefaultValueFactory = _ => 100 };
            var engineSteps = new Option<int>("--engine-steps") { Description = "--on nanoclr: steps of the shorter callgrind run of the engine alone.", DefaultValueFactory = _ => 100 };
            var wallSamples = new Option<int>("--wall-samples") { Description = "--on nanoclr: rows of the shorter wall-time run.", DefaultValueFactory = _ => 500 };
            var heapSamples = new Option<int>("--heap-samples") { Description = "--on nanoclr: rows of the run whose smallest heap is searched (0: skip the search).", DefaultValueFactory = _ => 2000 };
            var noValgrind = new Option<bool>("--no-callgrind") { Description = "--on nanoclr: skip the instruction counts (no valgrind)." };
            var benchBoard = new Option<string>("--board") { Description = "--on nanoclr: the board profile the firmware runs as (its budget sizes the training arena): esp32-devkit (default), esp32c3-devkit or nucleo-f429zi.", DefaultValueFactory = _ => "esp32-devkit" };
            var learner = new Option<string>("--learner") { Description = "--on nanoclr: the engine-alone runs' opt-in selection settings, a comma list of priced (ContinualConfig.PricedFill), update (ScoreFromUpdates), mixed (ScoreRecentOnly off: every batch sample scored) and freshN (FreshReselectEveryUpdates, default 1; 0: accumulate only). With --model and --board esp32c3-devkit the selection binds." };
            var engineOnly = new Option<bool>("--engine-only") { Description = "--on nanoclr: only the engine-alone instruction counts (no firmware loop, wall time or heap runs)." };
            var heapStep = new Option<int>("--heap-step") { Description = "--on nanoclr: resolution of the smallest-heap bisection in bytes.", DefaultValueFactory = _ => 512 };
            var command = new Command("bench",
                "Benchmark the integer engine beside the float32 reference on this PC.\n" +
                "Benchmark the integer engine on this PC beside the float32 reference (TinTin.Reference.FloatMlp): samples/s for\n" +
                "prediction and for training (forward + backward + step every 16 samples) per CPU second of the measuring thread,\n" +
                "after a warm-up, over --repeats runs (fastest and median), state bytes, MACs per sample.\n" +
                "Host figures: a board's interpreter is orders of magnitude slower; MACs and bytes carry over exactly.\n" +
                "With --on nanoclr: the firmware on the replay inside the nanoFramework interpreter: native instructions per\n" +
                "prediction and per update (valgrind callgrind, two run lengths subtracted), wall time per step, the smallest\n" +
                "nanoclr32 heap that completes a run, and the firmware's free-heap figure at ESP32 and ESP32-C3 heaps.\n" +
                "--json prints one JSON object (results: [{engine, state_bytes, ...}]) on standard output, with --on nanoclr too.\n" +
                "Examples: tintin bench;  tintin bench --sizes 784,128,10 --seconds 2 --repeats 9;  tintin bench --model mnist.ttm --json\n" +
                "          tintin bench --on nanoclr;  tintin bench --on nanoclr --samples 100 --wall-samples 200 --heap-samples 0\n" +
                "Exit codes: 0 ok, 1 usage, 2 model file missing or invalid, 3 the firmware stopped inside nanoCLR, 4 no runtime, board build or valgrind.");
            command.Options.Add(sizes);
            command.Options.Add(model);
            command.Options.Add(seconds);
            command.Options.Add(noFloat);
            command.Options.Add(mode);
            command.Options.Add(repeats);
            command.Options.Add(warmup);
            command.Options.Add(json);
            foreach (Option o in new Option[] { on, samples, engineSteps, wallSamples, heapSamples, noValgrind, benchBoard, heapStep, learner, engineOnly }) command.Options.Add(o);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                string where = (parse.GetValue(on) ?? "host").ToLowerInvariant();
                if (where == "nanoclr")
                {
                    var nano = new TinTin.VirtualBoard.NanoBenchOptions
                    {
                        Samples = parse.GetValue(samples), EngineSteps = parse.GetValue(engineSteps), WallSamples = parse.GetValue(wallSamples), HeapSamples = parse.GetValue(heapSamples),
                        SkipInstructions = parse.GetValue(noValgrind), Board = parse.GetValue(benchBoard),
                        HeapStep = parse.GetValue(heapStep) >= 16 ? parse.GetValue(heapStep) : throw CliException.Usage("--heap-step must be at least 16 bytes"),
                        EngineOnly = parse.GetValue(engineOnly),
                        Model = parse.GetValue(model) != null ? SimulateCommand.ModelFromFile(parse.GetValue(model)) : null,
                    };
                    try { nano.ParseLearner(parse.GetValue(learner)); }
                    catch (ArgumentException e) { throw CliException.Usage(e.Message); }
                    if (nano.EngineOnly && nano.SkipInstructions) throw CliException.Usage("--engine-only measures instructions: leave out --no-callgrind");
                    return NanoBenchCommand.Run(context, nano, parse.GetValue(json));
                }
                if (where != "host") throw CliException.Usage("--on must be host or nanoclr, not '" + where + "'");
                var settings = new Settings { Seconds = parse.GetValue(seconds), WarmupSeconds = parse.GetValue(warmup), Repeats = parse.GetValue(repeats) };
                return Run(context, parse.GetValue(sizes), parse.GetValue(model), settings, !parse.GetValue(noFloat), parse.GetValue(json),
                    TrainCommand.ParseModes(parse.GetValue(mode)));
            }));
            return command;
        }

        public static int Run(CliContext context, string[] sizeSpecs, string modelPath, double seconds, bool withFloat) =>
            Run(context, sizeSpecs, modelPath, new Settings { Seconds = seconds }, withFloat, false, TrainingStateModeNames.All);

        public static int Run(CliContext context, string[] sizeSpecs, string modelPath, Settings settings, bool withFloat, bool json, TrainingStateMode[] modes)
        {
            if (settings.Seconds <= 0 || settings.Seconds > 600) throw CliException.Usage("--seconds must be above 0 and at most 600");
            if (settings.Repeats < 1 || settings.Repeats > 1000) throw CliException.Usage("--repeats must be 1..1000");
            if (settings.WarmupSeconds < 0 || settings.WarmupSeconds > 600) throw CliException.Usage("--warmup must be 0..600 seconds");
            CliContext output = context;
            if (json) context = new CliContext(context.Error, context.Error, context.In, false, context.Cancel); // human text to stderr
            var networks = new List<(string Name, Func<TrainingStateMode, Network> Make)>();
            if (modelPath != null)
            {
                byte[] bytes = TinTin.Reference.InputFiles.ReadAllBytes(modelPath, TinTin.Reference.InputFiles.MaxModelBytes, "model file");
                Model loaded = ModelFile.Load(bytes, bytes.Length, -1, false); // ModelFormatException → exit 2 with its message
                string name = Path.GetFileName(modelPath) + " (" + Architecture(loaded.Network) + ")";
                networks.Add((name, m => ModelFile.Load(bytes, bytes.Length, -1, false, ModelFile.DefaultMaxBytes, m).Network));
            }
            else
            {
                if (sizeSpecs == null || sizeSpecs.Length == 0) sizeSpecs = new[] { "6,16,2", "784,64,10" };
                foreach (string spec in sizeSpecs)
                {
                    int[] sizes = spec.Split(',', StringSplitOptions.TrimEntries).Select(t =>
                        int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 && v <= 4096 ? v
                        : throw CliException.Usage("--sizes: '" + spec + "' is not a list of layer sizes like 784,64,10")).ToArray();
                    if (sizes.Length < 2) throw CliException.Usage("--sizes: '" + spec + "' needs an input size and at least one layer");
                    networks.Add(("MLP " + string.Join("-", sizes), m => Network.CreateMlp(sizes, 1, -1, false, m)));
                }
            }

            var results = new List<Figures>();
            foreach (var (name, make) in networks)
            {
                QDataset data = null;
                foreach (TrainingStateMode m in modes)
                {
                    Network network;
                    try { network = make(m); }
                    catch (Exception e) when (e is ArgumentException || e is ModelFormatException) // a lean mode refuses what it cannot hold (Conv1D): say so, measure the rest
                    {
                        context.Out.WriteLine(name + ", integer " + TrainingStateModeNames.Name(m) + ": not measured: " + e.Message);
                        continue;
                    }
                    network.SetAllTrainable(true);
                    data ??= RandomData(network, 64);
                    results.Add(MeasureInteger(name, "integer " + TrainingStateModeNames.Name(m), network, data, settings, context));
                }
                if (withFloat)
                {
                    Network shape = make(TrainingStateMode.GradientArena);
                    results.Add(MeasureFloat(name, shape, data ?? RandomData(shape, 64), settings, context));
                }
            }

            var table = new Table().Border(TableBorder.Rounded).Title("[bold]engine benchmark[/] (this PC, " + CpuClock.Kind + " CPU time: "
                + settings.WarmupSeconds.ToString(CultureInfo.InvariantCulture) + " s warm-up, then " + settings.Repeats + " × "
                + (settings.Seconds / settings.Repeats).ToString("0.###", CultureInfo.InvariantCulture) + " s per figure)");
            foreach (string column in new[] { "network", "engine" }) table.AddColumn(column);
            foreach (string column in new[] { "predict / s", "train samples / s", "state bytes", "MACs / predict", "MACs / train sample" })
                table.AddColumn(new TableColumn(column).RightAligned());
            foreach (Figures f in results)
                table.AddRow(Markup.Escape(f.Network), f.Engine, N(f.PredictPerSecond), N(f.TrainPerSecond), N(f.StateBytes), N(f.MacsPerPredict), N(f.MacsPerTrainSample));
            context.Console.Write(table);
            foreach (Figures f in results)
                context.Out.WriteLine(f.Network + ", " + f.Engine + ": CPU µs per prediction " + Us(f.PredictUsMin) + " fastest, " + Us(f.PredictUsMedian)
                    + " median; per training sample " + Us(f.TrainUsMin) + " fastest, " + Us(f.TrainUsMedian) + " median (" + f.Repeats + " repeats)");
            context.Out.WriteLine("rates from the median repeat; state bytes: integer = every buffer of the engine with all channels trainable (Network.TotalMemoryBytes);"
                + " float32 = weights, gradients and activations of the reference at 4 bytes each.");
            if (!withFloat) context.Out.WriteLine("float32 reference skipped (--integer-only).");
            if (json)
            {
                Dictionary<string, object> report = JsonReport.For("bench", null);
                report["on"] = "host";
                report["clock"] = CpuClock.Kind + " CPU time";
                report["warmup_seconds"] = settings.WarmupSeconds;
                report["repeats"] = settings.Repeats;
                report["seconds_per_figure"] = settings.Seconds;
                report["results"] = results.Select(JsonRow).ToArray();
                JsonReport.WriteLine(output.Out, report);
            }
            return ExitCodes.Ok;
        }

        /// <summary>One `results` element of `bench --json` (the lean training-state rows use it too).</summary>
        public static Dictionary<string, object> JsonRow(Figures f) => new Dictionary<string, object>
        {
            ["network"] = f.Network,
            ["engine"] = f.Engine,
            ["state_bytes"] = f.StateBytes,
            ["macs_per_predict"] = f.MacsPerPredict,
            ["macs_per_train_sample"] = f.MacsPerTrainSample,
            ["repeats"] = f.Repeats,
            ["predict_us_min"] = f.PredictUsMin,
            ["predict_us_median"] = f.PredictUsMedian,
            ["predict_per_cpu_second"] = f.PredictPerSecond,
            ["train_sample_us_min"] = f.TrainUsMin,
            ["train_sample_us_median"] = f.TrainUsMedian,
            ["train_samples_per_cpu_second"] = f.TrainPerSecond,
        };

        private static string Architecture(Network network) =>
            string.Join("-", new[] { network.InputLength }.Concat(network.Layers.OfType<DenseLayer>().Select(d => d.OutputLength)));

        private static QDataset RandomData(Network network, int count)
        {
            var random = new Random(7);
            var inputs = new sbyte[count][];
            var labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                inputs[i] = new sbyte[network.InputLength];
                for (int j = 0; j < inputs[i].Length; j++) inputs[i][j] = (sbyte)random.Next(-64, 64);
                labels[i] = random.Next(network.ClassCount);
            }
            return new QDataset(inputs, -6, labels, network.ClassCount);
        }

        /// <summary>
        /// CPU microseconds per step: runs batches of 64 steps for settings.WarmupSeconds of CPU time
        /// (not recorded), then settings.Repeats timed runs of Seconds / 2 / Repeats each (a figure
        /// pair — predict, train — shares Seconds). Returns (fastest, median) µs per step.
        /// </summary>
        public static (double MinUs, double MedianUs) Time(Settings settings, CliContext context, Action<int> step)
        {
            long done = 0;
            void RunFor(double cpuSeconds, out long steps, out double used)
            {
                double start = CpuClock.Seconds();
                steps = 0;
                do
                {
                    context.Cancel.ThrowIfCancellationRequested();
                    for (int k = 0; k < 64; k++) step((int)(done++ & 63));
                    steps += 64;
                    used = CpuClock.Seconds() - start;
                }
                while (used < cpuSeconds);
            }
            if (settings.WarmupSeconds > 0) RunFor(settings.WarmupSeconds, out _, out _);
            var perStep = new double[settings.Repeats];
            for (int r = 0; r < settings.Repeats; r++)
            {
                RunFor(settings.Seconds / 2 / settings.Repeats, out long steps, out double used);
                perStep[r] = used * 1e6 / steps;
            }
            Array.Sort(perStep);
            int n = perStep.Length;
            double median = n % 2 == 1 ? perStep[n / 2] : (perStep[n / 2 - 1] + perStep[n / 2]) / 2;
            return (perStep[0], median);
        }

        public static Figures MeasureInteger(string name, Network network, QDataset data, double seconds, CliContext context) =>
            MeasureInteger(name, "integer arena", network, data, new Settings { Seconds = seconds }, context);

        public static Figures MeasureInteger(string name, Network network, QDataset data, Settings settings, CliContext context) =>
            MeasureInteger(name, "integer arena", network, data, settings, context);

        /// <summary>An integer-engine row: engine names the training-state mode; state bytes are the network's own accounting.</summary>
        public static Figures MeasureInteger(string name, string engine, Network network, QDataset data, Settings settings, CliContext context)
        {
            ShiftSum lr = ShiftSum.FromRatio(1, 16 * 16, 4);
            network.SetLearningRate(lr); // the fused modes apply it per sample; the arena mode at Step
            int batch = 0;
            var predict = Time(settings, context, i => { data.Load(i, network.Input); network.Predict(); });
            var train = Time(settings, context, i =>
            {
                data.Load(i, network.Input);
                network.TrainSample(data.Labels[i]);
                if (++batch == 16) { network.Step(lr, null); batch = 0; }
            });
            return new Figures
            {
                Network = name, Engine = engine, Repeats = settings.Repeats,
                PredictUsMin = predict.MinUs, PredictUsMedian = predict.MedianUs, PredictPerSecond = 1e6 / predict.MedianUs,
                TrainUsMin = train.MinUs, TrainUsMedian = train.MedianUs, TrainPerSecond = 1e6 / train.MedianUs,
                StateBytes = network.TotalMemoryBytes(), MacsPerPredict = network.ForwardMacs(),
                MacsPerTrainSample = network.ForwardMacs() + network.BackwardMacs(),
            };
        }

        public static Figures MeasureFloat(string name, Network shape, QDataset data, double seconds, CliContext context) =>
            MeasureFloat(name, shape, data, new Settings { Seconds = seconds }, context);

        public static Figures MeasureFloat(string name, Network shape, QDataset data, Settings settings, CliContext context)
        {
            var model = new FloatMlp(shape);
            int batch = 0;
            var predict = Time(settings, context, i => { model.LoadInput(data, i); model.Predict(); });
            var train = Time(settings, context, i =>
            {
                model.LoadInput(data, i);
                model.Forward();
                model.Backward(data.Labels[i]);
                if (++batch == 16) { model.Step(1.0 / 256, 0); batch = 0; }
            });
            shape.SetAllTrainable(true);
            return new Figures
            {
                Network = name, Engine = "float32 reference", Repeats = settings.Repeats,
                PredictUsMin = predict.MinUs, PredictUsMedian = predict.MedianUs, PredictPerSecond = 1e6 / predict.MedianUs,
                TrainUsMin = train.MinUs, TrainUsMedian = train.MedianUs, TrainPerSecond = 1e6 / train.MedianUs,
                StateBytes = EngineComparison.FloatStateBytes(shape), MacsPerPredict = shape.ForwardMacs(),
                MacsPerTrainSample = shape.ForwardMacs() + shape.BackwardMacs(),
            };
        }

        private static string Us(double v) => v.ToString(v < 10 ? "0.00" : (v < 100 ? "0.0" : "N0"), CultureInfo.InvariantCulture);

        private static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
    }
}
