using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using Spectre.Console;
using TinTin.Core;
using TinTin.Reference;
using TinTin.Sensors;
using TinTin.VirtualBoard;

namespace TinTin.Cli
{
    /// <summary>`tintin prepare`: train a model on the PC, export it (and the firmware's embedded default), print its memory plan.</summary>
    public static class PrepareCommand
    {
        public sealed class PrepareSettings
        {
            public string Mnist;
            public int TrainLimit, TestLimit;
            public string Csv, TestCsv;
            public double Split = 0.8;
            public string[] Features;
            public string Label = "Occupancy";
            public string TimeColumn = "date";
            public string[] BoardFeatures;
            public int Window = 8;
            public string TemperatureColumn = "Temperature", HumidityColumn = "Humidity", PressureColumn;
            public string Embed;
            public string Name;
            public int[] Hidden = { 16 };
            public int Epochs = 3, Batch = 16;
            public string LearningRate = "1/16", Momentum = "0";
            public int HalveRateEvery;
            public uint Seed = 1;
            public string Out = "model.ttm";
            public string[] Boards;
            public bool RequireFit;
            // reading any recording (issue 13)
            public bool NoHeader;
            public string TimeFormat = "iso", Group, Missing = "error", LabelMap;
            public int Classes;
            public bool Json;
            /// <summary>The options written on the command line (not defaults), to refuse those a path would ignore.</summary>
            public HashSet<string> Given = new HashSet<string>();

            public CsvOptions CsvOptions()
                => TinTin.Reference.CsvOptions.FromFlags(TimeColumn, NoHeader, TimeFormat, Group, Missing);

            public LabelSpec Labels() => new LabelSpec { Column = Label, Map = LabelSpec.ParseMap(LabelMap), Classes = Classes };
        }

