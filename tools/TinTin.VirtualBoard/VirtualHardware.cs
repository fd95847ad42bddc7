using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using TinTin.Firmware;
using TinTin.Sensors;

namespace TinTin.VirtualBoard
{
    /// <summary>The virtual board's clock: NowMs is set from the replayed samples (simulated time); NowUs is the host's monotonic clock.</summary>
    public sealed class SimulatedBoardClock : IClock
    {
        private readonly Stopwatch watch = Stopwatch.StartNew();
        public long NowMs { get; set; }
        public long NowUs => watch.ElapsedTicks * 1_000_000L / Stopwatch.Frequency;
    }

    /// <summary>
    /// Wraps a replay source so the board's time follows the data: each sample's time becomes
    /// milliseconds since the first sample (a board's uptime), and the clock is set to it.
    /// </summary>
    public sealed class ClockedSource : ISampleSource
    {
        private readonly ISampleSource inner;
        private readonly SimulatedBoardClock clock;
        private long firstMs = long.MinValue;

        public ClockedSource(ISampleSource inner, SimulatedBoardClock clock) { this.inner = inner; this.clock = clock; }
        public string Name => inner.Name;
        public bool HasPressure => inner.HasPressure;
        /// <summary>Ground truth of the last sample read (-1 if unknown).</summary>
        public int LastLabel { get; private set; } = -1;
        public int Reads { get; private set; }

        public int Read(EnvironmentSample sample)
        {
            int status = inner.Read(sample);
            if (status == SampleStatus.EndOfData) return status;
            Reads++;
            if (firstMs == long.MinValue) firstMs = sample.TimestampMs;
            sample.TimestampMs -= firstMs;
            if (sample.TimestampMs > clock.NowMs) clock.NowMs = sample.TimestampMs;
            LastLabel = sample.Label;
            return status;
        }
    }

    /// <summary>A button pressed by the virtual person: presses are queued with the board time they happen at.</summary>
    public sealed class VirtualButton : IButton
    {
        private readonly IClock clock;
        private readonly Queue<(long AtMs, int Kind)> presses = new();
        public VirtualButton(IClock clock) { this.clock = clock; }
        public int Presses { get; private set; }

        public void PressAt(long atMs, int kind) => presses.Enqueue((atMs, kind));

        public int PollPress()
        {
            if (presses.Count == 0 || presses.Peek().AtMs > clock.NowMs) return ButtonPress.None;
            Presses++;
            return presses.Dequeue().Kind;
        }
    }

    /// <summary>The LED: remembers its state and how often it switched.</summary>
    public sealed class VirtualLed : ILed
    {
        public bool On { get; private set; }
        public int Switches { get; private set; }
        public void Set(bool on) { if (on != On) Switches++; On = on; }
    }

    /// <summary>Thrown by <see cref="FileFlashStore"/> when an injected power cut stops a write.</summary>
    public sealed class PowerCutException : IOException
    {
        public PowerCutException(int slot, int written) : base($"power cut while writing flash slot {slot} after {written} bytes") { }
    }

    /// <summary>
    /// Flash as files (slot0.bin, slot1.bin in a folder). A write truncates the slot and writes the
    /// bytes in order, flushing as it goes. Fault injection: with CutAfterBytes = k ≥ 0 the next write
    /// stops after k bytes (the file keeps exactly those) and throws <see cref="PowerCutException"/>;
    /// the "board" is then considered off. With OverwriteInPlace the slot is not truncated first (NOR
    /// flash written without erase: new prefix, old tail).
    /// </summary>
    public sealed class FileFlashStore : IFlashStore
    {
        private readonly string folder;
        public FileFlashStore(string folder, int slotCapacity = 64 * 1024)
        {
            this.folder = folder;
            SlotCapacity = slotCapacity;
            Directory.CreateDirectory(folder);
        }

        public int SlotCount => 2;
        public int SlotCapacity { get; }
        public int CutAfterBytes { get; set; } = -1;
        public bool OverwriteInPlace { get; set; }
        /// <summary>The next writes (this many) silently store the data with one byte changed: a failing flash that reports no error.</summary>
        public int GarbleNextWrites { get; set; }
        public int Writes { get; private set; }
        public string Folder => folder;

        public string SlotPath(int slot) => Path.Combine(folder, "slot" + slot + ".bin");

        public int Read(int slot, int offset, byte[] buffer, int count)
        {
            CheckSlot(slot);
            string path = SlotPath(slot);
            if (!File.Exists(path)) return 0;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (offset >= stream.Length) return 0;
            stream.Seek(offset, SeekOrigin.Begin);
            int total = 0, n;
            while (total < count && (n = stream.Read(buffer, total, count - total)) > 0) total += n;
            return total;
        }

