using System;
using System.Runtime.InteropServices;
using System.Text;

namespace TinTin.Cli
{
    /// <summary>
    /// A serial port opened through POSIX termios (System.IO.Ports is not available): libc open,
    /// tcgetattr, cfmakeraw, cfsetispeed/cfsetospeed, tcsetattr, poll, read, write, close.
    /// Linux and macOS. 8 data bits, no parity, 1 stop bit, no flow control, raw mode.
    /// The termios struct is handled as an opaque buffer that libc fills and edits, so only
    /// c_cflag's offset and the flag values differ per platform.
    /// </summary>
    public sealed class SerialPort : IDisposable
    {
        public static readonly int[] SupportedBauds = { 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600 };

        private int fd;
        public string Path { get; }
        public int Baud { get; }

        private SerialPort(string path, int fd, int baud) { Path = path; this.fd = fd; Baud = baud; }

        public static bool IsSupportedPlatform => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

        /// <summary>Opens and configures the port; throws <see cref="CliException"/> (device error) saying what failed.</summary>
        public static SerialPort Open(string path, int baud)
        {
            if (!IsSupportedPlatform) throw CliException.Device("serial ports are supported on Linux and macOS only");
            uint speed = SpeedConstant(baud);
            bool mac = OperatingSystem.IsMacOS();
            int flags = O_RDWR | (mac ? O_NOCTTY_MAC : O_NOCTTY_LINUX) | (mac ? O_NONBLOCK_MAC : O_NONBLOCK_LINUX);
            int fd = open(path, flags);
            if (fd < 0) throw CliException.Device("cannot open port " + path + ": " + LastError());
            try
            {
                byte[] termios = new byte[256];
                if (tcgetattr(fd, termios) != 0)
                    throw CliException.Device(path + " is not a serial port (tcgetattr: " + LastError() + ")");
                cfmakeraw(termios);
                // c_cflag |= CLOCAL | CREAD: ignore modem lines, enable the receiver.
                if (mac)
                {
                    ulong cflag = BitConverter.ToUInt64(termios, 16) | 0x8000UL | 0x800UL;
                    BitConverter.GetBytes(cflag).CopyTo(termios, 16);
                }
                else
                {
                    uint cflag = BitConverter.ToUInt32(termios, 8) | 0x800u | 0x80u;
                    BitConverter.GetBytes(cflag).CopyTo(termios, 8);
                }
                if (cfsetispeed(termios, (nuint)speed) != 0 || cfsetospeed(termios, (nuint)speed) != 0)
                    throw CliException.Device("cannot set " + baud + " baud on " + path + ": " + LastError());
                if (tcsetattr(fd, 0 /* TCSANOW */, termios) != 0)
                    throw CliException.Device("cannot configure " + path + ": " + LastError());
                return new SerialPort(path, fd, baud);
            }
            catch
            {
                close(fd);
                throw;
            }
        }

        /// <summary>The termios speed_t for a baud rate (Linux: Bxxx codes; macOS: the number itself).</summary>
        public static uint SpeedConstant(int baud)
        {
            if (OperatingSystem.IsMacOS())
            {
                if (Array.IndexOf(SupportedBauds, baud) < 0) throw UnsupportedBaud(baud);
                return (uint)baud;
            }
            switch (baud)
            {
                case 9600: return 0x0D;       // B9600   0000015
                case 19200: return 0x0E;      // B19200  0000016
                case 38400: return 0x0F;      // B38400  0000017
                case 57600: return 0x1001;    // B57600  0010001
                case 115200: return 0x1002;   // B115200 0010002
                case 230400: return 0x1003;   // B230400 0010003
                case 460800: return 0x1004;   // B460800 0010004
                case 500000: return 0x1005;   // B500000 0010005
                case 576000: return 0x1006;   // B576000 0010006
                case 921600: return 0x1007;   // B921600 0010007
                default: throw UnsupportedBaud(baud);
            }
        }

        private static CliException UnsupportedBaud(int baud)
            => CliException.Usage("baud rate " + baud + " is not supported; use one of " + string.Join(", ", SupportedBauds));

