using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Ports;
using System.Text;
using System.Threading;

namespace TinTin.Cli
{
    /// <summary>
    /// A board's serial port through System.IO.Ports: 8N1, no flow control, raw bytes. What this adds is
    /// the CLI's error policy: every failure becomes a <see cref="CliException"/> device error (exit 3)
    /// naming the port, and a read either returns bytes, returns 0 on timeout, or says the device went away.
    ///
    /// One thread reads the port without a timeout and <see cref="Read"/> waits on what it received. A timed read of
    /// System.IO.Ports on Unix queues a request that the timeout cancels; when the cancellation lands after its IO loop
    /// has read bytes into the request but before it completes it, those bytes are dropped (SerialStream.Unix
    /// ProcessRead: TrySetResult on a cancelled request). A loaded CI run lost a whole `hello` line that way.
    /// </summary>
    public sealed class BoardPort : IDisposable
    {
        /// <summary>The rates `monitor --baud` accepts (what boards and USB-serial bridges commonly run).</summary>
        public static readonly int[] SupportedBauds = { 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600 };

        private readonly SerialPort port;
        public string Path { get; }
        public int Baud { get; }

        private readonly object gate = new object();
        private readonly Queue<byte[]> received = new Queue<byte[]>(); // chunks the reader thread read, oldest first
        private int headOffset;                                          // bytes of the oldest chunk already handed out
        private Exception readFailure;                                   // why the reader thread stopped (null: running)

        private BoardPort(SerialPort port, string path, int baud)
        {
            this.port = port;
            Path = path;
            Baud = baud;
            new Thread(ReadLoop) { IsBackground = true, Name = "tintin-serial-read " + path }.Start();
        }

        /// <summary>Reads the port until it fails or is closed (an infinite-timeout read has no cancellation to race with).</summary>
        private void ReadLoop()
        {
            var chunk = new byte[4096];
            while (true)
            {
                int n;
                try { n = port.Read(chunk, 0, chunk.Length); }
                catch (Exception e)
                {
                    lock (gate) { readFailure = e; Monitor.PulseAll(gate); }
                    return;
                }
                if (n <= 0) continue;
                var bytes = new byte[n];
                Array.Copy(chunk, bytes, n);
                lock (gate) { received.Enqueue(bytes); Monitor.PulseAll(gate); }
            }
        }

        /// <summary>Opens and configures the port; throws <see cref="CliException"/> saying what failed.</summary>
        public static BoardPort Open(string path, int baud)
        {
            if (Array.IndexOf(SupportedBauds, baud) < 0)
                throw CliException.Usage("baud rate " + baud + " is not supported; use one of " + string.Join(", ", SupportedBauds));
            if (!File.Exists(path) && !path.StartsWith("COM", StringComparison.OrdinalIgnoreCase))
                throw CliException.Device("cannot open port " + path + ": no such device");
            var port = new SerialPort(path, baud, Parity.None, 8, StopBits.One)
            {
                Handshake = Handshake.None,
                Encoding = Encoding.ASCII,
                NewLine = "\n",
                ReadTimeout = SerialPort.InfiniteTimeout,
                WriteTimeout = 2000,
            };
            try
            {
                port.Open();
                return new BoardPort(port, path, baud);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                port.Dispose();
                if (File.Exists(path) && !IsCharacterDevice(path))
                    throw CliException.Device(path + " is not a serial port (" + e.Message + ")");
                throw new CliException(ExitCodes.DeviceError, "cannot open port " + path + ": " + e.Message, e);
            }
        }

        /// <summary>A regular file (not a device node under /dev, after following links such as socat's) cannot be a port.</summary>
        private static bool IsCharacterDevice(string path)
        {
            if (OperatingSystem.IsWindows()) return true;
            FileSystemInfo target = new FileInfo(path).ResolveLinkTarget(true) ?? new FileInfo(path);
            return target.FullName.StartsWith("/dev/", StringComparison.Ordinal);
        }

        /// <summary>
        /// Waits up to timeoutMs for data and reads what is there. Returns the byte count, 0 on
        /// timeout; throws a device error when the port was closed or unplugged (after every byte
        /// received before that was read).
        /// </summary>
        public int Read(byte[] buffer, int timeoutMs)
        {
            lock (gate)
            {
                long deadline = Environment.TickCount64 + timeoutMs;
                while (received.Count == 0)
                {
                    if (readFailure != null)
                        throw new CliException(ExitCodes.DeviceError, "the device on " + Path + " went away (" + readFailure.Message + ")", readFailure);
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0) return 0;
                    Monitor.Wait(gate, (int)left);
                }
                int copied = 0;
                while (copied < buffer.Length && received.Count > 0)
                {
                    byte[] oldest = received.Peek();
                    int take = Math.Min(oldest.Length - headOffset, buffer.Length - copied);
                    Array.Copy(oldest, headOffset, buffer, copied, take);
                    copied += take;
                    headOffset += take;
                    if (headOffset == oldest.Length) { received.Dequeue(); headOffset = 0; }
                }
                return copied;
            }
        }

        /// <summary>Writes all of data.</summary>
        public void Write(byte[] data)
        {
            try { port.Write(data, 0, data.Length); }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.DeviceError, "writing to " + Path + " failed: " + e.Message, e);
            }
        }

        public void WriteLine(string line) => Write(Encoding.ASCII.GetBytes(line + "\n"));

        public void Dispose()
        {
            try { port.Dispose(); }
            catch (IOException) { /* the device is already gone */ }
        }
    }
}
