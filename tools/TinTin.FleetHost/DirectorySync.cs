using System;
using System.IO;
using System.Runtime.InteropServices;

namespace TinTin.FleetHost
{
    /// <summary>How a system makes a rename durable (<see cref="DirectorySync.MethodFor"/>).</summary>
    public enum DirectorySyncMethod
    {
        /// <summary>Not known here: the rename is a plain File.Move and nothing is flushed.</summary>
        None,
        /// <summary>Linux: File.Move, then the directory opened read-only through libc and fsync'ed.</summary>
        Fsync,
        /// <summary>macOS: File.Move, then fcntl(F_FULLFSYNC) on the directory (fsync where the file system refuses it).</summary>
        FullFsync,
        /// <summary>Windows: the rename itself is MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).</summary>
        WriteThroughRename,
    }

    /// <summary>
    /// Makes the state file's atomic rename survive a power cut. The file's own flush (FileStream.Flush(true)) makes its
    /// bytes durable, not the directory entry the rename changed; .NET has no call for that (a FileStream refuses a
    /// directory), so each system gets its documented way, chosen by an OperatingSystem check (<see cref="MethodFor"/>):
    /// - Linux: open the directory read-only through libc and fsync it.
    /// - macOS: the same open, then fcntl(F_FULLFSYNC) instead of fsync. On macOS fsync hands the blocks to the drive,
    ///   which may keep them in its volatile cache and write them out of order (fsync(2)); F_FULLFSYNC asks the drive to
    ///   flush everything it buffered, so one call after the rename also covers the file's bytes, which the file's own
    ///   flush may only have handed over. It costs a drive cache flush per state write (one per accepted message or
    ///   version: not a hot path). A file system that refuses it (ENOTSUP, EINVAL: network and FAT volumes) gets fsync.
    /// - Windows: a directory cannot be opened for this, and FlushFileBuffers needs a handle with write access (on the
    ///   volume: administrator rights), so the rename itself is MoveFileExW with MOVEFILE_REPLACE_EXISTING |
    ///   MOVEFILE_WRITE_THROUGH, which per its documentation does not return until the file is moved on the disk.
    /// - Anything else: a plain File.Move, reported as not flushed.
    /// Only the Linux path runs here (the tests run on Linux): the macOS and Windows paths are written from their
    /// documentation and compiled, never run. The choice itself (<see cref="MethodFor"/>) is unit-tested for every system.
    /// </summary>
    public static class DirectorySync
    {
        /// <summary>The method for a system: Linux fsync, macOS F_FULLFSYNC, Windows the write-through rename, else none.</summary>
        public static DirectorySyncMethod MethodFor(bool linux, bool macOS, bool windows) =>
            linux ? DirectorySyncMethod.Fsync
            : macOS ? DirectorySyncMethod.FullFsync
            : windows ? DirectorySyncMethod.WriteThroughRename
            : DirectorySyncMethod.None;

        /// <summary>This system's method.</summary>
        public static DirectorySyncMethod Method => MethodFor(OperatingSystem.IsLinux(), OperatingSystem.IsMacOS(), OperatingSystem.IsWindows());

        /// <summary>Whether this system makes the rename durable (Linux, macOS, Windows).</summary>
        public static bool Supported => Method != DirectorySyncMethod.None;

        /// <summary>
        /// Renames `temp` over `target` (replacing it) and makes the rename durable by this system's method. True when it
        /// was made durable; false where the system has no method or the file system cannot flush a directory (nothing to
        /// flush there). An <see cref="IOException"/> naming the path and the error when the rename or the flush fails.
        /// </summary>
        public static bool Replace(string temp, string target)
        {
            DirectorySyncMethod method = Method;
            if (method == DirectorySyncMethod.WriteThroughRename)
            {
                if (!MoveFileExW(temp, target, MoveFileReplaceExisting | MoveFileWriteThrough))
                {
                    int error = Marshal.GetLastPInvokeError();
                    throw new IOException($"cannot rename {temp} to {target} (MoveFileEx: {Marshal.GetPInvokeErrorMessage(error)}, error {error})");
                }
                return true;
            }
            File.Move(temp, target, true);
            return method != DirectorySyncMethod.None && Flush(Path.GetDirectoryName(Path.GetFullPath(target)), method);
        }

        /// <summary>
        /// Flushes a directory's entries (Linux fsync, macOS F_FULLFSYNC). False on other systems (Windows flushes the
        /// rename itself: <see cref="Replace"/>) or where the file system does not support it (EINVAL, ENOTSUP); an
        /// <see cref="IOException"/> naming the directory and the error when it cannot be opened or flushed.
        /// </summary>
        public static bool Flush(string directory) => Flush(directory, Method);

        private static bool Flush(string directory, DirectorySyncMethod method)
        {
            if (method != DirectorySyncMethod.Fsync && method != DirectorySyncMethod.FullFsync) return false;
            bool mac = method == DirectorySyncMethod.FullFsync;
            int fd = open(directory, ReadOnly | (mac ? MacCloseOnExec : LinuxCloseOnExec));
            if (fd < 0) throw Failure("open", directory);
            try
            {
                if (mac && fcntl(fd, MacFullFsync) != -1) return true;
                if (fsync(fd) == 0) return true;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINVAL || errno == (mac ? MacENOTSUP : LinuxENOTSUP)) return false;
                throw Failure("fsync", directory, errno);
            }
            finally { close(fd); }
        }

        private static IOException Failure(string call, string directory, int errno = -1)
        {
            if (errno < 0) errno = Marshal.GetLastPInvokeError();
            return new IOException($"cannot flush directory {directory} ({call}: {Marshal.GetPInvokeErrorMessage(errno)}, errno {errno})");
        }

        // O_RDONLY; O_CLOEXEC (Linux on x86-64 and arm64, macOS); errno EINVAL (both), ENOTSUP (Linux EOPNOTSUPP 95, macOS 45);
        // macOS F_FULLFSYNC (fcntl.h). fcntl is variadic: F_FULLFSYNC takes no third argument, and the two fixed ones are
        // passed as for a plain function on x86-64 and on Apple arm64, so it is declared with two.
        private const int ReadOnly = 0, LinuxCloseOnExec = 0x80000, MacCloseOnExec = 0x1000000;
        private const int EINVAL = 22, LinuxENOTSUP = 95, MacENOTSUP = 45;
        private const int MacFullFsync = 51;
        // winbase.h: MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH.
        private const uint MoveFileReplaceExisting = 0x1, MoveFileWriteThrough = 0x8;

        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int fcntl(int fd, int cmd);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);

        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode, ExactSpelling = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool MoveFileExW(string existingFileName, string newFileName, uint flags);
    }
}
