using System.IO;
using System.Linq;
using TinTin.Firmware;
using TinTin.VirtualBoard;
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
