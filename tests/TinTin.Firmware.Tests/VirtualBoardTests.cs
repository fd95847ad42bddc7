using System.IO;
using System.Linq;
using TinTin.Firmware;
using TinTin.VirtualBoard;
using TinTin.Core;
using Xunit;
using Xunit.Abstractions;

namespace TinTin.Firmware.Tests
{
    public class VirtualBoardTests
    {
        private readonly ITestOutputHelper output;
        public VirtualBoardTests(ITestOutputHelper output) { this.output = output; }

        [Fact]
        public void On_the_occupancy_drift_stream_the_adapting_board_beats_the_frozen_model()
        {
            VirtualBoardSummary s = VirtualBoardRunner.Run(new VirtualBoardOptions { CaptureSerial = true }, null);
            output.WriteLine(s.Format());
            Assert.True(s.Samples > 9000);
            Assert.True(s.Updates > 50);
            Assert.True(s.AdaptiveAccuracy > s.FrozenAccuracy,
                $"adapting {s.AdaptiveAccuracy:P1} is not above frozen {s.FrozenAccuracy:P1}");
            Assert.True(s.AdaptiveAccuracySecondHalf > s.FrozenAccuracySecondHalf);
            Assert.True(s.EngineBytes > 0 && s.HeapFreeBytes > 0 && s.UjPerUpdate > 0);
            // the serial stream is the protocol, parseable end to end
            Assert.All(s.SerialCapture, line => Assert.NotNull(ProtocolParser.Parse(line)));
            Assert.Contains(s.SerialCapture, l => l.StartsWith("TT1 upd "));
            // the demo says how much of the full update its selection uses (the default budget: all of it)
            Assert.Contains("  selection: ", s.Format());
            Assert.True(s.FullBackwardBytes > 0 && s.FullUpdateMacs > 0 && s.TotalChannels > 0);
            if (s.BudgetBytes >= s.FullBackwardBytes && s.BudgetMacs >= s.FullUpdateMacs) Assert.Contains("nothing is sparse", s.SelectionLine());
            // the budget is the board's: heap left after the measured firmware bytes and the model, and the time allowance in MACs
            DeviceProfile device = VirtualBoardRunner.BoardByName(null).Device;
            Assert.InRange(s.BudgetBytes, 1, device.HeapBytes - device.ReservedBytes - s.LearnerBytes);
            Assert.Equal(device.TrainingBudgetMacs(), s.BudgetMacs);
            Assert.InRange(s.MeasuredLabelFraction, 0.025, 0.035); // the default: 3 % of samples labelled, as measured
            Assert.Contains("baseline last-label", s.Format());
        }

        [Fact]
        public void On_the_esp32_c3_the_budget_is_what_its_heap_and_time_allowance_leave()
        {
            VirtualBoardSummary s = VirtualBoardRunner.Run(new VirtualBoardOptions { Board = "esp32c3-devkit", MaxSamples = 300 }, null);
            DeviceProfile c3 = DeviceProfile.Esp32C3;
            Assert.Equal("esp32c3-devkit", s.Board);
            // below the C3's heap less the firmware's measured bytes, and the MACs its 160 MHz core runs in the allowance
            Assert.InRange(s.BudgetBytes, 1, c3.HeapBytes - c3.ReservedBytes);
            Assert.Equal((long)c3.UpdateAllowanceMs * 1000 * c3.CpuMHz / c3.CyclesPerMac, s.BudgetMacs);
            Assert.Equal(c3.HeapBytes - c3.ReservedBytes - s.EngineBytes - s.LearnerBytes, s.HeapFreeBytes);
        }