        public static Command Create(CliContext context)
        {
            var mnist = new Option<string>("--mnist") { Description = "Folder with MNIST-format IDX files (MNIST, Fashion-MNIST): train-/t10k- images/labels, plain or .gz." };
            var trainLimit = new Option<int>("--train-limit") { Description = "MNIST: use the first N training images (0: all 60000)." };
            var testLimit = new Option<int>("--test-limit") { Description = "MNIST: evaluate on the first N test images (0: all)." };
            var csv = new Option<string>("--csv") { Description = "A CSV of sensor data with a header row (e.g. data/occupancy/datatraining.txt)." };
            var testCsv = new Option<string>("--test-csv") { Description = "CSV to evaluate on (same columns); without it the --csv rows are split in time order by --split." };
            var split = new Option<double>("--split") { Description = "Fraction of the --csv rows (in time order) to train on; the rest is the test set.", DefaultValueFactory = _ => 0.8 };
            var features = new Option<string>("--features") { Description = "CSV feature columns, comma separated (e.g. Temperature,Humidity,Light,CO2); values become fixed point ×100." };
            var label = new Option<string>("--label") { Description = "CSV label column: class numbers 0, 1, 2, …", DefaultValueFactory = _ => "Occupancy" };
            var time = new Option<string>("--time-column") { Description = "CSV timestamp column (yyyy-MM-dd HH:mm:ss), or 'none'.", DefaultValueFactory = _ => "date" };
            var boardFeatures = new Option<string>("--board-features") { Description = "Train on the features the firmware computes from temperature/humidity(/pressure) (TinTin.Sensors.FeatureSet names, comma separated, or 'default'); required for --embed." };
            var window = new Option<int>("--window") { Description = "--board-features: the pipeline's window in samples.", DefaultValueFactory = _ => 8 };
            var tempColumn = new Option<string>("--temperature-column") { Description = "--board-features: temperature column (°C).", DefaultValueFactory = _ => "Temperature" };
            var humColumn = new Option<string>("--humidity-column") { Description = "--board-features: relative humidity column (%).", DefaultValueFactory = _ => "Humidity" };
            var pressColumn = new Option<string>("--pressure-column") { Description = "--board-features: pressure column (Pa), if the data has one." };
            var embed = new Option<string>("--embed") { Description = "Also write the firmware's embedded default model as C# (the firmware's own generator; default path firmware/TinTin.Firmware/DefaultModel.g.cs when given as 'default')." };
            var name = new Option<string>("--name") { Description = "Model name the board reports in its hello line." };
            var hidden = new Option<string>("--hidden") { Description = "Hidden layer sizes, comma separated (e.g. 64 or 32,16).", DefaultValueFactory = _ => "16" };
            var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 3 };
            var batch = new Option<int>("--batch") { Description = "Samples per update (1–128).", DefaultValueFactory = _ => 16 };
            var lr = new Option<string>("--lr") { Description = "Learning rate as a ratio (integers only reach the engine), e.g. 1/16.", DefaultValueFactory = _ => "1/16" };
            var momentum = new Option<string>("--momentum") { Description = "Momentum as a ratio, e.g. 9/10; 0 for plain SGD.", DefaultValueFactory = _ => "0" };
            var halve = new Option<int>("--lr-halve-every") { Description = "Halve the learning rate every N epochs (0: constant); each halving is one more fraction bit of the same shift sum." };
            var seed = new Option<uint>("--seed") { Description = "Initialisation and shuffling seed (same seed, same model bytes).", DefaultValueFactory = _ => 1u };
            var output = new Option<string>("--out", "-o") { Description = "Model file to write (TinTin.Core.ModelFile format).", DefaultValueFactory = _ => "model.ttm" };
            var boards = new Option<string>("--boards") { Description = "Board profiles to check the memory plan against: esp32, esp32c3, stm32f429 (comma separated; default all)." };
            var requireFit = new Option<bool>("--require-fit") { Description = "Exit with code 5 when the full update does not fit a board's sparse-update budget (the board would train sparsely)." };
            var noHeader = new Option<bool>("--no-header") { Description = "The CSV has no header line: columns are c1..cN." };
            var timeFormat = new Option<string>("--time-format") { Description = "iso (default), epoch-ms, epoch-s, or a .NET format such as dd-MM-yyyy HH:mm:ss. --time-column DATE,TIME joins two columns.", DefaultValueFactory = _ => "iso" };
            var group = new Option<string>("--group") { Description = "Column naming the sensor node of each row: windows and differences are per node." };
            var missing = new Option<string>("--missing") { Description = "Empty/NA cells in a used column: error (default), skip the row, or previous (the node's last value).", DefaultValueFactory = _ => "error" };
            var labelMap = new Option<string>("--label-map") { Description = "Raw label → class, e.g. 0=0,1=1,2=1 (occupants → occupied) or empty=0,busy=1." };
            var classes = new Option<int>("--classes") { Description = "Number of classes (default: from the training labels; needed above 64 or for a test class the training rows lack)." };
            var json = new Option<bool>("--json") { Description = "Print one JSON object (test_accuracy, balanced_accuracy, majority, per_class_recall, confusion, …) on standard output; the rest goes to standard error." };
            tempColumn.Aliases.Add("--temperature");
            humColumn.Aliases.Add("--humidity");
            pressColumn.Aliases.Add("--pressure");

