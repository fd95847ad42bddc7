using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.Firmware.Replay;
using TinTin.TestSupport;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// The firmware inside the real nanoFramework interpreter (firmware/TinTin.Firmware.Replay driven by
    /// tools/TinTin.VirtualBoard NanoReplay) against the host's virtual board on the same replay. Skipped,
    /// saying how to get one, without a runtime; needs `dotnet build` (build/nano-out).
    /// </summary>
    public class NanoReplayTests
    {
        private static VirtualBoardOptions Options(int samples) => new VirtualBoardOptions
        {
            MaxSamples = samples, LabelFraction = 0.05, PredLines = true, ProgressEvery = 0, CaptureSerial = true,
        };

        private static List<string> Masked(IEnumerable<string> lines) => lines.Select(NanoReplay.MaskMachineKeys).ToList();

        private static void AssertSameLines(IReadOnlyList<string> host, IReadOnlyList<string> nano)
        {
            List<string> h = Masked(host), n = Masked(nano);
            for (int i = 0; i < Math.Min(h.Count, n.Count); i++)
                Assert.True(h[i] == n[i], "line " + (i + 1) + " differs:\n host:    " + h[i] + "\n nanoclr: " + n[i]);
            Assert.Equal(h.Count, n.Count);
        }

        [NanoRuntimeFact]
        public void Replay_of_datatest2_on_nanoclr_gives_the_host_virtual_boards_protocol_lines()
        {
            VirtualBoardSummary host = VirtualBoardRunner.Run(Options(2000), null);
            NanoReplayResult nano = NanoReplay.Run(Options(2000), new NanoReplayOptions(), null);

            Assert.True(host.Updates >= 20, "the stretch must train: " + host.Updates + " updates");
            Assert.True(host.SerialCapture.Count(l => l.Contains(" pred ")) >= 1900, "pred lines (features, class) for every predicted sample");
            AssertSameLines(host.SerialCapture, nano.SerialLines);
            // Only the free heap differs: the host emulates it, the 64-bit nanoclr does not measure it.
            Assert.Contains(nano.SerialLines, l => l.Contains(" hello ") && l.Contains(" heap=-1 "));
            VirtualBoardSummary s = nano.Summary;
            Assert.Equal(host.Samples, s.Samples);
            Assert.Equal(host.FrozenCorrect, s.FrozenCorrect);
            Assert.Equal(host.AdaptiveCorrect, s.AdaptiveCorrect);
            Assert.Equal(host.AdaptiveCorrectSecondHalf, s.AdaptiveCorrectSecondHalf);
            Assert.Equal(host.Presses, s.Presses);
            Assert.Equal(host.Updates, s.Updates);
            Assert.Equal(host.Checkpoints, s.Checkpoints);
            Assert.Equal(host.MacsUpdatesTotal, s.MacsUpdatesTotal);
            Assert.Equal(host.EnergyTotalUj, s.EnergyTotalUj);
            Assert.Equal(host.SerialLines, s.SerialLines);
        }

        [NanoRuntimeFact]
        public void Serial_labels_and_host_commands_reach_the_firmware_on_nanoclr_as_on_the_host()
        {
            VirtualBoardOptions Make() => new VirtualBoardOptions
            {
                MaxSamples = 400, UseSerialLabels = true, LabelFraction = 0.1, Seed = 5, ProgressEvery = 0, CaptureSerial = true,
                Commands = new[] { "budget 4096", "status", "label 7", "pred off" },
            };
            VirtualBoardSummary host = VirtualBoardRunner.Run(Make(), null);
            NanoReplayResult nano = NanoReplay.Run(Make(), new NanoReplayOptions(), null);
            Assert.Contains(host.SerialCapture, l => l.Contains("ok cmd=budget"));
            Assert.Contains(host.SerialCapture, l => l.Contains("err code=") && l.Contains("class_must_be"));
            Assert.Contains(host.SerialCapture, l => l.Contains("ok cmd=label"));
            AssertSameLines(host.SerialCapture, nano.SerialLines);
        }

        [NanoRuntimeFact]
        public void Replay_fits_the_esp32_c3_heap_on_nanoclr32()
        {
            const int Esp32C3Heap = 55296;
            // The ESP32-C3 board: its profile's budget (heap − measured firmware bytes − model) sizes the training arena.
            VirtualBoardOptions C3() { VirtualBoardOptions o = Options(2000); o.Board = "esp32c3-devkit"; return o; }
            VirtualBoardSummary host = VirtualBoardRunner.Run(C3(), null);
            Assert.True(host.Updates >= 20, "the stretch must train: " + host.Updates + " updates");
            NanoReplayResult nano;
            try { nano = NanoReplay.Run(C3(), new NanoReplayOptions { HeapBytes = Esp32C3Heap }, null); }
            catch (NanoRunFailedException e) { throw new Xunit.Sdk.XunitException(e.Message + "\n" + NanoProgram.Tail(e.Output.StandardOutput + e.Output.StandardError, 40)); }
            string all = nano.Output.StandardOutput + nano.Output.StandardError;
            Assert.DoesNotContain("OutOfMemory", all);
            AssertSameLines(host.SerialCapture, nano.SerialLines);
            // The firmware's own heap figure, measured inside the interpreter: positive and below the heap.
            int[] heaps = nano.SerialLines.Where(l => l.Contains(" heap=")).Select(HeapOf).ToArray();
            Assert.NotEmpty(heaps);
            Assert.All(heaps, h => Assert.InRange(h, 1, Esp32C3Heap));
            Assert.True(heaps[^1] > 0, "free heap at the end of the run");
        }

        [NanoRuntimeTheory]
        [InlineData(694)]   // the 6-16-2 model's checkpoint image (CheckpointStore.ImageSize: 18 counters, statistics section, its sequence number)
        [InlineData(3651)]  // the 6-48-24-2 model's
        public void The_heap_added_for_the_replays_ram_flash_is_what_the_flash_takes_on_nanoclr32(int slotCapacity)
        {
            // Free heap before and after the RAM flash is built, as the sum of every free block of 16 B or more
            // (each found by the bisecting probe and held until all are counted), so the figure does not depend on
            // whether nanoCLR compacted the heap or where RamFlash's objects land: a largest-block reading (even
            // probed twice) missed a ~630-B hole that RamFlash's small objects filled once the tape became constants.
            string entry = "int[] blocks = new int[2]; int before = FreeBlockTotal(blocks, 0); RamFlash flash = new RamFlash(" + slotCapacity + "); int after = FreeBlockTotal(blocks, 1); "
                + "System.Console.WriteLine(\"R flash_heap \" + (before - after).ToString() + \" \" + flash.SlotCapacity.ToString() + \" \" + blocks[0].ToString() + \" \" + blocks[1].ToString()); System.Console.WriteLine(\"E done\"); "
                + "static int FreeBlockTotal(int[] blocks, int slot) { AllocationProbeHeap probe = new AllocationProbeHeap(200000); object[] held = new object[256]; int total = 0; int n = 0; "
                + "while (n < held.Length) { int block = probe.FreeBytes(); if (block < 16) break; held[n++] = new byte[block]; total += block; } blocks[slot] = n; return total; }";
            using CompiledReplay compiled = NanoReplay.Compile(Options(10), new NanoReplayOptions { HeapBytes = 100000, CompareFrozen = false, ProbeHeap = false, Entry = entry });
            NanoReplayResult result = compiled.Run(100000);
            string[] measured = result.Figures["flash_heap"].Split(' ');
            Assert.Equal(slotCapacity.ToString(), measured[1]);
            int taken = int.Parse(measured[0], System.Globalization.CultureInfo.InvariantCulture);
            // Each counted block is short by under 16 B (the probe bisects to 16 B) plus its array header when
            // RamFlash fills that hole whole: at most 32 B a block.
            int blocks = int.Parse(measured[2], System.Globalization.CultureInfo.InvariantCulture) + int.Parse(measured[3], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(taken, NanoReplay.EmulatedFlashHeapBytes(slotCapacity) - 32 * blocks, NanoReplay.EmulatedFlashHeapBytes(slotCapacity) + 32 * blocks);
        }

        /// <summary>
        /// A take-mode fleet board booted from a checkpoint at base 0 takes version 0's rows (the embedded default model)
        /// into its fleet member's baseline straight from the model's file (FleetLink.Bind → FleetMember.ResetBaseline(0,
        /// file) → ParameterSet.CopyFromModelFile): on nanoclr32 that read allocates nothing; the boot holds only the file's
        /// bytes for the moment, where a second parse of the model would hold a whole network besides (measured, printed).
        /// </summary>
        [NanoRuntimeFact]
        public void Reading_version_0s_rows_from_the_model_file_allocates_nothing_on_nanoclr32()
        {
            string entry = "int[] blocks = new int[5]; int f0 = FreeBlockTotal(blocks, 0); byte[] b = TinTin.Firmware.DefaultModel.Bytes(); int f1 = FreeBlockTotal(blocks, 1); "
                + "TinTin.Core.Model m = TinTin.Core.ModelFile.Load(b, b.Length, 0, false); int f2 = FreeBlockTotal(blocks, 2); "
                + "TinTin.Fleet.ParameterSet p = new TinTin.Fleet.ParameterSet(m.Network); int f3 = FreeBlockTotal(blocks, 3); "
                + "p.CopyFromModelFile(b, b.Length); int f4 = FreeBlockTotal(blocks, 4); "
                + "System.Console.WriteLine(\"R rows_heap \" + (f0 - f1).ToString() + \" \" + (f1 - f2).ToString() + \" \" + (f2 - f3).ToString() + \" \" + (f3 - f4).ToString() + \" \" + b.Length.ToString() + \" \" + (blocks[3] + blocks[4]).ToString() + \" \" + p.Master[0][0].ToString() + \" \" + m.Network.InputLength.ToString()); System.Console.WriteLine(\"E done\"); "
                + "static int FreeBlockTotal(int[] blocks, int slot) { AllocationProbeHeap probe = new AllocationProbeHeap(200000); object[] held = new object[256]; int total = 0; int n = 0; "
                + "while (n < held.Length) { int block = probe.FreeBytes(); if (block < 16) break; held[n++] = new byte[block]; total += block; } blocks[slot] = n; return total; }";
            using CompiledReplay compiled = NanoReplay.Compile(Options(10), new NanoReplayOptions { HeapBytes = 100000, CompareFrozen = false, ProbeHeap = false, Entry = entry });
            NanoReplayResult result = compiled.Run(100000);
            int[] f = result.Figures["rows_heap"].Split(' ').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            int bytes = f[0], secondModel = f[1], parameterSet = f[2], read = f[3], fileLength = f[4], blocks = f[5];
            Console.WriteLine($"nanoclr32: the model file's bytes {bytes} B ({fileLength}-byte file), a second parse {secondModel} B more, a parameter set {parameterSet} B, the read {read} B");
            // As the RAM-flash check: each counted block is short by under 16 B plus its array header, at most 32 B a block.
            Assert.InRange(read, -32 * blocks, 32 * blocks);
            Assert.True(secondModel > 3 * fileLength, "a second model would take " + secondModel + " B");
            Assert.InRange(bytes, fileLength - 64, fileLength + 64);
        }

        /// <summary>
        /// Issue 15, session 10: a board at base v1 checkpoints v1's rows, boots, and rebases its fleet member on the rows
        /// read from the checkpoint (BaseRowsCheck): its update carries only the channels it learned since; a damaged
        /// section loads the slot without the rows and the update carries every channel. nanoCLR prints the host's lines.
        /// </summary>
        [NanoRuntimeFact]
        public void Base_rows_read_back_from_a_checkpoint_on_nanoclr_give_the_host_output()
        {
            var host = new CollectingOutput();
            BaseRowsCheck.Run(host);
            Assert.Equal("E done", host.Lines[^1]);
            string rebooted = Result(host.Lines, "rebooted"), damaged = Result(host.Lines, "damaged");
            Console.WriteLine(rebooted + "\n" + damaged);
            Assert.Equal(("1", "0", "-"), (Field(rebooted, "rows"), Field(rebooted, "every"), Field(rebooted, "why")));
            Assert.True(int.Parse(Field(rebooted, "update")) < int.Parse(Field(rebooted, "max")), rebooted);
            Assert.Equal(("0", "1"), (Field(damaged, "rows"), Field(damaged, "every")));
            Assert.Equal(Field(damaged, "max"), Field(damaged, "update"));
            Assert.Contains("why=slot 0: base rows section: CRC-32 mismatch", damaged);

            NanoProgram runtime = NanoProgram.Locate(NanoProgram.ChecksProject);
            string folder = Path.Combine(Path.GetTempPath(), "tintin-base-rows-check-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(
                    "public static class Program { public static void Main() { TinTin.Firmware.Replay.BaseRowsCheck.Run(new TinTin.Firmware.Replay.ConsoleLineOutput()); } }",
                    "TinTin.BaseRowsCheck", folder);
                NanoRunOutput run = runtime.Run(pe, 0, TimeSpan.FromMinutes(2));
                List<string> nano = run.Lines.Where(l => l.StartsWith("R ", StringComparison.Ordinal) || l.StartsWith("E ", StringComparison.Ordinal) || l.StartsWith("X ", StringComparison.Ordinal)).ToList();
                Assert.Equal(host.Lines, nano);
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }

        /// <summary>Reading the base rows from the checkpoint into the member's buffer (streamed through the store's chunk) allocates nothing on nanoclr32.</summary>
        [NanoRuntimeFact]
        public void Reading_the_base_rows_from_a_checkpoint_allocates_nothing_on_nanoclr32()
        {
            // `check` stays in use after the last probe: nanoCLR frees an object whose local is no longer read.
            string entry = "int[] blocks = new int[2]; BaseRowsCheck check = new BaseRowsCheck(); check.SaveAtBase1(); check.Boot(); check.Rebase(); "
                + "int a = FreeBlockTotal(blocks, 0); int b = FreeBlockTotal(blocks, 0); int f0 = FreeBlockTotal(blocks, 0); "
                + "string why = check.Rebase(); int f1 = FreeBlockTotal(blocks, 1); int c = FreeBlockTotal(blocks, 1); "
                + "System.Console.WriteLine(\"R rebase_heap \" + (f0 - f1).ToString() + \" \" + (blocks[0] + blocks[1]).ToString() + \" \" + (why == null ? \"1\" : \"0\") + \" \" + a.ToString() + \" \" + b.ToString() + \" \" + f0.ToString() + \" \" + f1.ToString() + \" \" + c.ToString() + \" \" + (check.Rebase() == null ? \"1\" : \"0\")); System.Console.WriteLine(\"E done\"); "
                + "static int FreeBlockTotal(int[] blocks, int slot) { AllocationProbeHeap probe = new AllocationProbeHeap(200000); object[] held = new object[256]; int total = 0; int n = 0; "
                + "while (n < held.Length) { int block = probe.FreeBytes(); if (block < 16) break; held[n++] = new byte[block]; total += block; } blocks[slot] = n; return total; }";
            using CompiledReplay compiled = NanoReplay.Compile(Options(10), new NanoReplayOptions { HeapBytes = 100000, CompareFrozen = false, ProbeHeap = false, WithChecks = true, Entry = entry });
            NanoReplayResult result = compiled.Run(100000);
            int[] f = result.Figures["rebase_heap"].Split(' ').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Console.WriteLine($"nanoclr32: reading the base rows from the checkpoint took {f[0]} B of heap ({f[1]} free blocks counted; free {string.Join(" ", f.Skip(3))})");
            Assert.Equal(1, f[2]);
            Assert.InRange(f[0], -32 * f[1], 32 * f[1]); // as the other probes: under 32 B a counted block
        }

        /// <summary>
        /// Issue 15 follow-up, session 11 (CheckpointCutCheck): image B written in place over image A and cut after every
        /// byte around its statistics section (and a few before). The boot loads G, the other slot, with G's statistics, or
        /// B with B's when the slot holds B whole; never B with A's. The cuts that leave A's whole section behind B's first
        /// CRC (its CRC holds) are rejected by the sequence number. nanoCLR prints the host's lines.
        /// </summary>
        [NanoRuntimeFact]
        public void A_checkpoint_cut_in_place_never_loads_an_older_images_statistics_on_nanoclr_as_on_the_host()
        {
            var host = new CollectingOutput();
            CheckpointCutCheck.Run(host);
            Assert.Equal("E done", host.Lines[^1]);
            var check = new CheckpointCutCheck();
            int firstCrcEnd = check.FirstCrcEnd, image = check.ImageBytes;
            List<string> cuts = host.Lines.Where(l => l.StartsWith("R cut=", StringComparison.Ordinal)).ToList();
            Assert.Equal(3 + image - (firstCrcEnd - 4) + 1, cuts.Count);
            int staleRejected = 0;
            foreach (string line in cuts)
            {
                int cut = int.Parse(Field(line, "cut"));
                string skipped = line.Substring(line.IndexOf(" skipped=", StringComparison.Ordinal) + 9);
                Assert.Equal(cut == image ? "whole" : "cut", Field(line, "save"));
                string loaded = Field(line, "loaded");
                if (loaded == "3")
                {
                    // B whole: uncut, or cut after its last byte that differs from A's (the number's high bytes).
                    Assert.True(cut == image || cut > image - 4, line);
                    Assert.Equal(("2000", "2000", "30,20", "-"), (Field(line, "samples"), Field(line, "inputs"), Field(line, "counts"), skipped));
                }
                else
                {
                    Assert.True(loaded == "2", line);
                    Assert.Equal(("1000", "1000", "25,15"), (Field(line, "samples"), Field(line, "inputs"), Field(line, "counts")));
                    Assert.Equal((-2L * 1000003L * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture), Field(line, "sum0"));
                    if (skipped == "slot 0: statistics section left by checkpoint 1 (a cut write), this is 3" && cut < image - 8) staleRejected++;
                }
            }
            // A's section whole behind B's first CRC: cuts at its end and after each byte of C and F (the same in both).
            Assert.Equal(5, staleRejected);
            Console.WriteLine(string.Join("\n", cuts.Where(l => int.Parse(Field(l, "cut")) is int c && c >= firstCrcEnd - 1 && c <= firstCrcEnd + 5 || int.Parse(Field(l, "cut")) >= image - 5)));

            NanoProgram runtime = NanoProgram.Locate(NanoProgram.ChecksProject);
            string folder = Path.Combine(Path.GetTempPath(), "tintin-checkpoint-cut-check-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(
                    "public static class Program { public static void Main() { TinTin.Firmware.Replay.CheckpointCutCheck.Run(new TinTin.Firmware.Replay.ConsoleLineOutput()); } }",
                    "TinTin.CheckpointCutCheck", folder);
                NanoRunOutput run = runtime.Run(pe, 0, TimeSpan.FromMinutes(4));
                List<string> nano = run.Lines.Where(l => l.StartsWith("R ", StringComparison.Ordinal) || l.StartsWith("E ", StringComparison.Ordinal) || l.StartsWith("X ", StringComparison.Ordinal)).ToList();
                Assert.Equal(host.Lines, nano);
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }

        /// <summary>A whole save (header, model, counters, the statistics section, its CRC and the sequence number, read back and checked) takes no heap on nanoclr32.</summary>
        [NanoRuntimeFact]
        public void A_checkpoint_save_allocates_nothing_on_nanoclr32()
        {
            // `check` stays in use after the last probe: nanoCLR frees an object whose local is no longer read.
            string entry = "int[] blocks = new int[2]; CheckpointCutCheck check = new CheckpointCutCheck(); check.SaveAAndG(); check.SaveB(); "
                + "int f0 = FreeBlockTotal(blocks, 0); check.SaveB(); check.SaveB(); int f1 = FreeBlockTotal(blocks, 1); "
                + "System.Console.WriteLine(\"R save_heap \" + (f0 - f1).ToString() + \" \" + (blocks[0] + blocks[1]).ToString() + \" \" + f0.ToString() + \" \" + f1.ToString() + \" \" + check.ImageBytes.ToString()); System.Console.WriteLine(\"E done\"); "
                + "static int FreeBlockTotal(int[] blocks, int slot) { AllocationProbeHeap probe = new AllocationProbeHeap(200000); object[] held = new object[256]; int total = 0; int n = 0; "
                + "while (n < held.Length) { int block = probe.FreeBytes(); if (block < 16) break; held[n++] = new byte[block]; total += block; } blocks[slot] = n; return total; }";
            using CompiledReplay compiled = NanoReplay.Compile(Options(10), new NanoReplayOptions { HeapBytes = 100000, CompareFrozen = false, ProbeHeap = false, WithChecks = true, Entry = entry });
            NanoReplayResult result = compiled.Run(100000);
            int[] f = result.Figures["save_heap"].Split(' ').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Console.WriteLine($"nanoclr32: two checkpoint saves of {f[4]} B took {f[0]} B of heap ({f[1]} free blocks counted; free {f[2]} / {f[3]} B)");
            Assert.Equal(new CheckpointCutCheck().ImageBytes, f[4]);
            Assert.InRange(f[0], -32 * f[1], 32 * f[1]); // as the other probes: under 32 B a counted block
        }

        [NanoRuntimeFact]
        public void Too_small_a_heap_fails_with_out_of_memory_not_silently()
        {
            var e = Assert.Throws<NanoRunFailedException>(() => NanoReplay.Run(Options(100), new NanoReplayOptions { HeapBytes = 20000 }, null));
            Assert.Contains("OutOfMemoryException", e.Message);
        }

        private static int HeapOf(string line) =>
            int.Parse(line.Split(' ').First(p => p.StartsWith("heap=", StringComparison.Ordinal)).Substring(5), System.Globalization.CultureInfo.InvariantCulture);

        [NanoRuntimeFact]
        public void Sensor_path_on_nanoclr_equals_the_host_bme280_datasheet_values_and_features()
        {
            var host = new CollectingOutput();
            SensorPathCheck.Run(host);
            Assert.Contains("S datasheet status=ok T=2508 RH=", host.Lines[0]);           // 25.08 °C
            Assert.Contains(" P=100653 t_fine=128422", host.Lines[0]);                     // 100653.25 Pa rounded
            Assert.Contains(host.Lines, l => l.StartsWith("S features k=", StringComparison.Ordinal));
            Assert.Contains(host.Lines, l => l.Contains("status=out-of-range"));
            Assert.Equal("E done", host.Lines[^1]);

            NanoProgram runtime = NanoProgram.Locate(NanoProgram.ChecksProject);
            string folder = Path.Combine(Path.GetTempPath(), "tintin-sensor-check-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(
                    "public static class Program { public static void Main() { TinTin.Firmware.Replay.SensorPathCheck.Run(new TinTin.Firmware.Replay.ConsoleLineOutput()); } }",
                    "TinTin.SensorCheck", folder);
                NanoRunOutput run = runtime.Run(pe, 0, TimeSpan.FromMinutes(2));
                List<string> nano = run.Lines.Where(l => l.StartsWith("S ", StringComparison.Ordinal) || l.StartsWith("E ", StringComparison.Ordinal) || l.StartsWith("X ", StringComparison.Ordinal)).ToList();
                Assert.Equal(host.Lines, nano);
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }

        private static string Field(string line, string key) =>
            line.Split(' ').First(p => p.StartsWith(key + "=", StringComparison.Ordinal)).Substring(key.Length + 1);

        private static string Result(List<string> lines, string what) => lines.Single(l => l.StartsWith("R " + what + " ", StringComparison.Ordinal));

        /// <summary>
        /// What only the host tests ran before (ResetTests, SerialLineReaderTests), inside nanoCLR with the
        /// host's output line for line: learn, `reset` (asks), `reset confirm` (default model, learned
        /// checkpoint kept through saves), reboot, `restore` (the learned model back), new learning
        /// replacing the kept checkpoint; and the UART line reader at reads of 1, 8, 64 and 4096 bytes.
        /// </summary>
        [NanoRuntimeFact]
        public void Reset_restore_and_the_uart_line_reader_on_nanoclr_give_the_host_output()
        {
            var host = new CollectingOutput();
            BoardFlowCheck.Run(host);
            Assert.Equal("E done", host.Lines[^1]);
            // the host run shows the flow it is meant to check
            string defaultCrc = Field(host.Lines[0], "crc"), learned = Field(Result(host.Lines, "learned"), "crc");
            Assert.NotEqual(defaultCrc, learned);
            Assert.Equal(learned, Field(Result(host.Lines, "after-reset"), "crc"));
            Assert.Equal(defaultCrc, Field(Result(host.Lines, "after-confirm"), "crc"));
            Assert.NotEqual("-1", Field(Result(host.Lines, "after-saves"), "kept"));
            Assert.Equal(defaultCrc, Field(Result(host.Lines, "rebooted"), "crc"));
            Assert.Equal(learned, Field(Result(host.Lines, "restored"), "crc"));
            Assert.Contains(host.Lines, l => l.Contains(" ok cmd=reset confirmed=0 "));
            Assert.Contains(host.Lines, l => l.Contains(" ok cmd=reset confirmed=1"));
            Assert.Contains(host.Lines, l => l.Contains(" ok cmd=restore"));
            Assert.Contains(host.Lines, l => l.Contains(" err code=nothing_kept"));
            string relearned = Field(Result(host.Lines, "relearned"), "crc");
            Assert.NotEqual(defaultCrc, relearned);
            Assert.NotEqual(learned, relearned);
            Assert.Equal(relearned, Field(Result(host.Lines, "restore-after-relearning"), "crc")); // nothing kept to restore
            // The class counts (the checkpoint's statistics section): they add up to the labelled samples, a reset clears
            // them, a reboot and a restore bring back the checkpoint's, and the input statistics carry over a reset.
            foreach (string what in new[] { "learned", "after-confirm", "rebooted", "restored", "third-boot", "relearned" })
            {
                string line = Result(host.Lines, what);
                Assert.Equal(long.Parse(Field(line, "labelled")), long.Parse(Field(line, "c0")) + long.Parse(Field(line, "c1")));
            }
            string learnedLine = Result(host.Lines, "learned");
            Assert.True(long.Parse(Field(learnedLine, "c0")) > 0 && long.Parse(Field(learnedLine, "c1")) > 0, learnedLine);
            Assert.Equal("0", Field(Result(host.Lines, "after-confirm"), "c1"));
            Assert.Equal(Field(learnedLine, "inputs"), Field(Result(host.Lines, "after-confirm"), "inputs"));
            Assert.Equal("0", Field(Result(host.Lines, "rebooted"), "c1"));
            Assert.Equal(Field(learnedLine, "c0"), Field(Result(host.Lines, "restored"), "c0"));
            Assert.Equal(Field(learnedLine, "c1"), Field(Result(host.Lines, "restored"), "c1"));
            Assert.Equal(Field(learnedLine, "inputs"), Field(Result(host.Lines, "rebooted"), "inputs")); // the reset's checkpoint kept them
            Assert.True(long.Parse(Field(learnedLine, "inputs")) > 0, learnedLine);
            Assert.Contains("failures=0", Result(host.Lines, "flash"));
            // every read size delivers the same lines: 5 + 1 + 2 + 300 + the cut long line, the non-ASCII one, an empty one and status
            string[] sizes = { "uart1", "uart8", "uart64", "uart4096" };
            var perSize = sizes.Select(t => host.Lines.Where(l => l.StartsWith("R " + t + " ", StringComparison.Ordinal))
                .Select(l => l.Substring(3 + t.Length)).ToList()).ToList();
            Assert.All(perSize, lines => Assert.Equal(perSize[0], lines));
            Assert.Contains("lines=312 many=304 buffered=0", perSize[0][^1]);
            Assert.Contains(perSize[0], l => l.Contains(" len=201 xxxx"));

            NanoProgram runtime = NanoProgram.Locate(NanoProgram.ChecksProject);
            string folder = Path.Combine(Path.GetTempPath(), "tintin-board-flow-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(
                    "public static class Program { public static void Main() { TinTin.Firmware.Replay.BoardFlowCheck.Run(new TinTin.Firmware.Replay.ConsoleLineOutput()); } }",
                    "TinTin.BoardFlowCheck", folder);
                NanoRunOutput run = runtime.Run(pe, 0, TimeSpan.FromMinutes(3));
                List<string> nano = run.Lines.Where(l => l.Length > 1 && l[1] == ' ' && "SREX".IndexOf(l[0]) >= 0).ToList();
                AssertSameLines(host.Lines, nano);
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }
    }
}
