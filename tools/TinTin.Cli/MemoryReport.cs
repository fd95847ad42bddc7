using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Spectre.Console;
using TinTin.Core;
using TinTin.Firmware;

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

        /// <summary>
        /// A board's heap for the model as the firmware splits it: every figure but the inference-only one
        /// is read from the learner the firmware builds (<see cref="ForBoard"/>), so it is what
        /// `tintin simulate --board B`'s `memory:` and `selection:` lines print.
        /// </summary>
        public sealed class Fit
        {
            public DeviceProfile Board;
            /// <summary>The inference-only engine's payload plus <see cref="ArrayHeaderBytes"/> per array (no learner).</summary>
            public int InferenceBytes;
            /// <summary>The engine's bytes no backward pays for plus the learner's buffers (ContinualLearner.StaticBytes).</summary>
            public int StaticBytes;
            public int LearnerBytes;
            /// <summary>Backward bytes the board allows an update (ContinualLearner.BudgetBytes).</summary>
            public int BudgetBytes;
            /// <summary>Backward bytes of the full update (every channel trains).</summary>
            public int FullBackwardBytes;
            /// <summary>The engine as the firmware allocates it (its memory plan, the arena sized within the budget).</summary>
            public int EngineBytes;
            /// <summary>Heap − reserve − engine − learner buffers (ContinualLearner.HeapUsedBytes).</summary>
            public int FreeHeapBytes;
            public int Available => Board.HeapBytes - Board.ReservedBytes;
            public bool InferenceFits => InferenceBytes <= Available;
            /// <summary>The full update fits the budget (simulate's selection line says it fits; else the selection is sparse).</summary>
            public bool TrainingFits => FullBackwardBytes <= BudgetBytes;
        }

        /// <summary>
        /// The board's split for the model: the model loaded and the learner built as the firmware does
        /// (FirmwareApp with the ContinualLearnerFactory every entry point uses: arena from the budget, no
        /// momentum, the profile's training-state mode), and its figures read back.
        /// </summary>
        public static Fit ForBoard(byte[] modelBytes, DeviceProfile board, int inferenceBytes)
        {
            var factory = new ContinualLearnerFactory(new ContinualConfig { Profile = board }, Network.ArenaFromBudget, false);
            Model model = ModelFile.Load(modelBytes, modelBytes.Length, factory.TrainingCapacityInts, factory.WithMomentum, ModelFile.DefaultMaxBytes, factory.TrainingMode);
            ContinualLearner learner = ((ContinualLearnerAdapter)factory.Create(model)).Inner;
            return new Fit
            {
                Board = board, InferenceBytes = inferenceBytes, StaticBytes = learner.StaticBytes, LearnerBytes = learner.LearnerBytes,
                BudgetBytes = learner.BudgetBytes, FullBackwardBytes = model.Network.FullBackwardBytes(),
                EngineBytes = model.Network.TotalMemoryBytes(), FreeHeapBytes = board.HeapBytes - learner.HeapUsedBytes(),
            };
        }

        /// <summary>
        /// Prints the full-training plan of the model's network (every channel trainable, as `prepare`
        /// trains it) buffer by buffer, then per board the firmware's split of its heap (reserve, the
        /// bytes no backward pays for, the update budget, the engine as allocated, the emulated free heap:
        /// the figures `tintin simulate --board B` prints) and whether inference alone fits with array
        /// headers. Returns the per-board verdicts.
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
            var boardsTable = new Table().Border(TableBorder.Rounded)
                .Title("[bold]board profiles[/] (the firmware's split of the heap, payload bytes: what `tintin simulate --board B` prints)")
                .Caption("heap = reserve + static + budget; static = the engine's bytes no backward pays for + the learner's buffers; "
                    + "engine = as allocated (arena within the budget); free = heap − reserve − engine − learner; full update: its backward bytes "
                    + "fit the budget, or the selection is sparse. Only the last column adds " + ArrayHeaderBytes + " B per array header "
                    + "(the inference-only engine vs heap − reserve); the rest are payload bytes, as the firmware counts them.");
            boardsTable.AddColumn("board");
            boardsTable.AddColumn(new TableColumn("heap").RightAligned());
            boardsTable.AddColumn(new TableColumn("reserve").RightAligned());
            boardsTable.AddColumn(new TableColumn("static: engine + learner").RightAligned());
            boardsTable.AddColumn(new TableColumn("sparse-update budget").RightAligned());
            boardsTable.AddColumn("full update");
            boardsTable.AddColumn(new TableColumn("engine").RightAligned());
            boardsTable.AddColumn(new TableColumn("free (emulated)").RightAligned());
            boardsTable.AddColumn("inference only + array headers");
            foreach (DeviceProfile board in boards)
            {
                Fit fit = ForBoard(modelBytes, board, inferenceBytes);
                fits.Add(fit);
                boardsTable.AddRow(board.Name, N(board.HeapBytes), N(board.ReservedBytes),
                    N(fit.StaticBytes - fit.LearnerBytes) + " + " + N(fit.LearnerBytes), N(fit.BudgetBytes), Update(fit),
                    N(fit.EngineBytes), N(fit.FreeHeapBytes), Verdict(fit.InferenceFits, fit.Available - inferenceBytes));
            }
            console.Write(boardsTable);
            PrintModes(console, modelBytes, boards);
            return fits;
        }

        private static string Update(Fit fit) => fit.TrainingFits
            ? "[green]fits[/] (" + N(fit.FullBackwardBytes) + " B)"
            : "[yellow]sparse[/] (" + N(fit.FullBackwardBytes) + " B)";

        /// <summary>
        /// Full-training state of the model in every training-state mode (payload bytes as
        /// Network.DescribeMemory counts them, and with array headers) and, per board in that mode, the
        /// firmware's split (<see cref="ForBoard"/>): the update budget, whether the full update fits it, the free heap.
        /// </summary>
        public static void PrintModes(IAnsiConsole console, byte[] modelBytes, DeviceProfile[] boards)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]training-state modes[/] (full training, every channel trainable; no momentum; "
                + "per board: the firmware's budget, full update, free heap in that mode, as `simulate --board B --mode M`)");
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
                    {
                        Fit fit = ForBoard(modelBytes, board.WithTrainingMode(mode), 0);
                        cells.Add("budget " + N(fit.BudgetBytes) + " B, " + Update(fit) + ", free " + N(fit.FreeHeapBytes) + " B");
                    }
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
