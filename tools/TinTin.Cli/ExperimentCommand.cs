using System.Collections.Generic;
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
                if (options.JsonPath != null && !options.JsonToStandardOutput) TinTin.Reference.InputFiles.CheckOutput(options.JsonPath, "--json");
                TextWriter human = options.JsonToStandardOutput ? context.Error : context.Out; // stdout carries only the JSON object
                if (options.ChartPath != null) TinTin.Reference.InputFiles.CheckOutput(options.ChartPath + ".svg", "--chart");
                try
                {
                    if (options.Selections == null)
                    {
                        ExperimentResult result = PrequentialExperiment.Run(options, human);
                        if (options.JsonToStandardOutput) TinTin.Reference.JsonReport.WriteLine(context.Out, PrequentialExperiment.ToJson(result, options));
                    }
                    else
                    {
                        SelectionStudyResult study = SelectionStudy.Run(options, human);
                        if (options.ChartPath != null) WriteChart(study, options.ChartPath, human);
                        if (options.JsonToStandardOutput) TinTin.Reference.JsonReport.WriteLine(context.Out, study);
                    }
                }
                catch (ArgumentException e) { throw CliException.Input(e.Message); }
                return ExitCodes.Ok;
            }));
            return command;
        }

        /// <summary>Accuracy against budget: one line per selection, frozen and full update as flat reference lines; PATH.svg and PATH.png.</summary>
        public static void WriteChart(SelectionStudyResult study, string path, TextWriter output)
        {
            var budgets = study.Budgets.Where(b => b.Fraction > 0).OrderBy(b => b.Fraction).ToList();
            var chart = new ReportChart
            {
                Title = $"Accuracy against update budget ({study.Model}, {study.Stream})",
                Subtitle = $"mean of {study.Seeds.Length} seeds; budget = % of the full update's backward bytes and training MACs",
                XLabel = "budget (% of the full update)",
                YLabel = "prequential accuracy (%)",
                YFromZero = false,
            };
            string[] colors = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf" };
            for (int i = 0; i < study.Selections.Length; i++)
            {
                string s = study.Selections[i];
                chart.Series.Add(new ChartSeries(s, budgets.Select(b => (100 * b.Fraction, study.Cell(s, b.Label).MeanAccuracy)).ToList(), colors[i % colors.Length]));
            }
            if (budgets.Count > 0)
            {
                double lo = 100 * budgets[0].Fraction, hi = 100 * budgets[^1].Fraction;
                chart.Series.Add(new ChartSeries("frozen", new[] { (lo, study.FrozenAccuracy.Average()), (hi, study.FrozenAccuracy.Average()) }, "#7f7f7f"));
                chart.Series.Add(new ChartSeries("full update", new[] { (lo, study.FullAccuracy.Average()), (hi, study.FullAccuracy.Average()) }, "#000000"));
            }
            string directory = Path.GetDirectoryName(Path.GetFullPath(path));
            Directory.CreateDirectory(directory);
            File.WriteAllText(path + ".svg", chart.RenderSvg());
            File.WriteAllBytes(path + ".png", chart.RenderPng());
            output.WriteLine($"wrote {path}.svg and {path}.png");
        }
    }
}
