using System;
using TinTin.Core;
using TinTin.Sensors;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// The board's main loop (<see cref="BoardLoop"/>, what BoardRunner runs on an ESP32 or STM32) with the
    /// board's constants (a sample a minute, a 50-ms tick, <see cref="BoardLoop.BoardConfig"/>) on fake
    /// hardware: a sensor replaying real occupancy rows, a button whose level is scripted in time and
    /// classified by the board's <see cref="PressClassifier"/>, a serial port that captures every byte,
    /// checkpoint files in RAM behind the board's <see cref="FileSlotFlash"/>, a clock the loop's waits
    /// advance. Then a power cut in the middle of a checkpoint write and two reboots. Run the same way on
    /// the host and on nanoCLR (tests/TinTin.Firmware.Tests BoardLoopTests compares the outputs). Prints
    /// tagged lines (<see cref="ReplayLines"/>): the serial lines "S …", findings "R …", "E done"; an
    /// exception that escapes prints "X Type: message".
    /// </summary>
    public static class BoardLoopCheck
    {
        /// <summary>The first replayed row: data rows 812..851 of data/occupancy/datatraining.txt (2015-02-05 07:22–08:01, the room fills at row 832).</summary>
        public const int FirstRow = 812;
        /// <summary>Values per row in <see cref="Rows"/>.</summary>
        public const int RowFields = 3;
        /// <summary>[row][temperature centi-°C, humidity centi-%RH, occupancy], rounded half away from zero as the host's ReplaySource does.</summary>
        public static readonly int[] Rows =
        {
            2070, 2250, 0,   2070, 2250, 0,   2070, 2250, 0,   2070, 2250, 0,
            2070, 2250, 0,   2070, 2250, 0,   2070, 2250, 0,   2070, 2250, 0,
            2070, 2245, 0,   2070, 2250, 0,   2070, 2239, 0,   2070, 2239, 0,
            2070, 2239, 0,   2070, 2239, 0,   2070, 2239, 0,   2070, 2239, 0,
            2070, 2239, 1,   2070, 2242, 0,   2070, 2250, 0,   2070, 2246, 0,
            2072, 2250, 1,   2073, 2250, 1,   2072, 2253, 1,   2077, 2265, 1,
            2079, 2279, 1,   2082, 2287, 1,   2082, 2303, 1,   2082, 2303, 1,
            2089, 2318, 1,   2089, 2329, 1,   2089, 2329, 1,   2089, 2329, 1,
            2089, 2332, 1,   2095, 2339, 1,   2096, 2346, 1,   2100, 2350, 1,
            2100, 2350, 1,   2100, 2357, 1,   2100, 2360, 1,   2100, 2360, 1,
        };

        /// <summary>Bytes of the checkpoint image written before the power cut (the 6-48-24-2 model's image is 3,651 B with its statistics section and its sequence number).</summary>
        public const int CutAfterBytes = 1000;

        private const int Minute = 60000;

        public static void Run(ILineOutput output)
        {
            try
            {
                Scenario(output);
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        /// <summary>The hardware that outlives a reboot: the clock (set back to 0 at each boot), sensor, button, serial line and flash files.</summary>
        private sealed class Rig
        {
            public readonly FakeClock Clock = new FakeClock();
            public readonly RowSource Sensor;
            public readonly ScriptedButton Button;
            public readonly CapturingSerial Serial;
            public readonly RamFiles Files = new RamFiles(4, 4096); // a checkpoint image of the 6-48-24-2 model is 3,579 B

            public Rig(ILineOutput output)
            {
                Sensor = new RowSource(Clock);
                Button = new ScriptedButton(Clock, 8);
                Serial = new CapturingSerial(Clock, output, 8);
            }
        }

        // Each boot runs in its own method, so the previous boot's firmware (model, learner, arena) is garbage
        // when the next one starts, as after a board's reset: the check fits the ESP32's heap on nanoclr32.
        private static void Scenario(ILineOutput output)
        {
            Rig rig = new Rig(output);
            uint saved = FirstBoot(rig, output);
            uint resaved = Reboot(rig, output, saved);
            ThirdBoot(rig, output, resaved);
            FlashMisuse(output, rig.Files);
            output.Line(ReplayLines.Result, "serial bytes=" + rig.Serial.Bytes.ToString() + " crc=" + rig.Serial.Crc.ToString() + " lines=" + rig.Serial.Lines.ToString()
                + " presses=" + rig.Button.Presses.ToString() + " rows=" + rig.Sensor.Reads.ToString());
        }

        /// <summary>
        /// First boot, empty flash: 31 samples (0:00 … 30:00), a status command, a short press over the empty room
        /// (labels 7:10–12:10 as class 0), a long press once it filled (19:20–24:20 as class 1); a save by command,
        /// more learning (long press at 35:20), then a power cut 1,000 bytes into the next save. Returns the CRC of
        /// the model last saved whole.
        /// </summary>
        private static uint FirstBoot(Rig rig, ILineOutput output)
        {
            FakeClock clock = rig.Clock;
            BoardLoop loop = Boot(rig);
            rig.Serial.SendAt(5 * Minute + 1000, "status");
            rig.Button.PressAt(12 * Minute + 10000, 300);
            rig.Button.PressAt(24 * Minute + 20000, 1500);
            RunUntil(loop, clock, 30 * Minute + 1000);
            Report(output, "first-boot", loop, rig.Files);

            rig.Serial.SendAt(31 * Minute + 1000, "save");
            RunUntil(loop, clock, 31 * Minute + 2000);
            uint saved = ModelCrc(loop.App);
            Report(output, "saved", loop, rig.Files);
            rig.Button.PressAt(35 * Minute + 20000, 1500);
            RunUntil(loop, clock, 36 * Minute + 500);
            Report(output, "before-cut", loop, rig.Files);
            rig.Files.CutAfter(CutAfterBytes);
            rig.Serial.SendAt(36 * Minute + 1000, "save");
            RunUntil(loop, clock, 36 * Minute + 1500);
            Report(output, "cut", loop, rig.Files);
            rig.Files.PowerOn();
            return saved;
        }

        /// <summary>
        /// Reboot: a new clock from 0, the last good checkpoint; the rows go on (37..39, then from the first, the
        /// empty room again), a short press labels 5:20–10:20 as class 0, a save completes. Returns its model's CRC.
        /// </summary>
        private static uint Reboot(Rig rig, ILineOutput output, uint saved)
        {
            rig.Clock.Ms = 0;
            BoardLoop loop = Boot(rig);
            output.Line(ReplayLines.Result, "rebooted-model " + (ModelCrc(loop.App) == saved ? "is" : "is-not") + "-the-last-good-save source=" + loop.App.ModelSource);
            Report(output, "rebooted", loop, rig.Files);
            rig.Button.PressAt(10 * Minute + 20000, 300);
            rig.Serial.SendAt(11 * Minute + 1000, "save");
            RunUntil(loop, rig.Clock, 11 * Minute + 2000);
            uint resaved = ModelCrc(loop.App);
            Report(output, "resaved", loop, rig.Files);
            return resaved;
        }

        /// <summary>Second reboot: the newest checkpoint.</summary>
        private static void ThirdBoot(Rig rig, ILineOutput output, uint resaved)
        {
            rig.Clock.Ms = 0;
            BoardLoop loop = Boot(rig);
            output.Line(ReplayLines.Result, "third-boot-model " + (ModelCrc(loop.App) == resaved ? "is" : "is-not") + "-the-newest-save source=" + loop.App.ModelSource);
            Report(output, "third-boot", loop, rig.Files);
        }

        private static BoardLoop Boot(Rig rig)
        {
            FirmwareHardware hardware = new FirmwareHardware();
            hardware.Source = rig.Sensor;
            hardware.Button = rig.Button;
            hardware.Led = null;
            hardware.Flash = new FileSlotFlash(rig.Files, "I:\\tintin_ckpt", 16 * 1024);
            hardware.Serial = rig.Serial;
            hardware.Clock = rig.Clock;
            hardware.Heap = null; // heap=-1: nanoFramework's GC.Run aborts the POSIX nanoCLR
            hardware.Board = BoardProfile.Esp32DevKit(false); // time estimated from MACs: the same on the host and nanoCLR
            BoardLoop loop = new BoardLoop(hardware, BoardLoop.BoardConfig(), new ClockDelay(rig.Clock), BoardLoop.SamplePeriodMs, BoardLoop.TickMs);
            loop.Start(null);
            return loop;
        }

        private static void RunUntil(BoardLoop loop, FakeClock clock, long untilMs)
        {
            while (clock.Ms < untilMs) loop.Tick();
        }

        private static void Report(ILineOutput output, string what, BoardLoop loop, RamFiles files)
        {
            FirmwareApp app = loop.App;
            output.Line(ReplayLines.Result, what + " crc=" + ModelCrc(app).ToString() + " samples=" + loop.Samples.ToString() + " ticks=" + loop.Ticks.ToString()
                + " updates=" + app.Counters.Updates.ToString() + " checkpoints=" + app.Counters.Checkpoints.ToString() + " presses=" + app.Counters.ButtonPresses.ToString()
                + " labelled=" + app.Counters.Labelled.ToString() + " failures=" + app.CommandFailures.ToString()
                + " slot0=" + files.LengthOf("I:\\tintin_ckpt0.bin").ToString() + " slot1=" + files.LengthOf("I:\\tintin_ckpt1.bin").ToString());
        }

        /// <summary>The CRC-32 of the model file's contents (its own trailing CRC left out).</summary>
        private static uint ModelCrc(FirmwareApp app)
        {
            byte[] file = ModelFile.Save(app.Model);
            return Crc32.Compute(file, 0, file.Length - 4);
        }

        /// <summary>What FileSlotFlash refuses: a chunk out of order, an image over the slot, a slot that does not exist.</summary>
        private static void FlashMisuse(ILineOutput output, RamFiles files)
        {
            FileSlotFlash flash = new FileSlotFlash(files, "I:\\misuse", 64);
            byte[] chunk = new byte[16];
            Refused(output, "out-of-order", flash, 0, 16, chunk, 16);
            flash.Write(0, 0, chunk, 16);
            Refused(output, "gap", flash, 0, 32, chunk, 16);
            Refused(output, "other-slot", flash, 1, 16, chunk, 16);
            Refused(output, "over-capacity", flash, 0, 56, chunk, 16);
            Refused(output, "no-slot-2", flash, 2, 0, chunk, 16);
            flash.Write(0, 16, chunk, 16);
            byte[] back = new byte[64];
            output.Line(ReplayLines.Result, "flash in-order read=" + flash.Read(0, 0, back, 64).ToString() + " empty-slot read=" + flash.Read(1, 0, back, 64).ToString());
        }

        private static void Refused(ILineOutput output, string what, FileSlotFlash flash, int slot, int offset, byte[] data, int count)
        {
            try
            {
                flash.Write(slot, offset, data, count);
                output.Line(ReplayLines.Result, "flash " + what + " accepted");
            }
            catch (ArgumentException e)
            {
                output.Line(ReplayLines.Result, "flash " + what + " refused: " + e.Message);
            }
        }

        // ---- fakes --------------------------------------------------------------------------------

        /// <summary>The board clock, advanced only by the loop's waits; NowUs follows it (never the machine's time).</summary>
        private sealed class FakeClock : IClock
        {
            public long Ms;
            public long NowMs { get { return Ms; } }
            public long NowUs { get { return Ms * 1000; } }
        }

        private sealed class ClockDelay : IDelay
        {
            private readonly FakeClock clock;
            public ClockDelay(FakeClock clock) { this.clock = clock; }
            public void Wait(int milliseconds) { clock.Ms += milliseconds; }
        }

        /// <summary>The BME280's place: the next real row (after the last, the first again), stamped with the board clock as Bme280Source stamps its readings; no label (a board has none).</summary>
        private sealed class RowSource : ISampleSource
        {
            private readonly FakeClock clock;
            public int Reads;
            public RowSource(FakeClock clock) { this.clock = clock; }
            public string Name { get { return "occupancy-rows"; } }
            public bool HasPressure { get { return false; } }

            public int Read(EnvironmentSample sample)
            {
                int row = Reads % (Rows.Length / RowFields);
                Reads++;
                sample.TimestampMs = clock.Ms;
                sample.TemperatureCentiC = Rows[row * RowFields];
                sample.HumidityCentiPercent = Rows[row * RowFields + 1];
                sample.PressurePa = 0;
                sample.HasPressure = false;
                sample.Label = -1;
                return SensorLimits.Check(sample);
            }
        }

        /// <summary>A button held down over scripted stretches of board time; the board's PressClassifier turns the level into presses.</summary>
        private sealed class ScriptedButton : IButton
        {
            private readonly FakeClock clock;
            private readonly PressClassifier presses = new PressClassifier();
            private readonly long[] downMs, upMs;   // [capacity]
            private int head, count;
            public int Presses;

            public ScriptedButton(FakeClock clock, int capacity)
            {
                this.clock = clock;
                downMs = new long[capacity];
                upMs = new long[capacity];
            }

            public void PressAt(long atMs, int holdMs)
            {
                downMs[count] = atMs;
                upMs[count] = atMs + holdMs;
                count++;
            }

            public int PollPress()
            {
                long now = clock.Ms;
                bool down = head < count && now >= downMs[head] && now < upMs[head];
                int press = presses.Poll(down, now);
                if (head < count && now >= upMs[head]) head++;
                if (press != ButtonPress.None) Presses++;
                return press;
            }
        }

        /// <summary>The UART: lines typed at scripted board times in; every written byte counted into a CRC-32, lines out as "S …".</summary>
        private sealed class CapturingSerial : ISerialPort
        {
            private readonly FakeClock clock;
            private readonly ILineOutput output;
            private readonly LineAssembler assembler = new LineAssembler();
            private readonly long[] atMs;       // [capacity]
            private readonly string[] lines;    // [capacity]
            private int head, count;
            public long Bytes, Lines;
            public uint Crc;

            public CapturingSerial(FakeClock clock, ILineOutput output, int capacity)
            {
                this.clock = clock;
                this.output = output;
                atMs = new long[capacity];
                lines = new string[capacity];
            }

            public void SendAt(long at, string line)
            {
                if (count == lines.Length) throw new InvalidOperationException("more than " + lines.Length + " scripted lines");
                atMs[count] = at;
                lines[count] = line;
                count++;
            }

            public string ReadLine()
            {
                if (head == count || atMs[head] > clock.Ms) return null;
                string line = lines[head];
                head++;
                if (head == count) head = count = 0;
                return line;
            }

            public void Write(byte[] buffer, int offset, int n)
            {
                Crc = Crc32.Update(Crc, buffer, offset, n);
                Bytes += n;
                for (int i = offset; i < offset + n; i++)
                {
                    string line = assembler.Feed(buffer[i]);
                    if (line == null) continue;
                    Lines++;
                    output.Line(ReplayLines.Serial, line);
                }
            }
        }

        /// <summary>
        /// Files in RAM, as FileSystemFiles sees a board's drive: Create truncates. A power cut (<see cref="CutAfter"/>)
        /// keeps the bytes appended before it and refuses the rest, as a file system that lost power mid-write leaves a prefix.
        /// </summary>
        private sealed class RamFiles : ISlotFiles
        {
            private readonly string[] paths;     // [files], the first fileCount in use (a new string[]'s elements are not null on nanoCLR)
            private int fileCount;
            private readonly byte[][] contents;  // [files][capacity]
            private readonly int[] lengths;      // [files]
            private int open = -1;
            private long budget = -1;            // bytes left before the power cut, -1: no cut

            public RamFiles(int files, int capacity)
            {
                paths = new string[files];
                contents = new byte[files][];
                lengths = new int[files];
                for (int i = 0; i < files; i++) contents[i] = new byte[capacity];
            }

            public void CutAfter(long bytes) { budget = bytes; }
            public void PowerOn() { budget = -1; open = -1; }

            private int IndexOf(string path)
            {
                for (int i = 0; i < fileCount; i++) if (paths[i] == path) return i;
                return -1;
            }

            public int LengthOf(string path)
            {
                int i = IndexOf(path);
                return i < 0 ? -1 : lengths[i];
            }

            public int ReadAt(string path, int offset, byte[] buffer, int count)
            {
                int i = IndexOf(path);
                if (i < 0 || offset >= lengths[i]) return 0;
                int n = lengths[i] - offset;
                if (n > count) n = count;
                Array.Copy(contents[i], offset, buffer, 0, n);
                return n;
            }

            public void Create(string path)
            {
                int i = IndexOf(path);
                if (i < 0)
                {
                    if (fileCount == paths.Length) throw new InvalidOperationException("no room for a file " + path);
                    i = fileCount++;
                    paths[i] = path;
                }
                lengths[i] = 0;
                open = i;
            }

            public void Append(byte[] data, int count)
            {
                if (open < 0) throw new InvalidOperationException("no file open");
                int n = count;
                if (budget >= 0 && n > budget) n = (int)budget;
                if (lengths[open] + n > contents[open].Length) throw new InvalidOperationException("file over " + contents[open].Length + " bytes");
                Array.Copy(data, 0, contents[open], lengths[open], n);
                lengths[open] += n;
                if (budget >= 0)
                {
                    budget -= n;
                    if (n < count) throw new InvalidOperationException("power cut after " + lengths[open] + " bytes of " + paths[open]);
                }
            }

            public void Close() { open = -1; }
        }
    }
}