        /// <summary>
        /// The board's training-state mode reaches the engine: the default model and the checkpoints a
        /// restart reads are loaded in it (a lean mode holds fewer engine bytes and still adapts).
        /// </summary>
        [Fact]
        public void A_board_in_a_lean_mode_loads_its_default_model_and_its_checkpoints_in_that_mode()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                VirtualBoardSummary arena = VirtualBoardRunner.Run(new VirtualBoardOptions { MaxSamples = 1500 }, null);
                VirtualBoardSummary lean = VirtualBoardRunner.Run(new VirtualBoardOptions { MaxSamples = 1500, TrainingMode = TrainingStateMode.FusedInt8, FlashFolder = folder }, null);
                Assert.Equal(TrainingStateModeNames.Name(DeviceProfile.DefaultTrainingMode), arena.TrainingMode);
                Assert.Equal("int8", lean.TrainingMode);
                Assert.Contains("(int8 mode)", lean.Format());
                Assert.True(lean.Updates > 0 && lean.Checkpoints > 0, lean.Updates + " updates, " + lean.Checkpoints + " checkpoints");
                Assert.True(lean.EngineBytes < arena.EngineBytes, "int8 engine " + lean.EngineBytes + " B vs arena " + arena.EngineBytes + " B");
                VirtualBoardSummary resumed = VirtualBoardRunner.Run(new VirtualBoardOptions { MaxSamples = 200, TrainingMode = TrainingStateMode.FusedInt8, FlashFolder = folder, KeepFlash = true }, null);
                Assert.Equal("flash", resumed.ModelSource);
                Assert.Equal(lean.EngineBytes, resumed.EngineBytes);
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>Issue 13: at 1 % of samples labelled (a couple of presses a day) the adapting board beats repeating the latest press.</summary>
        [Fact]
        public void At_one_percent_labelled_the_adapting_board_beats_last_label()
        {
            VirtualBoardSummary s = VirtualBoardRunner.Run(new VirtualBoardOptions { LabelFraction = 0.01 }, null);
            output.WriteLine(s.Format());
            Assert.InRange(s.MeasuredLabelFraction, 0.008, 0.012);
            Assert.True(s.Presses >= 10, s.Presses + " presses");
            Assert.True(s.AdaptiveAccuracy > s.LastLabelMetrics.Accuracy, $"adapting {s.AdaptiveAccuracy:P1} vs last-label {s.LastLabelMetrics.Accuracy:P1}");
            Assert.Equal(s.Samples, s.LastLabelMetrics.Count);
            Assert.Equal(s.Samples, s.MajoritySoFarMetrics.Count);
        }

        [Fact]
        public void A_short_stream_gets_presses_too()
        {
            VirtualBoardSummary s = VirtualBoardRunner.Run(new VirtualBoardOptions { LabelFraction = 0.01, MaxSamples = 200 }, null);
            Assert.True(s.Presses >= 1, "no press in 200 samples at 1 %");
        }

        [Fact]
        public void The_selection_line_gives_the_fraction_of_the_full_update_or_says_it_is_not_sparse()
        {
            var sparse = new VirtualBoardSummary
            {
                BackwardBytes = 500, FullBackwardBytes = 2000, SelectedUpdateMacs = 3000, FullUpdateMacs = 12000,
                BudgetBytes = 600, BudgetMacs = 0, SelectedChannels = 5, TotalChannels = 34,
            };
            Assert.Equal("selection: sparse, 5/34 channels, 25.0 % of the full update's 2000 B backward, 25.0 % of its 12000 MACs/update (budget 600 B, no MAC limit)",
                sparse.SelectionLine());
            var full = new VirtualBoardSummary
            {
                BackwardBytes = 2000, FullBackwardBytes = 2000, SelectedUpdateMacs = 12000, FullUpdateMacs = 12000,
                BudgetBytes = 60000, BudgetMacs = 20000, SelectedChannels = 34, TotalChannels = 34,
            };
            Assert.Equal("selection: the full update (2000 B backward, 12000 MACs/update) fits the budget 60000 B, 20000 MACs: every channel trains, nothing is sparse",
                full.SelectionLine());
            full.BudgetMacs = 10000; // a MAC limit below the full update: not "fits", even if every channel were selected
            Assert.StartsWith("selection: sparse", full.SelectionLine());
        }

        [Fact]
        public void Serial_labels_work_like_the_button_and_reach_a_file_as_a_pty_would()
        {
            string path = Path.Combine(Path.GetTempPath(), "tintin-serial-" + System.Guid.NewGuid().ToString("N") + ".log");
            File.WriteAllText(path, "");
            try
            {
                VirtualBoardSummary s = VirtualBoardRunner.Run(new VirtualBoardOptions
                {
                    UseSerialLabels = true, SerialPath = path, MaxSamples = 1500, Commands = new[] { "budget 1024", "status" },
                }, null);
                string[] lines = File.ReadAllLines(path);
                Assert.Equal(s.SerialLines, lines.Length);
                Assert.StartsWith("TT1 hello ", lines[0]);
                Assert.Contains(lines, l => l.StartsWith("TT1 ok cmd=budget"));
                Assert.Contains(lines, l => l.StartsWith("TT1 ok cmd=label"));
                Assert.True(s.Updates > 0);
                Assert.Equal(1024, s.BudgetBytes);
            }
            finally { File.Delete(path); }
        }
    }
}
