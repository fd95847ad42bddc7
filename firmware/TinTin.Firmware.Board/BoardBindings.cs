using System;
using System.Device.Gpio;
using System.IO;
using System.IO.Ports;
using TinTin.Firmware;

namespace TinTin.Firmware.Board
{
    /// <summary>The user button on a GPIO (active low with pull-up: ESP32 GPIO0 "BOOT"; active high: Nucleo B1 on PC13). Presses are classified by how long they were held (<see cref="PressClassifier"/>).</summary>
    public sealed class GpioButton : IButton
    {
        private readonly GpioPin pin;
        private readonly bool activeLow;
        private readonly IClock clock;
        private readonly PressClassifier presses = new PressClassifier();

        public GpioButton(GpioController gpio, int pinNumber, bool activeLow, IClock clock)
        {
            this.activeLow = activeLow;
            this.clock = clock;
            pin = gpio.OpenPin(pinNumber, activeLow ? PinMode.InputPullUp : PinMode.InputPullDown);
        }

        public int PollPress()
        {
            return presses.Poll((pin.Read() == PinValue.High) != activeLow, clock.NowMs);
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
    /// The board's file system (System.IO.FileSystem; ESP32: drive "I:\\", SPIFFS/littlefs) for the checkpoint
    /// slots (<see cref="FileSlotFlash"/> holds the slot logic). <see cref="Create"/> truncates: a power cut
    /// leaves a short file.
    /// </summary>
    public sealed class FileSystemFiles : ISlotFiles
    {
        private FileStream open;

        public int ReadAt(string path, int offset, byte[] buffer, int count)
        {
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

        public void Create(string path)
        {
            Close();
            open = new FileStream(path, FileMode.Create, FileAccess.Write);
        }

        public void Append(byte[] data, int count)
        {
            if (open == null) throw new InvalidOperationException("no checkpoint file is open for writing");
            open.Write(data, 0, count);
        }

        public void Close()
        {
            if (open == null) return;
            FileStream closing = open;
            open = null;
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

    /// <summary>The loop's wait between ticks.</summary>
    public sealed class ThreadDelay : IDelay
    {
        public void Wait(int milliseconds) { System.Threading.Thread.Sleep(milliseconds); }
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
