using System;
using TinTin.Sensors;

namespace TinTin.Firmware.Replay
{
    /// <summary>Where the driver's lines go: the console on nanoCLR (each line tagged, see <see cref="ReplayLines"/>).</summary>
    public interface ILineOutput
    {
        void Line(string tag, string text);
    }

    /// <summary>The driver's output tags: one letter and a space before each line, so the host can tell them from the runtime's own messages.</summary>
    public static class ReplayLines
    {
        /// <summary>A serial protocol line the firmware wrote.</summary>
        public const string Serial = "S";
        /// <summary>A summary figure: "R key value".</summary>
        public const string Result = "R";
        /// <summary>An exception that stopped the run: "X Type: message".</summary>
        public const string Failure = "X";
        /// <summary>The run completed.</summary>
        public const string End = "E";
    }

    /// <summary>Console output: "TAG text" per line (nanoCLR ends console lines with CRLF; the host strips the CR).</summary>
    public sealed class ConsoleLineOutput : ILineOutput
    {
        public void Line(string tag, string text) { Console.WriteLine(tag + " " + text); }
    }

    /// <summary>The board's clock in the replay: NowMs follows the data; NowUs is the machine's clock (only measured, never printed: the virtual board estimates time from MACs).</summary>
    public sealed class ReplayClock : IClock
    {
        public long Ms;
        public long NowMs { get { return Ms; } }
        public long NowUs { get { return DateTime.UtcNow.Ticks / 10; } }
    }

    /// <summary>
    /// The replayed sensor: row i of the tape, checked by the board's SensorLimits, with the
    /// board's time set from the data (ms since the first row) as the host's ClockedSource does.
    /// </summary>
    public sealed class ReplaySampleSource : ISampleSource
    {
        private readonly TapeReader rows;
        private readonly ReplayClock clock;
        private readonly string name;
        private readonly bool hasPressure;

        public ReplaySampleSource(ReplayTape tape, ReplayClock clock)
        {
            rows = new TapeReader(tape.Rows);
            this.clock = clock;
            name = tape.SourceName;
            hasPressure = tape.HasPressure;
        }

        public string Name { get { return name; } }
        public bool HasPressure { get { return hasPressure; } }
        /// <summary>Ground truth of the last row read (-1: none).</summary>
        public int LastLabel = -1;
        /// <summary>Rows read (faulty ones included).</summary>
        public int Reads;

        public int Read(EnvironmentSample sample)
        {
            if (rows.AtEnd) return SampleStatus.EndOfData;
            sample.TimestampMs = rows.NextInteger();
            sample.TemperatureCentiC = (int)rows.NextInteger();
            sample.HumidityCentiPercent = (int)rows.NextInteger();
            sample.PressurePa = (int)rows.NextInteger();
            sample.HasPressure = hasPressure;
            sample.Label = (int)rows.NextInteger();
            int status = SensorLimits.Check(sample);
            Reads++;
            if (sample.TimestampMs > clock.Ms) clock.Ms = sample.TimestampMs;
            LastLabel = sample.Label;
            return status;
        }
    }

    /// <summary>The label button pressed by the virtual person: presses queued with the board time they happen at.</summary>
    public sealed class ScheduledButton : IButton
    {
        private readonly IClock clock;
        private readonly long[] at;
        private readonly int[] kind;
        private int head, count;
        public int Presses;

        public ScheduledButton(IClock clock, int capacity)
        {
            this.clock = clock;
            at = new long[capacity];
            kind = new int[capacity];
        }

        public void PressAt(long atMs, int press)
        {
            if (count == at.Length) throw new InvalidOperationException("more than " + at.Length + " presses pending");
            int slot = (head + count) % at.Length;
            at[slot] = atMs;
            kind[slot] = press;
            count++;
        }

        public int PollPress()
        {
            if (count == 0 || at[head] > clock.NowMs) return ButtonPress.None;
            int press = kind[head];
            head = (head + 1) % at.Length;
            count--;
            Presses++;
            return press;
        }
    }

