using System;
using System.Globalization;
using System.IO;
using TinTin.VirtualBoard;

// Thin console entry of the virtual board (the CLI's `tintin simulate` calls the same library).
static int Usage(string error)
{
    if (error != null) Console.Error.WriteLine("error: " + error);
    Console.Error.WriteLine(
        "usage: tintin-virtual-board [--data CSV] [--board esp32-devkit|nucleo-f429zi] [--serial -|PATH] [--pred]\n" +
        "                            [--speed SAMPLES_PER_S] [--label-fraction F] [--label-delay-s S] [--serial-labels]\n" +
        "                            [--flash DIR] [--keep-flash] [--seed N] [--max-samples N]\n" +
        "                            [--prepare [--write-default-model]]\n" +
        "  default: replay data/occupancy/datatest2.txt on an ESP32 DevKit with the embedded default model;\n" +
        "  --serial - prints the protocol lines on stdout (progress then goes to stderr); --serial /dev/pts/N\n" +
        "  writes them to a pseudo-terminal (socat -d -d pty,raw,echo=0 pty,raw,echo=0) and reads commands from it.\n" +
        "  --prepare trains the default model on data/occupancy/datatraining.txt (with --write-default-model it\n" +
        "  regenerates firmware/TinTin.Firmware/DefaultModel.g.cs).");
    return error == null ? 0 : 2;
}

var options = new VirtualBoardOptions();
bool prepare = false, writeModel = false;
try
{
    for (int i = 0; i < args.Length; i++)
    {
        string a = args[i];
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(a + " needs a value");
        double Number() => double.Parse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture);
        switch (a)
        {
            case "--data": options.DataPath = Next(); break;
            case "--board": options.Board = Next(); break;
            case "--serial": options.SerialPath = Next(); break;
            case "--pred": options.PredLines = true; break;
            case "--speed": options.Speed = Number(); break;
            case "--label-fraction": options.LabelFraction = Number(); break;
            case "--label-delay-s": options.LabelDelayMs = (long)(Number() * 1000); break;
            case "--serial-labels": options.UseSerialLabels = true; break;
            case "--flash": options.FlashFolder = Next(); break;
            case "--keep-flash": options.KeepFlash = true; break;
            case "--seed": options.Seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--max-samples": options.MaxSamples = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--prepare": prepare = true; break;
            case "--write-default-model": writeModel = true; break;
            case "-h": case "--help": return Usage(null);
            default: return Usage("unknown option " + a);
        }
    }
    if (options.LabelFraction < 0 || options.LabelFraction > 1) return Usage("--label-fraction must be in 0..1");
    TextWriter progress = options.SerialPath == "-" || options.SerialPath == "stdout" ? Console.Error : Console.Out;
    if (prepare)
    {
        PreparedModel model = ModelPreparation.Prepare(new PrepareOptions(), progress);
        if (writeModel) progress.WriteLine("wrote " + ModelPreparation.WriteCSharp(model));
        options.Model = model;
    }
    progress.WriteLine("virtual board: replaying " + (options.DataPath ?? "data/occupancy/datatest2.txt") + " on " + options.Board +
        (options.SerialPath != null ? ", serial on " + options.SerialPath : ""));
    VirtualBoardSummary summary = VirtualBoardRunner.Run(options, progress);
    progress.Write(summary.Format());
    return 0;
}
catch (Exception e) when (Environment.GetEnvironmentVariable("TINTIN_TRACE") == null && (e is ArgumentException || e is IOException || e is FormatException || e is UnauthorizedAccessException))
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
