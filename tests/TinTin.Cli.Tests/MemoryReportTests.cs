using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Spectre.Console;
using TinTin.Cli;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Reference;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>
    /// `tintin prepare`'s board table and its training-state-modes table print the figures the virtual
    /// board (`tintin simulate --board B [--mode M]`) derives for the same model: the sparse-update
    /// budget, the engine as allocated, the learner's buffers, the emulated free heap, and whether the full
    /// update fits. (Before session 7's fix the report priced the budget from the inference plan with
    /// array headers: 7,570 B on the C3 for 6-48-24-2 where the board gets 4,334 B, and said full training
    /// fits there with a 1,326 B margin, where the board's selection is sparse.)
    /// </summary>
    public class MemoryReportTests
    {
        public static IEnumerable<object[]> BoardsAndModels()
        {
            foreach (string board in new[] { "esp32c3-devkit", "esp32-devkit", "nucleo-f429zi" })
                foreach (string model in new[] { "embedded", "occupancy-6-16-2.ttm" })
                    yield return new object[] { board, model };
        }

        [Theory]
        [MemberData(nameof(BoardsAndModels))]
        public void The_report_prints_what_the_virtual_board_derives(string boardName, string modelName)
        {
            PreparedModel prepared = modelName == "embedded" ? VirtualBoardRunner.EmbeddedModel() : VirtualBoardRunner.WithDefaultFeatures(File.ReadAllBytes(RepositoryPaths.Data("models", modelName)), modelName);
            DeviceProfile device = VirtualBoardRunner.BoardByName(boardName).Device;
            string text = PrintReport(prepared.Bytes, device);

            // The board table, in the profile's own mode: what `simulate --board B` prints.
            VirtualBoardSummary s = Simulate(boardName, prepared, null);
            string[] row = Row(text, device.Name);
            Assert.Equal(device.HeapBytes, Number(row[1]));
            Assert.Equal(device.ReservedBytes, Number(row[2]));
            string[] staticParts = row[3].Split('+');
            int besideBackward = Number(staticParts[0]), learnerBytes = Number(staticParts[1]);
            int budget = Number(row[4]);
            Assert.Equal(s.BudgetBytes, budget);
            Assert.Equal(s.LearnerBytes, learnerBytes);
            Assert.Equal(s.EngineBytes, Number(row[6]));
            Assert.Equal(s.HeapFreeBytes, Number(row[7]));
            Assert.StartsWith(s.FullBackwardBytes <= s.BudgetBytes ? "fits" : "sparse", row[5]);
            Assert.Contains(N(s.FullBackwardBytes) + " B", row[5]);
            // The derivation HeapAccountingTests holds: the heap splits into reserve, static bytes and budget.
            Assert.Equal(device.HeapBytes - device.ReservedBytes, besideBackward + learnerBytes + budget);
            Network firmwareNetwork = ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, Network.ArenaFromBudget, false,
                ModelFile.DefaultMaxBytes, device.TrainingMode).Network;
            Assert.Equal(firmwareNetwork.BytesBesideBackward(), besideBackward);

            // The training-state-modes table: per mode, what `simulate --board B --mode M` prints.
            int boardColumn = 4 + Array.IndexOf(MemoryReport.DefaultBoards, device.Name);
            foreach (TrainingStateMode mode in TrainingStateModeNames.All)
            {
                VirtualBoardSummary m = Simulate(boardName, prepared, mode);
                string cell = Row(text, TrainingStateModeNames.Name(mode))[boardColumn];
                Assert.Contains("budget " + N(m.BudgetBytes) + " B, ", cell);
                Assert.Contains((m.FullBackwardBytes <= m.BudgetBytes ? "fits (" : "sparse (") + N(m.FullBackwardBytes) + " B", cell);
                Assert.EndsWith("free " + N(m.HeapFreeBytes) + " B", cell);
            }
        }

        private static string PrintReport(byte[] modelBytes, DeviceProfile device)
        {
            var writer = new StringWriter();
            IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            });
            console.Profile.Width = 1000; // one line per row
            List<MemoryReport.Fit> fits = MemoryReport.Print(console, modelBytes, false, MemoryReport.Boards(null));
            Assert.Contains(fits, f => f.Board.Name == device.Name);
            return writer.ToString();
        }

        private static VirtualBoardSummary Simulate(string boardName, PreparedModel prepared, TrainingStateMode? mode) =>
            VirtualBoardRunner.Run(new VirtualBoardOptions { Board = boardName, Model = prepared, TrainingMode = mode, MaxSamples = 2, ProgressEvery = 0 }, null);

        /// <summary>The cells of the table row whose first cell is `first` (exactly one such row).</summary>
        private static string[] Row(string text, string first)
        {
            string[] rows = text.Split('\n').Where(l => l.StartsWith("│ " + first + " ", StringComparison.Ordinal)).ToArray();
            Assert.True(rows.Length == 1, $"one row for '{first}' expected, found {rows.Length} in:\n{text}");
            return rows[0].Split('│').Skip(1).Select(c => c.Trim()).ToArray();
        }

        private static int Number(string cell) => int.Parse(cell.Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

        private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
    }
}
