using System;
using System.IO;
using System.Runtime.InteropServices;

namespace TinTin.FleetHost
{
    /// <summary>
    /// Flushes a directory's entries to disk (fsync of the directory), so a rename into it survives a power cut: on Linux
    /// the file's own fsync makes its bytes durable, not the directory entry that the rename changed. .NET has no call
    /// for it (a FileStream refuses a directory), so this opens the directory read-only through libc and fsyncs it.
    /// Other systems are skipped (reported as not flushed): Windows cannot open a directory this way, and this code
    /// is tested on Linux only.
    /// </summary>
    public static class DirectorySync
    {
        /// <summary>Whether this system flushes directories (Linux).</summary>
        public static bool Supported => OperatingSystem.IsLinux();

        /// <summary>
        /// fsync of the directory. False where the OS cannot (<see cref="Supported"/>) or the file system does not
        /// support it (EINVAL, ENOTSUP: nothing to flush there); an <see cref="IOException"/> naming the directory and the
        /// error when it cannot be opened or flushed.
        /// </summary>
        public static bool Flush(string directory)
        {
            if (!Supported) return false;
            int fd = open(directory, ReadOnly | CloseOnExec);
            if (fd < 0) throw Failure("open", directory);
            try
            {
                if (fsync(fd) == 0) return true;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINVAL || errno == ENOTSUP) return false;
                throw Failure("fsync", directory, errno);
            }
            finally { close(fd); }
        }

        private static IOException Failure(string call, string directory, int errno = -1)
        {
            if (errno < 0) errno = Marshal.GetLastPInvokeError();
            return new IOException($"cannot flush directory {directory} ({call}: {Marshal.GetPInvokeErrorMessage(errno)}, errno {errno})");
        }

        // Linux values (the same on x86-64 and arm64): O_RDONLY, O_CLOEXEC; errno EINVAL, EOPNOTSUPP.
        private const int ReadOnly = 0, CloseOnExec = 0x80000;
        private const int EINVAL = 22, ENOTSUP = 95;

        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);
    }
}