        /// <summary>
        /// Waits up to timeoutMs for data and reads what is there. Returns the byte count, 0 on
        /// timeout; throws a device error when the port was closed or unplugged.
        /// </summary>
        public int Read(byte[] buffer, int timeoutMs)
        {
            var poll = new PollFd { fd = fd, events = POLLIN };
            int ready = PollOnce(ref poll, timeoutMs);
            if (ready < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) return 0;
                throw CliException.Device("poll on " + Path + " failed: " + Marshal.GetPInvokeErrorMessage(errno));
            }
            if (ready == 0) return 0;
            if ((poll.revents & POLLIN) == 0 && (poll.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0)
                throw CliException.Device("the device on " + Path + " went away (port hung up)");
            long n = read(fd, buffer, (nuint)buffer.Length);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EAGAIN_LINUX || errno == EAGAIN_MAC || errno == EINTR) return 0;
                throw CliException.Device("reading " + Path + " failed: " + Marshal.GetPInvokeErrorMessage(errno));
            }
            if (n == 0) throw CliException.Device("the device on " + Path + " went away (end of stream)");
            return (int)n;
        }

        private int PollOnce(ref PollFd poll, int timeoutMs)
        {
            var fds = new PollFd[] { poll };
            int result = Poll(fds, 1, timeoutMs);
            poll = fds[0];
            return result;
        }

        /// <summary>Writes all of data (waiting while the output buffer is full).</summary>
        public void Write(byte[] data)
        {
            int offset = 0;
            int spins = 0;
            while (offset < data.Length)
            {
                long n = write(fd, data, offset, (nuint)(data.Length - offset));
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if ((errno == EAGAIN_LINUX || errno == EAGAIN_MAC || errno == EINTR) && spins++ < 500)
                    {
                        System.Threading.Thread.Sleep(2);
                        continue;
                    }
                    throw CliException.Device("writing to " + Path + " failed: " + Marshal.GetPInvokeErrorMessage(errno));
                }
                offset += (int)n;
            }
        }

        public void WriteLine(string line) => Write(Encoding.ASCII.GetBytes(line + "\n"));

        public void Dispose()
        {
            if (fd >= 0) { close(fd); fd = -1; }
        }

        private static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

        // ---- libc -------------------------------------------------------------------------------

        private const int O_RDWR = 2;
        private const int O_NOCTTY_LINUX = 0x100, O_NOCTTY_MAC = 0x20000;
        private const int O_NONBLOCK_LINUX = 0x800, O_NONBLOCK_MAC = 0x4;
        private const short POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
        private const int EINTR = 4, EAGAIN_LINUX = 11, EAGAIN_MAC = 35;

        [StructLayout(LayoutKind.Sequential)]
        private struct PollFd
        {
            public int fd;
            public short events;
            public short revents;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int tcgetattr(int fd, byte[] termios);

        [DllImport("libc", SetLastError = true)]
        private static extern int tcsetattr(int fd, int optionalActions, byte[] termios);

        [DllImport("libc", SetLastError = true)]
        private static extern void cfmakeraw(byte[] termios);

        [DllImport("libc", SetLastError = true)]
        private static extern int cfsetispeed(byte[] termios, nuint speed);

        [DllImport("libc", SetLastError = true)]
        private static extern int cfsetospeed(byte[] termios, nuint speed);

        [DllImport("libc", SetLastError = true, EntryPoint = "poll")]
        private static extern int Poll([In, Out] PollFd[] fds, nuint count, int timeoutMs);

        [DllImport("libc", SetLastError = true)]
        private static extern long read(int fd, byte[] buffer, nuint count);

        private static unsafe long write(int fd, byte[] buffer, int offset, nuint count)
        {
            fixed (byte* p = buffer) return sys_write(fd, p + offset, count);
        }

        [DllImport("libc", SetLastError = true, EntryPoint = "write")]
        private static extern unsafe long sys_write(int fd, byte* buffer, nuint count);
    }
}