        /// <summary>
        /// Offset 0 starts a new image (the file is truncated unless OverwriteInPlace); later chunks continue it.
        /// Fault injection counts bytes from the image's start: CutAfterBytes = k cuts the image after k bytes,
        /// GarbleNextWrites changes one byte of the image's first chunk; <see cref="Writes"/> counts images.
        /// </summary>
        public void Write(int slot, int offset, byte[] data, int count)
        {
            CheckSlot(slot);
            if (offset + count > SlotCapacity) throw new IOException($"flash slot {slot} holds {SlotCapacity} bytes, not {offset + count}");
            if (offset == 0) { Writes++; imageLength = 0; garbleImage = GarbleNextWrites > 0; if (garbleImage) GarbleNextWrites--; }
            if (offset != imageLength) throw new IOException($"flash slot {slot} is written in order: offset {offset}, image so far {imageLength} bytes");
            using var stream = new FileStream(SlotPath(slot), offset == 0 && !OverwriteInPlace ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
            stream.Seek(offset, SeekOrigin.Begin);
            int cut = CutAfterBytes;
            if (cut >= 0 && cut < offset + count)
            {
                int keep = Math.Max(0, cut - offset);
                stream.Write(data, 0, keep);
                stream.Flush(true);
                CutAfterBytes = -1;
                throw new PowerCutException(slot, offset + keep);
            }
            if (garbleImage && offset == 0)
            {
                byte[] garbled = new byte[count];
                Array.Copy(data, garbled, count);
                garbled[count / 2] ^= 0x5A;
                stream.Write(garbled, 0, count);
            }
            else stream.Write(data, 0, count);
            stream.Flush(true);
            imageLength = offset + count;
        }

        private int imageLength;
        private bool garbleImage;

        public void Erase()
        {
            for (int s = 0; s < SlotCount; s++) if (File.Exists(SlotPath(s))) File.Delete(SlotPath(s));
        }

        private void CheckSlot(int slot)
        {
            if (slot < 0 || slot >= SlotCount) throw new ArgumentOutOfRangeException(nameof(slot), $"flash has slots 0..{SlotCount - 1}");
        }
    }

    /// <summary>
    /// The serial port of the virtual board. Output bytes go to a stream (stdout, a pty opened with
    /// FileStream, a file) and/or are kept as lines for tests; input lines come from a queue fed by
    /// tests, the virtual person, or a reader thread on a stream (a pty).
    /// </summary>
    public sealed class VirtualSerialPort : ISerialPort, IDisposable
    {
        private readonly ConcurrentQueue<string> input = new();
        private readonly Stream output;
        private readonly List<string> captured;
        private readonly LineAssembler outputAssembler = new();
        private Thread reader;
        private volatile bool closing;

        /// <param name="output">Where serial bytes go (null: nowhere).</param>
        /// <param name="capture">Keep every output line in <see cref="Lines"/>.</param>
        public VirtualSerialPort(Stream output, bool capture)
        {
            this.output = output;
            if (capture) captured = new List<string>();
        }

        /// <summary>Output lines so far (when capturing).</summary>
        public IReadOnlyList<string> Lines => captured;
        public long BytesWritten { get; private set; }
        public long LinesWritten { get; private set; }

        /// <summary>Queues a line as if the host had typed it.</summary>
        public void Send(string line) => input.Enqueue(line);

        /// <summary>Reads lines from a stream (e.g. the board end of a pseudo-terminal) on a background thread.</summary>
        public void StartReading(Stream stream)
        {
            var assembler = new LineAssembler();
            reader = new Thread(() =>
            {
                var buffer = new byte[256];
                try
                {
                    while (!closing)
                    {
                        int n = stream.Read(buffer, 0, buffer.Length);
                        if (n <= 0) { Thread.Sleep(20); continue; }
                        for (int i = 0; i < n; i++)
                        {
                            string line = assembler.Feed(buffer[i]);
                            if (line != null) input.Enqueue(line);
                        }
                    }
                }
                catch (Exception) when (closing) { }
                catch (IOException) { }
                catch (ObjectDisposedException) { }
            }) { IsBackground = true, Name = "virtual-serial-reader" };
            reader.Start();
        }

        public string ReadLine() => input.TryDequeue(out string line) ? line : null;

        public void Write(byte[] buffer, int offset, int count)
        {
            BytesWritten += count;
            for (int i = offset; i < offset + count; i++) if (buffer[i] == (byte)'\n') LinesWritten++;
            output?.Write(buffer, offset, count);
            if (captured != null)
                for (int i = offset; i < offset + count; i++)
                {
                    string line = outputAssembler.Feed(buffer[i]);
                    if (line != null) captured.Add(line);
                }
        }

        public void Flush() => output?.Flush();

        public void Dispose()
        {
            closing = true;
            try { output?.Flush(); } catch (IOException) { } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>
    /// Free managed heap as the board would report it, emulated: the profile's heap minus the
    /// firmware's reserve, the engine's buffers and the learner's buffers (the host's GC says
    /// nothing about a nanoFramework heap).
    /// </summary>
    public sealed class EmulatedHeap : IHeapMonitor
    {
        private readonly Func<int> usedBytes;
        private readonly int heapBytes;
        public EmulatedHeap(int heapBytes, Func<int> usedBytes) { this.heapBytes = heapBytes; this.usedBytes = usedBytes; }
        public int FreeBytes() => heapBytes - usedBytes();
    }
}