            var command = new Command("prepare",
                "Train a model on the PC, evaluate it, write the model file and print its memory plan against the boards.\n" +
                "Train a model on the PC (integer engine, progress bar), evaluate it, write the model file and optionally\n" +
                "the firmware's embedded default (C#), and print its memory plan buffer by buffer and, per board profile, the firmware's\n" +
                "split of the heap: reserve, static bytes, sparse-update budget, engine, emulated free heap (payload bytes, what\n" +
                "`tintin simulate --board B` prints; only the inference-only column adds 16 B per array header).\n" +
                "Data: --mnist DIR (images), or --csv FILE with --features COLS --label COL (any sensor CSV), or\n" +
                "--csv FILE --board-features NAMES (the firmware's own feature pipeline; needed for --embed).\n" +
                "Examples:\n" +
                "  tintin prepare --mnist data/mnist --train-limit 10000 --hidden 64 --out mnist.ttm\n" +
                "  tintin prepare --csv data/occupancy/datatraining.txt --features Temperature,Humidity,Light,CO2 --label Occupancy --test-csv data/occupancy/datatest.txt\n" +
                "  tintin prepare --csv data/occupancy/datatraining.txt --board-features default --embed default --out occupancy.ttm\n" +
                "Exit codes: 0 ok, 1 usage, 2 data missing or malformed, 5 does not fit (--require-fit).");
            foreach (Option o in new Option[] { mnist, trainLimit, testLimit, csv, testCsv, split, features, label, time, boardFeatures, window, tempColumn, humColumn, pressColumn, embed, name, hidden, epochs, batch, lr, momentum, halve, seed, output, boards, requireFit, noHeader, timeFormat, group, missing, labelMap, classes, json })
                command.Options.Add(o);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                var s = new PrepareSettings
                {
                    Mnist = parse.GetValue(mnist), TrainLimit = parse.GetValue(trainLimit), TestLimit = parse.GetValue(testLimit),
                    Csv = parse.GetValue(csv), TestCsv = parse.GetValue(testCsv), Split = parse.GetValue(split),
                    Features = List(parse.GetValue(features)), Label = parse.GetValue(label), TimeColumn = parse.GetValue(time),
                    BoardFeatures = List(parse.GetValue(boardFeatures)), Window = parse.GetValue(window),
                    TemperatureColumn = parse.GetValue(tempColumn), HumidityColumn = parse.GetValue(humColumn), PressureColumn = parse.GetValue(pressColumn),
                    Embed = parse.GetValue(embed), Name = parse.GetValue(name),
                    Hidden = Sizes(parse.GetValue(hidden)), Epochs = parse.GetValue(epochs), Batch = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr), Momentum = parse.GetValue(momentum), HalveRateEvery = parse.GetValue(halve), Seed = parse.GetValue(seed),
                    Out = parse.GetValue(output), Boards = List(parse.GetValue(boards)), RequireFit = parse.GetValue(requireFit),
                    NoHeader = parse.GetValue(noHeader), TimeFormat = parse.GetValue(timeFormat), Group = parse.GetValue(group), Missing = parse.GetValue(missing),
                    LabelMap = parse.GetValue(labelMap), Classes = parse.GetValue(classes), Json = parse.GetValue(json),
                };
                foreach (Option o in command.Options)
                    if (TinTinCli.Given(parse, o)) s.Given.Add(o.Name);
                return Run(context, s);
            }));
            return command;
        }

        private static string[] List(string text) =>
            string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        private static int[] Sizes(string text)
        {
            if (string.IsNullOrWhiteSpace(text) || text.Trim() == "0" || text.Trim() == "none") return Array.Empty<int>();
            return List(text).Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 && v <= 4096
                ? v : throw CliException.Usage("--hidden: '" + t + "' is not a layer size (1–4096)")).ToArray();
        }

        /// <summary>"1/16" → (1, 16); "0" → (0, 1).</summary>
        internal static (int Numerator, int Denominator) Ratio(string text, string option, bool allowZero)
        {
            text = (text ?? "").Trim();
            if (allowZero && text == "0") return (0, 1);
            string[] parts = text.Split('/');
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int d) && d > 0 && (n > 0 || allowZero))
                return (n, d);
            throw CliException.Usage(option + ": '" + text + "' is not a ratio like 1/16");
        }

        /// <summary>Options the --board-features path (ModelPreparation) has no use for: given, they would silently change nothing.</summary>
        private static readonly string[] BoardPathIgnores = { "--split", "--momentum", "--lr-halve-every", "--train-limit", "--test-limit", "--classes" };

        public static int Run(CliContext context, PrepareSettings s)
        {
            CliContext output = context;
            if (s.Json) context = new CliContext(context.Error, context.Error, context.In, false, context.Cancel); // human text to stderr
            try { s.CsvOptions().Validate(); LabelSpec.ParseMap(s.LabelMap); }
            catch (ArgumentException e) { throw CliException.Usage(e.Message); }
            if (s.Classes < 0 || s.Classes > 4096) throw CliException.Usage("--classes must be 1 to 4096");
            int sources = (s.Mnist != null ? 1 : 0) + (s.Csv != null ? 1 : 0);
            if (sources != 1) throw CliException.Usage("give the training data: --mnist FOLDER or --csv FILE (one of them)");
            if (s.Csv != null && (s.Features == null) == (s.BoardFeatures == null))
                throw CliException.Usage("with --csv give either --features COLUMNS (any sensor columns) or --board-features NAMES (the firmware's features)");
            if (s.BoardFeatures != null)
                foreach (string ignored in BoardPathIgnores)
                    if (s.Given.Contains(ignored))
                        throw CliException.Usage(ignored + " does not apply with --board-features: the firmware's model trains on every --csv row "
                            + "with plain SGD (cut the file to train on part of it; evaluate with --test-csv)");
            if (s.Embed != null && s.BoardFeatures == null)
                throw CliException.Usage("--embed writes the firmware's default model, which takes the firmware's features: use --csv with --board-features");
            if (s.Epochs < 1 || s.Epochs > 1000) throw CliException.Usage("--epochs must be 1 to 1000");
            if (s.HalveRateEvery < 0) throw CliException.Usage("--lr-halve-every must be 0 (constant) or a number of epochs");
            if (s.Out != null) TinTin.Reference.InputFiles.CheckOutput(s.Out, "--out");
            if (s.Batch < 1 || s.Batch > ParameterLayer.MaxAccumulatedSamples) throw CliException.Usage("--batch must be 1 to " + ParameterLayer.MaxAccumulatedSamples);
            if (s.Split <= 0 || s.Split >= 1) throw CliException.Usage("--split must be between 0 and 1 (e.g. 0.8)");
            var (lrNum, lrDen) = Ratio(s.LearningRate, "--lr", false);
            var (momNum, momDen) = Ratio(s.Momentum, "--momentum", true);
            if (momNum >= momDen && momNum != 0) throw CliException.Usage("--momentum must be below 1");
            DeviceProfile[] boards = MemoryReport.Boards(s.Boards);
            var train = new TrainOptions
            {
                Epochs = s.Epochs, BatchSize = s.Batch, LearningRateNumerator = lrNum, LearningRateDenominator = lrDen,
                MomentumNumerator = momNum, MomentumDenominator = momDen, ShuffleSeed = (int)s.Seed, HalveRateEvery = s.HalveRateEvery,
            };

            byte[] bytes;
            bool momentum = momNum != 0;
            ClassMetrics metrics = null;
            if (s.BoardFeatures != null) (bytes, metrics) = PrepareBoardModel(context, s, train);
            else
            {
                (QDataset trainSet, QDataset testSet, InputNormalizer normalizer, string description) = s.Mnist != null ? LoadMnist(s) : LoadCsv(s);
                context.Out.WriteLine(description);
                int[] sizes = new[] { trainSet.InputLength }.Concat(s.Hidden).Append(trainSet.ClassCount).ToArray();
                Network network = Network.CreateMlp(sizes, s.Seed, -1, momentum);
                network.SetAllTrainable(true);
                double loss = Train(context, network, trainSet, train, "training MLP " + string.Join("-", sizes));
                double trainAccuracy = Trainer.Accuracy(network, trainSet);
                metrics = Evaluate(network, testSet);
                double testAccuracy = metrics.Accuracy;
                context.Out.WriteLine("MLP " + string.Join("-", sizes) + ": last-epoch loss " + F(loss, 3) + " nats, accuracy train " + Pct(trainAccuracy)
                    + " (" + trainSet.Count + "), test " + Pct(testAccuracy) + " (" + testSet.Count + ")");
                context.Out.Write("test set:\n" + metrics.Format());
                network.SetAllTrainable(false);
                bytes = ModelFile.Save(new Model(network, normalizer));
            }

            WriteFile(s.Out, bytes);
            context.Out.WriteLine("wrote " + s.Out + " (" + bytes.Length + " bytes)");
            List<MemoryReport.Fit> fits = MemoryReport.Print(context.Console, bytes, momentum, boards);
            if (s.Json)
            {
                Dictionary<string, object> json = JsonReport.For("prepare", metrics);
                json["model"] = s.Out;
                json["model_bytes"] = bytes.Length;
                JsonReport.WriteLine(output.Out, json);
            }
            if (s.RequireFit && fits.Any(f => !f.TrainingFits))
            {
                context.Error.WriteLine("tintin: the full update does not fit the update budget on " + string.Join(", ", fits.Where(f => !f.TrainingFits).Select(f => f.Board.Name)));
                return ExitCodes.DoesNotFit;
            }
            return ExitCodes.Ok;
        }

        private static double Train(CliContext context, Network network, QDataset data, TrainOptions options, string title)
        {
            double loss = 0;
            context.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(progress =>
                {
                    ProgressTask task = progress.AddTask(Markup.Escape(title), maxValue: (double)options.Epochs * data.Count);
                    loss = Trainer.TrainInteger(network, data, options, (done, total) =>
                    {
                        context.Cancel.ThrowIfCancellationRequested();
                        task.Value = done;
                    });
                    task.Value = task.MaxValue;
                });
            return loss;
        }

        private static (QDataset, QDataset, InputNormalizer, string) LoadMnist(PrepareSettings s)
        {
            if (!Directory.Exists(s.Mnist)) throw CliException.Input("MNIST folder not found: " + s.Mnist);
            (ImageSet train, ImageSet test) = ImageSet.LoadFolder(s.Mnist, s.TrainLimit, s.TestLimit);
            return (train.Data, test.Data, null,
                "MNIST-format images from " + s.Mnist + ": " + train.Count + " training, " + test.Count + " test, " + train.Rows + "×" + train.Columns + " pixels");
        }

        private static (QDataset, QDataset, InputNormalizer, string) LoadCsv(PrepareSettings s)
        {
            SensorDataset trainData, testData;
            try { (trainData, testData) = SensorDataset.LoadSplit(s.Csv, s.TestCsv, s.Split, s.CsvOptions(), s.Features, s.Labels()); }
            catch (ArgumentException e) { throw CliException.Input(e.Message); }
            InputNormalizer normalizer = NormalizerFit.Fit(trainData.Raw, decimals: trainData.Decimals);
            return (QDataset.FromSensorRows(trainData, normalizer), QDataset.FromSensorRows(testData, normalizer), normalizer,
                "sensor CSV " + s.Csv + ": features " + string.Join(",", s.Features) + " (fixed point ×10^" + string.Join(",", trainData.Decimals) + "), label " + s.Label
                + ", " + trainData.ClassCount + " classes, " + trainData.Count + " training rows, " + testData.Count + " test rows"
                + (s.TestCsv != null ? " from " + s.TestCsv : " (time-ordered split at " + s.Split.ToString(CultureInfo.InvariantCulture) + ")"));
        }

        /// <summary>The firmware's path: features through TinTin.Sensors' pipeline, trained by the virtual board's ModelPreparation (which also writes DefaultModel.g.cs).</summary>
        /// <summary>The network's predictions on a labelled set, as metrics.</summary>
        internal static ClassMetrics Evaluate(Network network, QDataset data)
        {
            var metrics = new ClassMetrics(Math.Max(data.ClassCount, network.ClassCount));
            for (int i = 0; i < data.Count; i++)
            {
                data.Load(i, network.Input);
                metrics.Add(data.Labels[i], network.Predict());
            }
            return metrics;
        }

        private static (byte[], ClassMetrics) PrepareBoardModel(CliContext context, PrepareSettings s, TrainOptions train)
        {
            TinTin.Reference.InputFiles.CheckInput(s.Csv, TinTin.Reference.InputFiles.MaxDataBytes, "data file");
            int[] ids;
            try
            {
                ids = s.BoardFeatures.Length == 1 && s.BoardFeatures[0] == "default"
                    ? PrepareOptions.DefaultFeatureIds() : s.BoardFeatures.Select(FeatureSet.Parse).ToArray();
            }
            catch (ArgumentException e) { throw CliException.Usage("--board-features: " + e.Message); }
            var columns = new ReplayColumns
            {
                Time = s.TimeColumn == "none" ? null : s.TimeColumn, Temperature = s.TemperatureColumn, Humidity = s.HumidityColumn,
                Pressure = s.PressureColumn, Label = s.Label, LabelMap = LabelSpec.ParseMap(s.LabelMap), Csv = s.CsvOptions(),
            };
            var options = new PrepareOptions
            {
                TrainingPath = s.Csv, Columns = columns, FeatureIds = ids, WindowSamples = s.Window, Hidden = s.Hidden,
                Epochs = s.Epochs, BatchSize = s.Batch, LearningRateNumerator = train.LearningRateNumerator,
                LearningRateDenominator = train.LearningRateDenominator, Seed = s.Seed, ModelName = s.Name ?? "occupancy-th",
            };
            PreparedModel prepared = null;
            ClassMetrics metrics = null;
            try
            {
                context.Console.Status().Start("training on the firmware's features (" + string.Join(",", ids.Select(FeatureSet.Name)) + ") …", _ =>
                    prepared = ModelPreparation.Prepare(options, context.Out));
                if (s.TestCsv != null)
                {
                    TinTin.Reference.InputFiles.CheckInput(s.TestCsv, TinTin.Reference.InputFiles.MaxDataBytes, "data file");
                    (int[][] raw, int[] labels) = ModelPreparation.Features(s.TestCsv, columns, ids, s.Window);
                    Model model = ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false);
                    metrics = new ClassMetrics(model.Network.ClassCount);
                    for (int i = 0; i < raw.Length; i++)
                    {
                        if (labels[i] >= model.Network.ClassCount)
                            throw new ArgumentException(s.TestCsv + ": label " + labels[i] + " but the training data has only " + model.Network.ClassCount + " classes (map it with --label-map)");
                        model.Normalizer.Normalize(raw[i], model.Network.Input);
                        metrics.Add(labels[i], model.Network.Predict());
                    }
                    context.Out.WriteLine("test accuracy on " + s.TestCsv + ": " + Pct(metrics.Accuracy) + " (" + raw.Length + " rows)");
                    context.Out.Write(metrics.Format());
                }
            }
            catch (ArgumentException e) { throw CliException.Input(e.Message); }
            if (s.Embed != null)
            {
                string path = s.Embed == "default" ? null : s.Embed;
                try { context.Out.WriteLine("wrote " + ModelPreparation.WriteCSharp(prepared, path) + " (the firmware's embedded default model)"); }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { throw CliException.Input("cannot write " + (path ?? "DefaultModel.g.cs") + ": " + e.Message); }
            }
            return (prepared.Bytes, metrics);
        }

        private static void WriteFile(string path, byte[] bytes)
        {
            try
            {
                TinTin.Reference.InputFiles.CheckOutput(path, "output");
                string folder = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
                File.WriteAllBytes(path, bytes);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw CliException.Input("cannot write " + path + ": " + e.Message);
            }
        }

        private static string Pct(double v) => (v * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";
        private static string F(double v, int d) => v.ToString("F" + d, CultureInfo.InvariantCulture);
    }
}
