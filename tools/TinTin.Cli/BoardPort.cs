using System;
using System.IO;
using System.IO.Ports;
using System.Text;

namespace TinTin.Cli
{
    /// <summary>
    /// A board's serial port through System.IO.Ports: 8N1, no flow control, raw bytes. What this adds is
    /// the CLI's error policy: every failure becomes a <see cref="CliException"/> device error (exit 3)
    /// naming the port, and a read either returns bytes, returns 0 on timeout, or says the device went away.
    /// </summary>
    public sealed class BoardPort : IDisposable
    {
        /// <summary>The rates `monitor --baud` accepts (what boards and USB-serial bridges commonly run).</summary>
        public static readonly int[] SupportedBauds = { 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600 };

        private readonly SerialPort port;
        public string Path { get; }
        public int Baud { get; }

        private BoardPort(SerialPort port, string path, int baud) { this.port = port; Path = path; Baud = baud; }

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
        /// timeout; throws a device error when the port was closed or unplugged.
        /// </summary>
        public int Read(byte[] buffer, int timeoutMs)
        {
            try
            {
                port.ReadTimeout = timeoutMs;
                return port.Read(buffer, 0, buffer.Length);
            }
            catch (TimeoutException) { return 0; }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or OperationCanceledException)
            {
                throw new CliException(ExitCodes.DeviceError, "the device on " + Path + " went away (" + e.Message + ")", e);
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
