using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.Firmware.Replay;
using TinTin.Sensors;
using TinTin.TestSupport;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// The board's main loop (BoardLoop, what BoardRunner runs on an ESP32 or STM32) with the board's constants on
    /// fake hardware (firmware/TinTin.Firmware.Checks BoardLoopCheck): on the host, what it must do; on nanoCLR, the
    /// host's output byte for byte.
    /// </summary>
    public class BoardLoopTests
    {
        private static readonly Lazy<List<string>> HostLines = new Lazy<List<string>>(() =>
        {
            var output = new CollectingOutput();
            BoardLoopCheck.Run(output);
            return output.Lines;
        });

        private static string Result(string what) => HostLines.Value.Single(l => l.StartsWith("R " + what + " ", StringComparison.Ordinal));

        private static string Field(string line, string key) =>
            line.Split(' ').First(p => p.StartsWith(key + "=", StringComparison.Ordinal)).Substring(key.Length + 1);

        private static int Int(string line, string key) => int.Parse(Field(line, key), System.Globalization.CultureInfo.InvariantCulture);

        [Fact]
        public void The_check_replays_real_occupancy_rows_as_the_hosts_replay_reads_them()
        {
            var replay = ReplaySource.Open(TinTin.Reference.RepositoryPaths.Find("data", "occupancy", "datatraining.txt"), ReplayColumns.Occupancy());
            var sample = new EnvironmentSample();
            for (int row = 1; row < BoardLoopCheck.FirstRow; row++) replay.Read(sample);
            int count = BoardLoopCheck.Rows.Length / BoardLoopCheck.RowFields;
            Assert.Equal(40, count);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(SampleStatus.Ok, replay.Read(sample));
                Assert.Equal(sample.TemperatureCentiC, BoardLoopCheck.Rows[i * 3]);
                Assert.Equal(sample.HumidityCentiPercent, BoardLoopCheck.Rows[i * 3 + 1]);
                Assert.Equal(sample.Label, BoardLoopCheck.Rows[i * 3 + 2]);
            }
        }

        [Fact]
        public void The_board_loop_labels_from_the_button_checkpoints_and_a_power_cut_keeps_the_last_good_checkpoint()
        {
            List<string> lines = HostLines.Value;
            Assert.Equal("E done", lines[^1]);
            Assert.DoesNotContain(lines, l => l.StartsWith("X ", StringComparison.Ordinal));
            // One sample a minute, 1,200 ticks of 50 ms between samples: 31 samples by 30:01.
            string first = Result("first-boot");
            Assert.Equal(31, Int(first, "samples"));
            Assert.Equal(30 * 1200 + 20, Int(first, "ticks")); // 1,200 waits of 50 ms after each of 30 samples, 20 more to 30:01
            // The button: a short press (class 0) and a long press (class 1), each labelling the last 5 minutes.
            Assert.Contains(lines, l => l.Contains(" ok cmd=button cls=0 n=5"));
            Assert.Contains(lines, l => l.Contains(" ok cmd=button cls=1 n=5"));
            Assert.Equal(2, Int(first, "presses"));
            Assert.True(Int(first, "updates") >= 1, "the labels train: " + first);
            // The periodic checkpoint (updates and 30 minutes since boot), then the one asked for over serial.
            Assert.Contains(lines, l => l.Contains(" ckpt ") && l.Contains(" t_ms=1800000 "));
            Assert.Equal(1, Int(first, "checkpoints"));
            Assert.Contains(lines, l => l.Contains(" stat part=1 t_ms=301000 ")); // the status command at 5:01 answers with the stat lines
            string saved = Result("saved");
            Assert.Equal(2, Int(saved, "checkpoints"));
            Assert.True(Int(saved, "slot0") > 1000 && Int(saved, "slot1") == Int(saved, "slot0"), saved);
            // More learning changes the model; the save after it is cut 1,000 bytes in, which the board reports.
            Assert.NotEqual(Field(saved, "crc"), Field(Result("before-cut"), "crc"));
            Assert.Contains(lines, l => l.Contains(" err code=flash") && l.Contains("power_cut_after_1000_bytes"));
            string cut = Result("cut");
            Assert.Equal(BoardLoopCheck.CutAfterBytes, Int(cut, "slot0"));
            Assert.Equal(Int(saved, "slot1"), Int(cut, "slot1"));
            // Reboot: the last good checkpoint loads, not the cut one (which boot reports); new learning is saved; the next boot loads it.
            // (the cut falls before the first CRC, which the statistics section, its own CRC and the image's sequence number follow)
            int beforeStatistics = Int(saved, "slot0") - (CheckpointStore.ImageSize(0, 6, 2) - CheckpointStore.ImageSize(0));
            Assert.Contains(lines, l => l.Contains(" err code=flash msg=skipped_checkpoint_slot_0:_truncated:_needs_" + beforeStatistics + "_bytes__has_1000"));
            Assert.Equal("R rebooted-model is-the-last-good-save source=flash", lines.Single(l => l.StartsWith("R rebooted-model", StringComparison.Ordinal)));
            Assert.Equal(Field(saved, "crc"), Field(Result("rebooted"), "crc"));
            Assert.Equal(2, lines.Count(l => l.Contains(" hello ") && l.Contains("source=flash")));
            Assert.Equal("R third-boot-model is-the-newest-save source=flash", lines.Single(l => l.StartsWith("R third-boot-model", StringComparison.Ordinal)));
            Assert.NotEqual(Field(saved, "crc"), Field(Result("resaved"), "crc"));
            Assert.Equal(Field(Result("resaved"), "crc"), Field(Result("third-boot"), "crc"));
            // The slot file logic refuses what a board's flash must never get.
            Assert.Contains("refused: flash slot 0 is written in order: offset 16, image so far 0 bytes", Result("flash out-of-order"));
            Assert.Contains("refused: flash slot 0 is written in order: offset 32, image so far 16 bytes", Result("flash gap"));
            Assert.Contains("refused: flash slot 1 is written in order", Result("flash other-slot"));
            Assert.Contains("refused: flash slot 0 holds 64 bytes, not 72", Result("flash over-capacity"));
            Assert.Contains("refused: flash has slots 0..1, not 2", Result("flash no-slot-2"));
            Assert.Equal("R flash in-order read=32 empty-slot read=0", Result("flash in-order"));
            string serial = Result("serial");
            Assert.Equal(lines.Count(l => l.StartsWith("S ", StringComparison.Ordinal)), Int(serial, "lines"));
            Assert.Equal(4, Int(serial, "presses"));
            Assert.Equal(31 + 1 + 5 + 12, Int(serial, "rows"));
        }

        /// <summary>
        /// BoardLoopCheck inside nanoCLR: every line, the serial byte count and the CRC-32 of every serial byte equal the
        /// host's; also on nanoclr32 (a board's 12-byte heap blocks) with the ESP32's 111 KB heap, where the learner's
        /// arena is sized to the ESP32's budget as on the board (the check's RAM files, 16 KB, and its assemblies come on top).
        /// </summary>
        [NanoRuntimeTheory]
        [InlineData(0)]        // 64-bit nanoclr
        [InlineData(113664)]   // nanoclr32, ESP32 heap
        public void The_board_loop_on_nanoclr_writes_the_hosts_serial_bytes(int heapBytes)
        {
            List<string> host = HostLines.Value;
            Assert.Equal("E done", host[^1]);
            NanoProgram runtime = NanoProgram.Locate(NanoProgram.ChecksProject);
            string folder = Path.Combine(Path.GetTempPath(), "tintin-board-loop-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(
                    "public static class Program { public static void Main() { TinTin.Firmware.Replay.BoardLoopCheck.Run(new TinTin.Firmware.Replay.ConsoleLineOutput()); } }",
                    "TinTin.BoardLoopCheck", folder);
                NanoRunOutput run = runtime.Run(pe, heapBytes, TimeSpan.FromMinutes(3));
                Assert.DoesNotContain("OutOfMemory", run.StandardOutput + run.StandardError);
                List<string> nano = run.Lines.Where(l => l.Length > 1 && l[1] == ' ' && "SREX".IndexOf(l[0]) >= 0).ToList();
                for (int i = 0; i < Math.Min(host.Count, nano.Count); i++)
                    Assert.True(host[i] == nano[i], "line " + (i + 1) + " differs:\n host:    " + host[i] + "\n nanoclr: " + nano[i]);
                Assert.Equal(host.Count, nano.Count);
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }
    }
}
