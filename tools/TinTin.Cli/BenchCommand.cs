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
        public sealed class Figures
        {
            public string Network, Engine;
            public double PredictPerSecond, TrainPerSecond;
            public long StateBytes, MacsPerPredict, MacsPerTrainSample;
        }

        public static Command Create(CliContext context)
        {
            var sizes = new Option<string[]>("--sizes") { Description = "MLP layer sizes to benchmark, e.g. 784,64,10 (repeatable). Default: the sensor model 6,16,2 and MNIST 784,64,10." };
            var model = new Option<string>("--model", "-m") { Description = "Benchmark this model file (TinTin.Core.ModelFile) instead." };
            var seconds = new Option<double>("--seconds") { Description = "Time per measurement.", DefaultValueFactory = _ => 0.5 };
            var noFloat = new Option<bool>("--integer-only") { Description = "Skip the float32 reference." };
            var on = new Option<string>("--on") { Description = "host (this PC's .NET, default) or nanoclr: the firmware on the replay inside the nanoFramework interpreter (instructions per prediction/update with valgrind callgrind, wall time, smallest heap).", DefaultValueFactory = _ => "host" };
            var samples = new Option<int>("--samples") { Description = "--on nanoclr: rows of the shorter callgrind run of the firmware loop (the longer has twice as many).", DefaultValueFactory = _ => 100 };
            var engineSteps = new Option<int>("--engine-steps") { Description = "--on nanoclr: steps of the shorter callgrind run of the engine alone.", DefaultValueFactory = _ => 100 };
            var wallSamples = new Option<int>("--wall-samples") { Description = "--on nanoclr: rows of the shorter wall-time run.", DefaultValueFactory = _ => 500 };
            var heapSamples = new Option<int>("--heap-samples") { Description = "--on nanoclr: rows of the run whose smallest heap is searched (0: skip the search).", DefaultValueFactory = _ => 2000 };
            var noValgrind = new Option<bool>("--no-callgrind") { Description = "--on nanoclr: skip the instruction counts (no valgrind)." };
            var command = new Command("bench",
                "Benchmark the integer engine beside the float32 reference on this PC.\n" +
                "Benchmark the integer engine on this PC beside the float32 reference (TinTin.Reference.FloatMlp): samples/s for\n" +
                "prediction and for training (forward + backward + step every 16 samples), state bytes, MACs per sample.\n" +
                "Host figures: a board's interpreter is orders of magnitude slower; MACs and bytes carry over exactly.\n" +
                "With --on nanoclr: the firmware on the replay inside the nanoFramework interpreter: native instructions per\n" +
                "prediction and per update (valgrind callgrind, two run lengths subtracted), wall time per step, the smallest\n" +
                "nanoclr32 heap that completes a run, and the firmware's free-heap figure at ESP32 and ESP32-C3 heaps.\n" +
                "Examples: tintin bench;  tintin bench --sizes 784,128,10 --seconds 2;  tintin bench --model mnist.ttm\n" +
                "          tintin bench --on nanoclr;  tintin bench --on nanoclr --samples 100 --wall-samples 200 --heap-samples 0\n" +
                "Exit codes: 0 ok, 1 usage, 2 model file missing or invalid, 3 the firmware stopped inside nanoCLR, 4 no runtime, board build or valgrind.");
            command.Options.Add(sizes);
            command.Options.Add(model);
            command.Options.Add(seconds);
            command.Options.Add(noFloat);
            foreach (Option o in new Option[] { on, samples, engineSteps, wallSamples, heapSamples, noValgrind }) command.Options.Add(o);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                string where = (parse.GetValue(on) ?? "host").ToLowerInvariant();
                if (where == "nanoclr")
                    return NanoBenchCommand.Run(context, new TinTin.VirtualBoard.NanoBenchOptions
                    {
                        Samples = parse.GetValue(samples), EngineSteps = parse.GetValue(engineSteps), WallSamples = parse.GetValue(wallSamples), HeapSamples = parse.GetValue(heapSamples),
                        SkipInstructions = parse.GetValue(noValgrind),
                    });
                if (where != "host") throw CliException.Usage("--on must be host or nanoclr, not '" + where + "'");
                return Run(context, parse.GetValue(sizes), parse.GetValue(model), parse.GetValue(seconds), !parse.GetValue(noFloat));
            }));
            return command;
        }

        public static int Run(CliContext context, string[] sizeSpecs, string modelPath, double seconds, bool withFloat)
        {
            if (seconds <= 0 || seconds > 600) throw CliException.Usage("--seconds must be above 0 and at most 600");
            var networks = new List<(string Name, Func<Network> Make)>();
            if (modelPath != null)
            {
                byte[] bytes = TinTin.Reference.InputFiles.ReadAllBytes(modelPath, TinTin.Reference.InputFiles.MaxModelBytes, "model file");
                Model loaded = ModelFile.Load(bytes, bytes.Length, -1, false); // ModelFormatException → exit 2 with its message
                string name = Path.GetFileName(modelPath) + " (" + Architecture(loaded.Network) + ")";
                networks.Add((name, () => ModelFile.Load(bytes, bytes.Length, -1, false).Network));
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
                    networks.Add(("MLP " + string.Join("-", sizes), () => Network.CreateMlp(sizes, 1, -1, false)));
                }
            }

            var results = new List<Figures>();
            foreach (var (name, make) in networks)
            {
                Network network = make();
                network.SetAllTrainable(true);
                QDataset data = RandomData(network, 64);
                results.Add(MeasureInteger(name, network, data, seconds, context));
                if (withFloat) results.Add(MeasureFloat(name, make(), data, seconds, context));
            }

            var table = new Table().Border(TableBorder.Rounded).Title("[bold]engine benchmark[/] (this PC, " + seconds.ToString(CultureInfo.InvariantCulture) + " s per figure)");
            foreach (string column in new[] { "network", "engine" }) table.AddColumn(column);
            foreach (string column in new[] { "predict / s", "train samples / s", "state bytes", "MACs / predict", "MACs / train sample" })
                table.AddColumn(new TableColumn(column).RightAligned());
            foreach (Figures f in results)
                table.AddRow(Markup.Escape(f.Network), f.Engine, N(f.PredictPerSecond), N(f.TrainPerSecond), N(f.StateBytes), N(f.MacsPerPredict), N(f.MacsPerTrainSample));
            context.Console.Write(table);
            context.Out.WriteLine("state bytes: integer = every buffer of the engine with all channels trainable (Network.DescribeMemory);"
                + " float32 = weights, gradients and activations of the reference at 4 bytes each.");
            if (!withFloat) context.Out.WriteLine("float32 reference skipped (--integer-only).");
            return ExitCodes.Ok;
        }

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

        private static double Rate(double seconds, CliContext context, Action<int> step)
        {
            var clock = Stopwatch.StartNew();
            long done = 0;
            double limit = seconds * 1000;
            while (clock.ElapsedMilliseconds < limit)
            {
                context.Cancel.ThrowIfCancellationRequested();
                for (int k = 0; k < 64; k++) step((int)(done++ & 63));
            }
            return done / clock.Elapsed.TotalSeconds;
        }

        public static Figures MeasureInteger(string name, Network network, QDataset data, double seconds, CliContext context)
        {
            ShiftSum lr = ShiftSum.FromRatio(1, 16 * 16, 4);
            int batch = 0;
            double predict = Rate(seconds / 2, context, i => { data.Load(i, network.Input); network.Predict(); });
            double train = Rate(seconds / 2, context, i =>
            {
                data.Load(i, network.Input);
                network.TrainSample(data.Labels[i]);
                if (++batch == 16) { network.Step(lr, null); batch = 0; }
            });
            return new Figures
            {
                Network = name, Engine = "integer (int8/int16/int32)", PredictPerSecond = predict, TrainPerSecond = train,
                StateBytes = network.DescribeMemory().TotalBytes, MacsPerPredict = network.ForwardMacs(),
                MacsPerTrainSample = network.ForwardMacs() + network.BackwardMacs(),
            };
        }

        public static Figures MeasureFloat(string name, Network shape, QDataset data, double seconds, CliContext context)
        {
            var model = new FloatMlp(shape);
            int batch = 0;
            double predict = Rate(seconds / 2, context, i => { model.LoadInput(data, i); model.Predict(); });
            double train = Rate(seconds / 2, context, i =>
            {
                model.LoadInput(data, i);
                model.Forward();
                model.Backward(data.Labels[i]);
                if (++batch == 16) { model.Step(1.0 / 256, 0); batch = 0; }
            });
            long parameters = shape.Layers.OfType<ParameterLayer>().Sum(p => (long)p.ParameterCount);
            long activations = shape.Activations.Sum(a => (long)a.Length);
            shape.SetAllTrainable(true);
            return new Figures
            {
                Network = name, Engine = "float32 reference", PredictPerSecond = predict, TrainPerSecond = train,
                StateBytes = 4 * (2 * parameters + 2 * activations), MacsPerPredict = shape.ForwardMacs(),
                MacsPerTrainSample = shape.ForwardMacs() + shape.BackwardMacs(),
            };
        }

        private static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
    }
}