    /// <summary>The serial port: written bytes become tagged console lines; received lines come from a queue the driver fills.</summary>
    public sealed class ReplaySerial : ISerialPort
    {
        private readonly ILineOutput output;
        private readonly LineAssembler assembler = new LineAssembler();
        private readonly string[] input;
        private int head, count;
        public long LinesWritten;

        public ReplaySerial(ILineOutput output, int inputCapacity)
        {
            this.output = output;
            input = new string[inputCapacity];
        }

        /// <summary>Queues a line as if the host had typed it.</summary>
        public void Send(string line)
        {
            if (count == input.Length) throw new InvalidOperationException("more than " + input.Length + " serial lines pending");
            input[(head + count) % input.Length] = line;
            count++;
        }

        public string ReadLine()
        {
            if (count == 0) return null;
            string line = input[head];
            input[head] = null;
            head = (head + 1) % input.Length;
            count--;
            return line;
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            for (int i = offset; i < offset + count; i++)
            {
                string line = assembler.Feed(buffer[i]);
                if (line == null) continue;
                LinesWritten++;
                output.Line(ReplayLines.Serial, line);
            }
        }
    }

    /// <summary>
    /// Flash in RAM: two slots of exactly one checkpoint image each, allocated up front (before the
    /// engine, so they do not split the heap later). An artefact of the replay: a board's flash is
    /// outside its managed heap, here the two images (CheckpointStore.ImageSize of the model) count
    /// against it.
    /// </summary>
    public sealed class RamFlash : IFlashStore
    {
        private readonly byte[][] slots = new byte[2][];   // [2][slotCapacity]
        private readonly int[] lengths = new int[2];
        private readonly int capacity;

        public RamFlash(int slotCapacity)
        {
            capacity = slotCapacity;
            slots[0] = new byte[slotCapacity];
            slots[1] = new byte[slotCapacity];
        }
        public int SlotCount { get { return 2; } }
        public int SlotCapacity { get { return capacity; } }
        public int Writes;

        public int Read(int slot, int offset, byte[] buffer, int count)
        {
            CheckSlot(slot);
            int n = lengths[slot] - offset;
            if (n > count) n = count;
            if (n <= 0 || offset < 0) return 0;
            Array.Copy(slots[slot], offset, buffer, 0, n);
            return n;
        }

        public void Write(int slot, int offset, byte[] data, int count)
        {
            CheckSlot(slot);
            if (offset != 0 && offset != lengths[slot]) throw new ArgumentException("flash slot " + slot + " is written in order: offset " + offset + ", image so far " + lengths[slot] + " bytes");
            if (offset + count > capacity) throw new ArgumentException("flash slot " + slot + " holds " + capacity + " bytes, not " + (offset + count));
            Array.Copy(data, 0, slots[slot], offset, count);
            lengths[slot] = offset + count;
            if (offset == 0) Writes++;
        }

        private static void CheckSlot(int slot)
        {
            if (slot < 0 || slot > 1) throw new ArgumentException("flash has slots 0..1");
        }
    }

    /// <summary>
    /// Free managed heap, measured with nanoFramework's own allocator: the largest byte[] that can
    /// be allocated, found by bisection (a failed allocation makes nanoCLR collect and compact
    /// first, then throw OutOfMemoryException). After compaction the free heap is one block, so
    /// this is the free heap to within the 16-byte step and an array header. A board binding uses
    /// nanoFramework.Runtime.Native.GC.Run(false) instead, which aborts the POSIX nanoCLR.
    /// Costs about 20 allocations per call: the firmware asks only for hello and stat lines.
    /// </summary>
    public sealed class AllocationProbeHeap : IHeapMonitor
    {
        private readonly int upperBytes;
        public AllocationProbeHeap(int upperBytes) { this.upperBytes = upperBytes; }

        public int FreeBytes()
        {
            int lo = 0, hi = upperBytes;
            while (hi - lo > 16)
            {
                int mid = lo + (hi - lo) / 2;
                if (CanAllocate(mid)) lo = mid; else hi = mid;
            }
            return lo;
        }

        private static bool CanAllocate(int bytes)
        {
            try
            {
                byte[] probe = new byte[bytes];
                return probe.Length == bytes;
            }
            catch (OutOfMemoryException)
            {
                return false;
            }
        }
    }
}
