using System;
using TinTin.Core;
using TinTin.Sensors;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// Board paths the replay does not reach, run the same way on the host and on nanoCLR (a test
    /// compares the two outputs line for line): the forget-and-restore flow (`reset`, `reset confirm`,
    /// saves that must not touch the kept checkpoint, a reboot, `restore`) and the UART line reader
    /// (<see cref="SerialLineReader"/>) at read sizes of 1, 8, 64 and 4096 bytes. Prints tagged lines
    /// (<see cref="ReplayLines"/>): every serial line of the firmware as "S …", findings as "R …",
    /// then "E done"; an exception that escapes prints "X Type: message".
    /// </summary>
    public static class BoardFlowCheck
    {
        public static void Run(ILineOutput output)
        {
            try
            {
                ResetFlow(output);
                SerialLines(output, 1);
                SerialLines(output, 8);
                SerialLines(output, 64);
                SerialLines(output, 4096);
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        // ---- reset / reset confirm / restore ----------------------------------------------------

        private static FirmwareApp Boot(ReplayClock clock, PatternSource source, RamFlash flash, ILineOutput output)
        {
            FirmwareHardware hardware = new FirmwareHardware();
            hardware.Source = source;
            hardware.Flash = flash;
            hardware.Serial = new ReplaySerial(output, 16);
            hardware.Clock = clock;
            hardware.Board = BoardProfile.Esp32DevKit(false);
            ContinualConfig learning = new ContinualConfig();
            learning.Profile = hardware.Board.Device;
            FirmwareConfig config = FirmwareConfig.WithEmbeddedModel();
            config.PredLines = false;
            config.StatEverySamples = 0;
            FirmwareApp app = new FirmwareApp(hardware, config, new ContinualLearnerFactory(learning, Network.ArenaFromBudget, false));
            app.Start();
            return app;
        }

        private static void Steps(FirmwareApp app, int n)
        {
            for (int i = 0; i < n; i++) app.Step();
        }

        private static void Model(ILineOutput output, string what, FirmwareApp app)
        {
            byte[] bytes = ModelFile.Save(app.Model);
            output.Line(ReplayLines.Result, what + " crc=" + ModelCrc(bytes).ToString()
                + " updates=" + app.Counters.Updates.ToString() + " kept=" + app.Checkpoints.KeptSlot.ToString()
                + " source=" + app.ModelSource + " labelled=" + app.Counters.Labelled.ToString()
                + " c0=" + app.Counters.ClassLabelled[0].ToString() + " c1=" + app.Counters.ClassLabelled[1].ToString()
                + " inputs=" + app.Counters.InputSamples.ToString());
        }

        /// <summary>The CRC-32 of a model file's contents (its own trailing CRC left out: with it every file gives the same residue).</summary>
        private static uint ModelCrc(byte[] file)
        {
            return Crc32.Compute(file, 0, file.Length - 4);
        }

        private static void ResetFlow(ILineOutput output)
        {
            ReplayClock clock = new ReplayClock();
            PatternSource source = new PatternSource(clock);
            byte[] defaults = DefaultModel.Bytes();
            RamFlash flash = new RamFlash(CheckpointStore.ImageSize(defaults));
            output.Line(ReplayLines.Result, "default crc=" + ModelCrc(defaults).ToString());

            FirmwareApp app = Boot(clock, source, flash, output);
            Steps(app, 150);
            app.HandleLine("label 1 600");
            Steps(app, 5);
            app.HandleLine("label 0 120");
            app.HandleLine("save");
            Model(output, "learned", app);
            app.HandleLine("reset");          // only asks
            app.HandleLine("reset now");      // refused
            Model(output, "after-reset", app);
            app.HandleLine("reset confirm");  // back to the default model; the learned checkpoint is kept
            Model(output, "after-confirm", app);
            app.HandleLine("save");
            app.HandleLine("save");
            app.HandleLine("save");
            Model(output, "after-saves", app);
            Steps(app, 20);

            FirmwareApp rebooted = Boot(clock, source, flash, output);
            Model(output, "rebooted", rebooted);
            rebooted.HandleLine("restore");
            Model(output, "restored", rebooted);
            rebooted.HandleLine("restore");   // restoring again: the same model
            Steps(rebooted, 20);
            rebooted.HandleLine("status");

            FirmwareApp third = Boot(clock, source, flash, output);
            Model(output, "third-boot", third);
            third.HandleLine("reset confirm");
            Steps(third, 150);
            third.HandleLine("label 1 600"); // new learning after a reset replaces the kept checkpoint
            Steps(third, 5);
            third.HandleLine("save");
            Model(output, "relearned", third);
            third.HandleLine("restore");
            Model(output, "restore-after-relearning", third);
            output.Line(ReplayLines.Result, "flash writes=" + flash.Writes.ToString() + " failures=" + (app.CommandFailures + rebooted.CommandFailures + third.CommandFailures).ToString());
        }

        /// <summary>A day/night pattern, one sample a minute: warmer and more humid while occupied (integers only).</summary>
        private sealed class PatternSource : ISampleSource
        {
            private readonly ReplayClock clock;
            private long index;
            public PatternSource(ReplayClock clock) { this.clock = clock; }
            public string Name { get { return "pattern"; } }
            public bool HasPressure { get { return false; } }

            public int Read(EnvironmentSample sample)
            {
                long t = index * 60000;
                clock.Ms = t;
                int phase = (int)(index % 240);
                bool occupied = phase > 100 && phase < 200;
                sample.TimestampMs = t;
                sample.TemperatureCentiC = 2050 + (occupied ? 150 : 0) + (int)(index * 7 % 13);
                sample.HumidityCentiPercent = 2600 + (occupied ? 300 : 0) + (int)(index * 5 % 11);
                sample.HasPressure = false;
                sample.Label = occupied ? 1 : 0;
                index++;
                return SampleStatus.Ok;
            }
        }

        // ---- UART line assembly ------------------------------------------------------------------

        /// <summary>A UART receive buffer: bytes arrive all at once, a read returns at most what was asked.</summary>
        private sealed class ByteQueue : ISerialBytes
        {
            private readonly byte[] bytes = new byte[16384];
            private int head, tail;
            public int Reads;

            public void Receive(string text)
            {
                for (int i = 0; i < text.Length; i++) bytes[tail++] = (byte)text[i];
            }

            public int BytesToRead { get { return tail - head; } }

            public int Read(byte[] buffer, int offset, int count)
            {
                Reads++;
                int n = 0;
                while (n < count && head < tail) buffer[offset + n++] = bytes[head++];
                return n;
            }
        }

        private static int Drain(SerialLineReader reader, ILineOutput output, string tag)
        {
            int lines = 0;
            string line;
            while ((line = reader.ReadLine()) != null)
            {
                output.Line(ReplayLines.Result, tag + " line " + lines.ToString() + " len=" + line.Length.ToString() + " " + Printable(line));
                lines++;
            }
            return lines;
        }

        /// <summary>The line with anything outside printable ASCII as '?', cut to 40 characters (the length is printed beside it).</summary>
        private static string Printable(string line)
        {
            int n = line.Length < 40 ? line.Length : 40;
            char[] chars = new char[n];
            for (int i = 0; i < n; i++) chars[i] = line[i] >= ' ' && line[i] <= '~' ? line[i] : '?';
            return new string(chars);
        }

        private static void SerialLines(ILineOutput output, int readSize)
        {
            string tag = "uart" + readSize.ToString();
            ByteQueue uart = new ByteQueue();
            SerialLineReader reader = new SerialLineReader(uart, readSize);
            // five commands back to back
            uart.Receive("status\r\nlabel 1 60\r\nbudget 2048\r\npred off\r\nhelp\r\n");
            int lines = Drain(reader, output, tag + " burst");
            // a line split across reads, a partial tail that waits for its newline
            uart.Receive("label 0 12\nsta");
            lines += Drain(reader, output, tag + " split");
            uart.Receive("tus\nsave\n");
            lines += Drain(reader, output, tag + " tail");
            // 300 lines in one burst, an overlong line (cut to 201 characters), non-ASCII bytes, a bare CR
            for (int i = 0; i < 300; i++) uart.Receive("label " + (i % 2).ToString() + " " + (i + 1).ToString() + "\n");
            string longLine = new string('x', Protocol.MaxLineChars + 500);
            uart.Receive(longLine + "\nst\u00e9\u00ff\r\r\n\nstatus\n");
            int before = lines;
            lines += Drain(reader, output, tag + " many");
            output.Line(ReplayLines.Result, tag + " lines=" + lines.ToString() + " many=" + (lines - before).ToString() + " buffered=" + reader.BufferedBytes.ToString());
        }
    }
}
