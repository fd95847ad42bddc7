using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Spectre.Console;
using TinTin.Core;

namespace TinTin.Cli
{
    /// <summary>A model's memory plan, buffer by buffer, and whether it fits the boards' heaps.</summary>
    public static class MemoryReport
    {
        /// <summary>nanoFramework array header, added per buffer (MemoryPlan counts payload bytes only).</summary>
        public const int ArrayHeaderBytes = 16;

        public static readonly string[] DefaultBoards = { "esp32", "esp32c3", "stm32f429" };

        public static DeviceProfile[] Boards(string[] names)
        {
            if (names == null || names.Length == 0) names = DefaultBoards;
            return names.Select(n => DeviceProfile.ByName(n.Trim())
                ?? throw CliException.Usage("unknown board '" + n + "'; known: esp32, esp32c3 (esp32-c3), stm32f429 (stm32f4)")).ToArray();
        }

        public sealed class Fit
        {
            public DeviceProfile Board;
            public int InferenceBytes;
            public int TrainingBytes;
            public int Available => Board.HeapBytes - Board.ReservedBytes;
            public bool InferenceFits => InferenceBytes <= Available;
            public bool TrainingFits => TrainingBytes <= Available;
        }

        /// <summary>
        /// Prints the full-training plan of the model's network (every channel trainable, as `prepare`
        /// trains it) buffer by buffer, then per board: heap − firmware reserve vs. the engine for
        /// inference only and for full training, with the margin. Returns the per-board verdicts.
        /// </summary>
        public static List<Fit> Print(IAnsiConsole console, byte[] modelBytes, bool withMomentum, DeviceProfile[] boards)
        {
            Model training = ModelFile.Load(modelBytes, modelBytes.Length, -1, withMomentum);
            training.Network.SetAllTrainable(true);
            MemoryPlan plan = training.Network.DescribeMemory();
            Model inference = ModelFile.Load(modelBytes, modelBytes.Length, 0, false);
            MemoryPlan inferencePlan = inference.Network.DescribeMemory();

            var table = new Table().Border(TableBorder.Rounded).Title("[bold]memory plan[/] (payload bytes; full training, every channel trainable)");
            table.AddColumn("buffer");
            table.AddColumn("category");
            table.AddColumn(new TableColumn("bytes").RightAligned());
            table.AddColumn(new TableColumn("used by full training").RightAligned());
            for (int i = 0; i < plan.Count; i++)
            {
                MemoryEntry e = plan[i];
                table.AddRow(Markup.Escape(e.Name), MemoryCategoryNames.Name(e.Category), N(e.Bytes), N(e.UsedBytes));
            }
            table.AddRow("[bold]total[/]", "", "[bold]" + N(plan.TotalBytes) + "[/]", "[bold]" + N(plan.TotalUsedBytes) + "[/]");
            console.Write(table);

            int trainingBytes = plan.TotalBytes + ArrayHeaderBytes * plan.Count;
            int inferenceBytes = inferencePlan.TotalBytes + ArrayHeaderBytes * inferencePlan.Count;
            console.WriteLine("model file " + N(modelBytes.Length) + " B (flash); engine in RAM: inference " + N(inferenceBytes)
                + " B, full training " + N(trainingBytes) + " B (both with " + ArrayHeaderBytes + " B per array header); "
                + "forward " + N(training.Network.ForwardMacs()) + " MACs, full backward " + N(training.Network.BackwardMacs()) + " MACs");

            var fits = new List<Fit>();
            var boardsTable = new Table().Border(TableBorder.Rounded).Title("[bold]board profiles[/] (heap − firmware reserve = available to the engine)");
            boardsTable.AddColumn("board");
            boardsTable.AddColumn(new TableColumn("heap").RightAligned());
            boardsTable.AddColumn(new TableColumn("reserve").RightAligned());
            boardsTable.AddColumn(new TableColumn("available").RightAligned());
            boardsTable.AddColumn("inference");
            boardsTable.AddColumn("full training");
            boardsTable.AddColumn(new TableColumn("sparse-update budget").RightAligned());
            foreach (DeviceProfile board in boards)
            {
                var fit = new Fit { Board = board, InferenceBytes = inferenceBytes, TrainingBytes = trainingBytes };
                fits.Add(fit);
                boardsTable.AddRow(board.Name, N(board.HeapBytes), N(board.ReservedBytes), N(fit.Available),
                    Verdict(fit.InferenceFits, fit.Available - inferenceBytes), Verdict(fit.TrainingFits, fit.Available - trainingBytes),
                    N(board.TrainingBudgetBytes(inferenceBytes)));
            }
            console.Write(boardsTable);
            PrintModes(console, modelBytes, boards);
            return fits;
        }

        /// <summary>
        /// Full-training state of the model in every training-state mode (payload bytes as
        /// Network.DescribeMemory counts them, and with array headers) and whether it fits each board.
        /// </summary>
        public static void PrintModes(IAnsiConsole console, byte[] modelBytes, DeviceProfile[] boards)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]training-state modes[/] (full training, every channel trainable; no momentum)");
            table.AddColumn("mode");
            table.AddColumn("keeps");
            table.AddColumn(new TableColumn("state bytes").RightAligned());
            table.AddColumn(new TableColumn("with headers").RightAligned());
            foreach (DeviceProfile board in boards) table.AddColumn(board.Name);
            foreach (TrainingStateMode mode in TrainingStateModeNames.All)
            {
                var cells = new List<string> { TrainingStateModeNames.Name(mode), TrainingStateModeNames.Describe(mode) };
                try
                {
                    Network network = ModelFile.Load(modelBytes, modelBytes.Length, -1, false, ModelFile.DefaultMaxBytes, mode).Network;
                    network.SetAllTrainable(true);
                    MemoryPlan plan = network.DescribeMemory();
                    int withHeaders = plan.TotalBytes + ArrayHeaderBytes * plan.Count;
                    cells.Add(N(plan.TotalBytes));
                    cells.Add(N(withHeaders));
                    foreach (DeviceProfile board in boards)
                        cells.Add(Verdict(withHeaders <= board.HeapBytes - board.ReservedBytes, board.HeapBytes - board.ReservedBytes - withHeaders));
                }
                catch (ModelFormatException e)
                {
                    cells.Add("—");
                    cells.Add("—");
                    foreach (DeviceProfile board in boards) cells.Add("not available: " + Markup.Escape(e.Message));
                }
                table.AddRow(cells.ToArray());
            }
            console.Write(table);
        }

        private static string Verdict(bool fits, int margin) =>
            fits ? "[green]fits[/], margin " + N(margin) + " B" : "[red]does not fit[/], short by " + N(-margin) + " B";

        private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
    }
}
