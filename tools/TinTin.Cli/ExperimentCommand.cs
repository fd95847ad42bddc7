using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using TinTin.Experiments;

namespace TinTin.Cli
{
    /// <summary>`tintin experiment`: the sparse-update prequential experiment (tools/TinTin.Experiments), with its own options.</summary>
    public static class ExperimentCommand
    {
        public static Command Create(CliContext context)
        {
            var command = new Command("experiment",
                "Compare sparse-update policies and budgets on a sensor stream (prequential).\n" +
                "Run the sparse-update (TinyTrain-style) prequential experiment: pre-train, then stream the data predicting each\n" +
                "sample before its (late, sparse) label arrives, comparing update policies and budgets. Without --train/--data it\n" +
                "uses data/occupancy (datatraining.txt to pre-train, datatest2.txt to stream). The options are the experiment's own:\n"
                + ExperimentOptions.Usage + "\n" +
                "Exit codes: 0 ok, 1 bad option, 2 data missing or malformed.");
            command.TreatUnmatchedTokensAsErrors = false;
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                string[] args = parse.UnmatchedTokens.ToArray();
                ExperimentOptions options;
                try
                {
                    if (!args.Contains("--train") && !args.Contains("--data"))
                    {
                        string folder;
                        try { folder = TinTin.Experiments.Program.FindOccupancyFolder(); }
                        catch (IOException e) { throw CliException.Input(e.Message); }
                        args = new[] { "--train", Path.Combine(folder, "datatraining.txt"), "--stream", Path.Combine(folder, "datatest2.txt") }.Concat(args).ToArray();
                    }
                    options = ExperimentOptions.Parse(args);
                }
                catch (ArgumentException e) { throw CliException.Usage(e.Message); }
                foreach (string path in new[] { options.TrainPath, options.StreamPath, options.DataPath })
                    if (path != null) TinTin.Reference.InputFiles.CheckInput(path, TinTin.Reference.InputFiles.MaxDataBytes, "data file");
                if (options.CsvPath != null) TinTin.Reference.InputFiles.CheckOutput(options.CsvPath, "--csv");
                try { PrequentialExperiment.Run(options, context.Out); }
                catch (ArgumentException e) { throw CliException.Input(e.Message); }
                return ExitCodes.Ok;
            }));
            return command;
        }
    }
}
