using System;
using System.Collections.Generic;
using System.Linq;
using TinTin.Core;
using TinTin.Reference;
using TinTin.Sensors;
using System.CommandLine;
using System.Globalization;
using System.IO;
using TinTin.VirtualBoard;

namespace TinTin.Cli
{
    /// <summary>`tintin simulate`: the firmware on the virtual board (tools/TinTin.VirtualBoard's VirtualBoardRunner).</summary>
    public static class SimulateCommand
    {
        public static Command Create(CliContext context)
        {
            var data = new Option<string>("--data") { Description = "Recorded CSV to replay (default: data/occupancy/datatest2.txt, a week with drift)." };
            var board = new Option<string>("--board") { Description = "esp32c3-devkit (default: 54 KB heap, the board whose budget binds first), esp32-devkit or nucleo-f429zi.", DefaultValueFactory = _ => "esp32c3-devkit" };
            var serial = new Option<string>("--serial") { Description = "Where the protocol lines go: '-' for this terminal, or a path (e.g. one end of a socat pty pair, so `tintin monitor` can attach to the other)." };
            var log = new Option<string>("--log", "-l") { Description = "Write every protocol line to this CSV, in the `tintin monitor --log` format (input for `tintin report`)." };
            var pred = new Option<bool>("--pred") { Description = "Also emit a `pred` line per sample." };
            var speed = new Option<double>("--speed") { Description = "Samples per second of wall time (0: as fast as possible)." };
            var labelFraction = new Option<double>("--label-fraction") { Description = "Fraction of samples the virtual person labels, as measured and printed (0–1; 0.03 with 5-minute presses is about 8 presses a day).", DefaultValueFactory = _ => 0.03 };
            var labelDelay = new Option<double>("--label-delay-s") { Description = "How late the person's press comes, in seconds.", DefaultValueFactory = _ => 120 };
            var serialLabels = new Option<bool>("--serial-labels") { Description = "Label with `label c s` commands instead of the button." };
            var flash = new Option<string>("--flash") { Description = "Folder of the file-backed flash (default: a fresh temp folder)." };
            var keepFlash = new Option<bool>("--keep-flash") { Description = "Boot from what --flash holds (resume) instead of erasing it." };
            var seed = new Option<int>("--seed") { Description = "The virtual person's seed.", DefaultValueFactory = _ => 1 };
            var maxSamples = new Option<int>("--max-samples", "-n") { Description = "Stop after this many rows (0: all)." };
            var commands = new Option<string[]>("--command", "-c") { Description = "A command the host sends before the first sample (repeatable), e.g. --command \"budget 4096\"." };
            var prepare = new Option<bool>("--prepare") { Description = "Train the default model afresh (data/occupancy/datatraining.txt) instead of the embedded one." };
            var on = new Option<string>("--on") { Description = "What runs the firmware: host (.NET, default) or nanoclr (the nanoFramework interpreter, NANO_RUNTIME or ../shared/nano-runtime; needs `dotnet build` first).", DefaultValueFactory = _ => "host" };
            var heap = new Option<int>("--heap") { Description = "With --on nanoclr: run nanoclr32 (a board's 12-byte heap blocks) with this managed heap in bytes, e.g. 113664 (ESP32) or 55296 (ESP32-C3)." };
            // any recording: which columns feed the firmware's own feature pipeline
            var temperature = new Option<string>("--temperature") { Description = "Temperature column (°C) of the recording.", DefaultValueFactory = _ => "Temperature" };
            var humidity = new Option<string>("--humidity") { Description = "Relative humidity column (%) of the recording.", DefaultValueFactory = _ => "Humidity" };
            var pressure = new Option<string>("--pressure") { Description = "Pressure column (Pa), if the recording has one (the model must use pressure features for it to matter)." };
            var label = new Option<string>("--label") { Description = "Label column the virtual person reads (class numbers, or mapped with --label-map).", DefaultValueFactory = _ => "Occupancy" };
            var labelMap = new Option<string>("--label-map") { Description = "Raw label → class, e.g. 0=0,1=1,2=1." };
            var time = new Option<string>("--time-column") { Description = "Timestamp column, DATE,TIME, or 'none' (rows one minute apart).", DefaultValueFactory = _ => "date" };
            var timeFormat = new Option<string>("--time-format") { Description = "iso (default), epoch-ms, epoch-s, or a .NET format such as dd-MM-yyyy HH:mm:ss.", DefaultValueFactory = _ => "iso" };
            var noHeader = new Option<bool>("--no-header") { Description = "The recording has no header line: columns are c1..cN." };
            var group = new Option<string>("--group") { Description = "Column naming the sensor node of each row (interleaved nodes); with --node, the board replays that node." };
            var node = new Option<string>("--node") { Description = "With --group: the node this board is (a value of the group column)." };
            var missing = new Option<string>("--missing") { Description = "Empty/NA cells: error (default), skip, or previous.", DefaultValueFactory = _ => "error" };
            var trainCsv = new Option<string>("--train-csv") { Description = "Prepare the board's default model on this recording (same columns and reading options) instead of the embedded one." };
            var mode = new Option<string>("--mode") { Description = "Training-state mode of the board's engine: " + TrainingStateModeNames.List + " (default: the board profile's)." };
            var modelFile = new Option<string>("--model") { Description = "Run this model file (`tintin prepare --board-features default ... --out FILE`) instead of the embedded one: it must take the firmware's default features." };
            var json = new Option<bool>("--json") { Description = "Print one JSON object (test_accuracy, balanced_accuracy, majority, per_class_recall, confusion of the adapting firmware; frozen and baselines) on standard output; the rest goes to standard error." };
            data.Aliases.Add("--csv");
            var command = new Command("simulate",
                "Run the firmware on the virtual board over a replayed real sensor stream.\n" +
                "Run the firmware on the virtual board: the same firmware code as the board, a replayed sensor stream,\n" +
                "a virtual person pressing the label button late, a simulated clock and file-backed flash. Prints what the\n" +
                "board learned (frozen vs adapting accuracy, updates, memory, MACs, energy).\n" +
                "Examples:\n" +
                "  tintin simulate --max-samples 2000 --log sim.csv && tintin report sim.csv\n" +
                "  socat -d -d pty,raw,echo=0,link=/tmp/tt/board pty,raw,echo=0,link=/tmp/tt/host &\n" +
                "  tintin simulate --serial /tmp/tt/board --speed 20 &  tintin monitor /tmp/tt/host\n" +
                "  tintin simulate --on nanoclr --max-samples 2000 --serial -     (the same firmware inside the nanoFramework interpreter)\n" +
                "  tintin simulate --on nanoclr --heap 55296 --max-samples 2000   (nanoclr32 with an ESP32-C3's heap)\n" +
                "  tintin simulate --csv logger.csv --time-column Date,Time --time-format \"dd-MM-yyyy HH:mm:ss\" --temperature temp_c --humidity rh\n" +
                "      --label occupants --label-map 0=0,1=1,2=1 --group node --node A --train-csv logger-january.csv   (your own recording)\n" +
                "Exit codes: 0 ok, 1 usage, 2 data or flash folder missing/malformed, 3 the firmware stopped inside nanoCLR,\n" +
                "4 no nanoFramework runtime or board build, 5 out of memory on nanoCLR.");
            foreach (Option o in new Option[] { data, board, serial, log, pred, speed, labelFraction, labelDelay, serialLabels, flash, keepFlash, seed, maxSamples, commands, prepare, on, heap,
                temperature, humidity, pressure, label, labelMap, time, timeFormat, noHeader, group, node, missing, trainCsv, mode, modelFile, json })
                command.Options.Add(o);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                var options = new VirtualBoardOptions
                {
                    DataPath = parse.GetValue(data), Board = parse.GetValue(board), SerialPath = parse.GetValue(serial),
                    PredLines = parse.GetValue(pred), Speed = parse.GetValue(speed), LabelFraction = parse.GetValue(labelFraction),
                    LabelDelayMs = (long)(parse.GetValue(labelDelay) * 1000), UseSerialLabels = parse.GetValue(serialLabels),
                    FlashFolder = parse.GetValue(flash), KeepFlash = parse.GetValue(keepFlash), Seed = parse.GetValue(seed),
                    MaxSamples = parse.GetValue(maxSamples), Commands = parse.GetValue(commands) ?? Array.Empty<string>(),
                    Cancel = context.Cancel,
                };
                string modeName = parse.GetValue(mode);
                if (modeName != null)
                {
                    if (!TrainingStateModeNames.TryParse(modeName.ToLowerInvariant(), out TrainingStateMode m))
                        throw CliException.Usage("--mode: '" + modeName + "' is not a training-state mode (" + TrainingStateModeNames.List + ")");
                    options.TrainingMode = m;
                }
                try
                {
                    CsvOptions csv = CsvOptions.FromFlags(parse.GetValue(time), parse.GetValue(noHeader), parse.GetValue(timeFormat), parse.GetValue(group), parse.GetValue(missing));
                    csv.Validate();
                    string timeColumn = parse.GetValue(time);
                    if (parse.GetValue(node) != null && parse.GetValue(group) == null) throw new ArgumentException("--node picks a node of the --group column: give --group COL too");
                    options.Columns = new ReplayColumns
                    {
                        Time = timeColumn == "none" ? null : timeColumn, Temperature = parse.GetValue(temperature), Humidity = parse.GetValue(humidity),
                        Pressure = parse.GetValue(pressure), Label = parse.GetValue(label), LabelMap = LabelSpec.ParseMap(parse.GetValue(labelMap)),
                        Csv = csv, Node = parse.GetValue(node),
                    };
                    foreach (string role in new[] { "temperature", "humidity", "label" })
                    {
                        string column = role == "temperature" ? options.Columns.Temperature : role == "humidity" ? options.Columns.Humidity : options.Columns.Label;
                        if (string.IsNullOrWhiteSpace(column)) throw new ArgumentException("--" + role + " names no column");
                    }
                }
                catch (ArgumentException e) { throw CliException.Usage(e.Message); }
                string modelPath = parse.GetValue(modelFile);
                if (modelPath != null)
                {
                    if (parse.GetValue(prepare) || parse.GetValue(trainCsv) != null) throw CliException.Usage("--model runs a prepared model: leave out --prepare and --train-csv");
                    options.Model = ModelFromFile(modelPath);
                }
                return Run(context, options, parse.GetValue(log), parse.GetValue(prepare), parse.GetValue(on), parse.GetValue(heap), parse.GetValue(trainCsv), parse.GetValue(json));
            }));
            return command;
        }

        /// <summary>A model file prepared on the firmware's default features (checked: it loads and takes as many inputs).</summary>
        public static PreparedModel ModelFromFile(string path)
        {
            TinTin.Reference.InputFiles.CheckInput(path, TinTin.Reference.InputFiles.MaxDataBytes, "--model file");
            byte[] bytes = File.ReadAllBytes(path);
            int[] features = TinTin.Firmware.DefaultModel.FeatureIds();
            TinTin.Core.Model model;
            try { model = TinTin.Core.ModelFile.Load(bytes, bytes.Length, -1, false); }
            catch (TinTin.Core.ModelFormatException e) { throw CliException.Input(path + ": not a model file: " + e.Message); }
            if (model.Network.InputLength != features.Length)
                throw CliException.Input(path + ": the model takes " + model.Network.InputLength + " inputs, the firmware's default features are " + features.Length + " (prepare it with --board-features default)");
            return VirtualBoardRunner.WithDefaultFeatures(bytes, path);
        }

        public static int Run(CliContext context, VirtualBoardOptions options, string logPath, bool prepare, string on = "host", int heapBytes = 0,
            string trainCsv = null, bool json = false)
        {
            CliContext output = context;
            if (json) context = new CliContext(context.Error, context.Error, context.In, false, context.Cancel); // human text to stderr
            if (json && (options.SerialPath == "-" || options.SerialPath == "stdout"))
                throw CliException.Usage("--json and --serial - both want standard output: write the serial lines to a file (--log) instead");
            if (trainCsv != null && prepare) throw CliException.Usage("--train-csv already prepares the model (on that file): leave out --prepare");
            on = (on ?? "host").ToLowerInvariant();
            if (on != "host" && on != "nanoclr") throw CliException.Usage("--on must be host or nanoclr, not '" + on + "'");
            bool nano = on == "nanoclr";
            if (heapBytes != 0 && !nano) throw CliException.Usage("--heap needs --on nanoclr (the host's heap is not a board's)");
            if (heapBytes < 0 || (nano && heapBytes != 0 && heapBytes < 8192)) throw CliException.Usage("--heap must be at least 8192 bytes");
            if (nano)
            {
                if (options.Speed > 0) throw CliException.Usage("--speed is not available with --on nanoclr (the interpreter runs as fast as it can)");
                if (options.TrainingMode != null) throw CliException.Usage("--mode is not available with --on nanoclr (the firmware there runs the board profile's own mode)");
                if (options.FlashFolder != null || options.KeepFlash) throw CliException.Usage("--flash/--keep-flash are not available with --on nanoclr (its flash is in RAM for the run)");
                if (options.SerialPath != null && options.SerialPath != "-" && options.SerialPath != "stdout")
                    throw CliException.Usage("--serial with --on nanoclr takes only '-' (the lines come out after the run)");
            }
            if (options.LabelFraction < 0 || options.LabelFraction > 1) throw CliException.Usage("--label-fraction must be in 0..1");
            if (options.Speed < 0) throw CliException.Usage("--speed must not be negative");
            if (options.MaxSamples < 0) throw CliException.Usage("--max-samples must not be negative");
            try { VirtualBoardRunner.BoardByName(options.Board); }
            catch (ArgumentException e) { throw CliException.Usage("--board: " + e.Message); }
            if (options.DataPath != null) TinTin.Reference.InputFiles.CheckInput(options.DataPath, TinTin.Reference.InputFiles.MaxDataBytes, "data file");
            if (trainCsv != null) TinTin.Reference.InputFiles.CheckInput(trainCsv, TinTin.Reference.InputFiles.MaxDataBytes, "--train-csv file");
            if (options.FlashFolder != null) TinTin.Reference.InputFiles.CheckFolder(options.FlashFolder, "--flash");
            if (logPath != null) TinTin.Reference.InputFiles.CheckOutput(logPath, "--log");
            if (options.KeepFlash && options.FlashFolder != null && !Directory.Exists(options.FlashFolder))
                throw CliException.Input("flash folder not found: " + options.FlashFolder + " (--keep-flash resumes from it)");
            bool serialHere = options.SerialPath == "-" || options.SerialPath == "stdout";
            TextWriter progress = serialHere ? context.Error : context.Out;
            options.CaptureSerial = logPath != null || serialHere;
            if (serialHere) options.SerialPath = null; // lines are captured and printed below, through our writer
            using MonitorLog log = logPath == null ? null : MonitorLog.Create(logPath);
            VirtualBoardSummary summary;
            try
            {
                if (prepare) options.Model = ModelPreparation.Prepare(new PrepareOptions(), progress);
                if (trainCsv != null)
                {
                    ReplayColumns c = options.Columns;
                    var all = new ReplayColumns // every node of the training file, each through its own pipeline
                    {
                        Time = c.Time, Temperature = c.Temperature, Humidity = c.Humidity, Pressure = c.Pressure, PressureToPa = c.PressureToPa,
                        Label = c.Label, LabelMap = c.LabelMap, Csv = c.Csv, IntervalMs = c.IntervalMs,
                    };
                    options.Model = ModelPreparation.Prepare(new PrepareOptions { TrainingPath = trainCsv, Columns = all, ModelName = "own-data" }, progress);
                }
                progress.WriteLine("virtual board: replaying " + (options.DataPath ?? "data/occupancy/datatest2.txt") + " on " + options.Board
                    + (options.SerialPath != null ? ", serial on " + options.SerialPath : ""));
                if (nano)
                {
                    try { summary = NanoReplay.Run(options, new NanoReplayOptions { HeapBytes = heapBytes }, progress).Summary; }
                    catch (NanoProgramException e) { throw new CliException(ExitCodes.NotAvailable, e.Message); }
                    catch (NanoRunFailedException e) when (e.Message.Contains("OutOfMemoryException", StringComparison.Ordinal))
                    { throw new CliException(ExitCodes.DoesNotFit, e.Message + (heapBytes > 0 ? " (heap " + heapBytes + " B)" : "")); }
                    catch (NanoRunFailedException e) { throw new CliException(ExitCodes.DeviceError, e.Message); }
                }
                else summary = VirtualBoardRunner.Run(options, progress);
            }
            catch (ArgumentException e) { throw CliException.Input(e.Message); }
            catch (FormatException e) { throw CliException.Input(e.Message); }
            catch (InvalidDataException e) { throw CliException.Input(e.Message); }
            if (summary.SerialCapture != null)
            {
                long index = 0;
                foreach (string line in summary.SerialCapture)
                {
                    if (serialHere) context.Out.WriteLine(line);
                    if (log == null) continue;
                    ProtocolLine parsed;
                    try { parsed = ProtocolParser.Parse(line); }
                    catch (ProtocolException) { log.Other(index++, "rx", "bad", line); continue; }
                    if (parsed == null) log.Other(index++, "rx", "noise", line);
                    else log.Received(index++, parsed);
                }
            }
            progress.Write(summary.Format());
            if (logPath != null) progress.WriteLine("log: " + logPath + " (" + log.Rows + " lines; host_ms is the line's index: the board's own time is t_ms)");
            if (json) JsonReport.WriteLine(output.Out, ToJson(summary, options.Model?.Source ?? "embedded (firmware/TinTin.Firmware/DefaultModel.g.cs)"));
            return ExitCodes.Ok;
        }

        /// <summary>The adapting firmware's metrics at the top level; frozen model and both baselines beside them.</summary>
        public static Dictionary<string, object> ToJson(VirtualBoardSummary s, string trainedOn)
        {
            Dictionary<string, object> json = JsonReport.For("simulate", s.AdaptiveMetrics);
            json["board"] = s.Board;
            json["data"] = s.Data;
            json["model"] = trainedOn;
            json["model_in_use"] = s.ModelSource;
            if (s.TrainingMode != null) json["training_mode"] = s.TrainingMode;
            json["samples"] = s.Samples;
            json["label_fraction"] = s.MeasuredLabelFraction;
            json["presses"] = s.Presses;
            json["updates"] = s.Updates;
            json["baselines"] = new[] { ("frozen", s.FrozenMetrics), ("last-label", s.LastLabelMetrics), ("majority-so-far", s.MajoritySoFarMetrics) }
                .Where(b => b.Item2 != null)
                .Select(b => new Dictionary<string, object> { ["name"] = b.Item1, ["accuracy"] = b.Item2.Accuracy, ["balanced_accuracy"] = b.Item2.BalancedAccuracy }).ToArray();
            json["beats_last_label"] = s.LastLabelMetrics != null && s.AdaptiveAccuracy > s.LastLabelMetrics.Accuracy;
            return json;
        }
    }
}
