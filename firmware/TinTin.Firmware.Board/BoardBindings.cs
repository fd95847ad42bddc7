using System;
using System.Device.Gpio;
using System.IO;
using System.IO.Ports;
using TinTin.Firmware;

namespace TinTin.Firmware.Board
{
    /// <summary>The user button on a GPIO (active low with pull-up: ESP32 GPIO0 "BOOT"; active high: Nucleo B1 on PC13). Classifies presses by how long they were held.</summary>
    public sealed class GpioButton : IButton
    {
        private readonly GpioPin pin;
        private readonly bool activeLow;
        private readonly IClock clock;
        private bool down;
        private long downSinceMs;

        public GpioButton(GpioController gpio, int pinNumber, bool activeLow, IClock clock)
        {
            this.activeLow = activeLow;
            this.clock = clock;
            pin = gpio.OpenPin(pinNumber, activeLow ? PinMode.InputPullUp : PinMode.InputPullDown);
        }

        public int PollPress()
        {
            bool pressed = (pin.Read() == PinValue.High) != activeLow;
            long now = clock.NowMs;
            if (pressed && !down) { down = true; downSinceMs = now; return ButtonPress.None; }
            if (!pressed && down)
            {
                down = false;
                long held = now - downSinceMs;
                if (held < 30) return ButtonPress.None; // bounce
                return held >= ButtonPress.LongPressMs ? ButtonPress.Long : ButtonPress.Short;
            }
            return ButtonPress.None;
        }
    }

    /// <summary>The status LED on a GPIO output (ESP32 DevKit GPIO2, Nucleo LD1 PB0).</summary>
    public sealed class GpioLed : ILed
    {
        private readonly GpioPin pin;
        private bool on;
        public GpioLed(GpioController gpio, int pinNumber)
        {
            pin = gpio.OpenPin(pinNumber, PinMode.Output);
            pin.Write(PinValue.Low);
        }

        public void Set(bool value)
        {
            if (value == on) return;
            on = value;
            pin.Write(value ? PinValue.High : PinValue.Low);
        }
    }

    /// <summary>
    /// Checkpoint slots as two files on the internal file system (ESP32: drive "I:\\", SPIFFS/littlefs).
    /// A write replaces the file; a power cut leaves a short or partial file that the checkpoint's
    /// length and CRC checks reject.
    /// </summary>
    public sealed class FileSystemFlash : IFlashStore
    {
        private readonly string prefix;
        private readonly int capacity;

        /// <param name="prefix">e.g. "I:\\tintin_ckpt" → I:\tintin_ckpt0.bin and I:\tintin_ckpt1.bin</param>
        public FileSystemFlash(string prefix, int capacity)
        {
            this.prefix = prefix;
            this.capacity = capacity;
        }

        public int SlotCount { get { return 2; } }
        public int SlotCapacity { get { return capacity; } }

        private string PathOf(int slot) { return prefix + slot.ToString() + ".bin"; }

        public int Read(int slot, int offset, byte[] buffer, int count)
        {
            CloseImage();
            string path = PathOf(slot);
            if (!File.Exists(path)) return 0;
            using (FileStream stream = new FileStream(path, FileMode.Open, FileAccess.Read))
            {
                if (offset >= stream.Length) return 0;
                stream.Seek(offset, SeekOrigin.Begin);
                int total = 0;
                while (total < count)
                {
                    int n = stream.Read(buffer, total, count - total);
                    if (n <= 0) break;
                    total += n;
                }
                return total;
            }
        }

        // The image being streamed: opened by its first chunk, closed (so flushed once) by the next Read, which
        // CheckpointStore always makes to verify it, or by the next image. One open and one flush per
        // checkpoint instead of one per 128-byte chunk: less time and less wear on the board's flash.
        private FileStream image;
        private int imageSlot = -1;

        /// <summary>Offset 0 replaces the file; later chunks continue it (the checkpoint streams in order).</summary>
        public void Write(int slot, int offset, byte[] data, int count)
        {
            if (offset + count > capacity) throw new ArgumentException("flash slot " + slot + " holds " + capacity + " bytes, not " + (offset + count));
            if (offset == 0)
            {
                CloseImage();
                image = new FileStream(PathOf(slot), FileMode.Create, FileAccess.Write);
                imageSlot = slot;
            }
            else if (image == null || imageSlot != slot || image.Position != offset)
            {
                long written = image != null && imageSlot == slot ? image.Position : 0;
                throw new ArgumentException("flash slot " + slot + " is written in order: offset " + offset + ", image so far " + written + " bytes");
            }
            image.Write(data, 0, count);
        }

        private void CloseImage()
        {
            if (image == null) return;
            FileStream closing = image;
            image = null;
            imageSlot = -1;
            closing.Flush();
            closing.Dispose();
        }
    }

    /// <summary>
    /// The serial line on a UART (System.IO.Ports): bytes in through the shared SerialLineReader
    /// (every line of a read is delivered, see firmware/README.md), protocol lines out.
    /// </summary>
    public sealed class UartSerial : ISerialPort, ISerialBytes
    {
        private readonly SerialPort port;
        private readonly SerialLineReader reader;

        public UartSerial(string portName, int baudRate)
        {
            port = new SerialPort(portName, baudRate);
            port.Open();
            reader = new SerialLineReader(this, 64);
        }

        public string ReadLine() { return reader.ReadLine(); }

        public int BytesToRead { get { return port.BytesToRead; } }

        public int Read(byte[] buffer, int offset, int count) { return port.Read(buffer, offset, count); }

        public void Write(byte[] data, int offset, int count) { port.Write(data, offset, count); }
    }

    /// <summary>Milliseconds and microseconds since start-up from DateTime ticks (100 ns).</summary>
    public sealed class BoardClock : IClock
    {
        private readonly long start = DateTime.UtcNow.Ticks;
        public long NowMs { get { return (DateTime.UtcNow.Ticks - start) / 10000; } }
        public long NowUs { get { return (DateTime.UtcNow.Ticks - start) / 10; } }
    }

    /// <summary>Free managed heap: nanoFramework.Runtime.Native.GC.Run(false) returns the free bytes (and collects).</summary>
    public sealed class NativeHeap : IHeapMonitor
    {
        public int FreeBytes() { return (int)(long)nanoFramework.Runtime.Native.GC.Run(false); }
    }

    /// <summary>TinTin.Sensors' clock interface for the BME280 source, over the board clock.</summary>
    public sealed class SensorClock : TinTin.Sensors.IMillisecondClock
    {
        private readonly IClock clock;
        public SensorClock(IClock clock) { this.clock = clock; }
        public long NowMs { get { return clock.NowMs; } }
    }
}
