using System;
using System.IO;
using Mono.Unix;

namespace TinTin.Reference
{
    /// <summary>
    /// Every file a tool reads or writes is checked here first, so a bad path gets a clear error
    /// instead of a hang or an out-of-memory: an input must exist, be a regular file (a FIFO with no
    /// writer would block forever, a device never ends) and be at most a stated size; an output
    /// must be a regular file or not exist yet. Errors are <see cref="InvalidDataException"/> /
    /// <see cref="FileNotFoundException"/> naming the path (the CLI turns them into exit 2).
    /// </summary>
    public static class InputFiles
    {
        /// <summary>Data tables (CSV) and data set files (the largest shipped: a 0.7 MB CSV, MNIST gz 10 MB).</summary>
        public const long MaxDataBytes = 64L * 1024 * 1024;
        /// <summary>A decompressed data set file (MNIST train images: 47 MB).</summary>
        public const long MaxDecompressedBytes = 128L * 1024 * 1024;
        /// <summary>Board logs (`tintin report`): a week of a board at 1 Hz with pred lines is ~100 MB.</summary>
        public const long MaxLogBytes = 256L * 1024 * 1024;
        /// <summary>Monitor scripts.</summary>
        public const long MaxScriptBytes = 1024 * 1024;
        /// <summary>Model files: a host default, far above any board's heap (TinTin.Core.ModelFile.DefaultMaxBytes).</summary>
        public const long MaxModelBytes = 16L * 1024 * 1024;

        /// <summary>Checks an input file; returns its length.</summary>
        public static long CheckInput(string path, long maxBytes, string what)
        {
            if (string.IsNullOrEmpty(path)) throw new FileNotFoundException(what + ": no path given");
            UnixFileInfo info;
            try { info = new UnixFileInfo(path); }
            catch (Exception e) when (e is ArgumentException || e is InvalidOperationException) { throw new FileNotFoundException(what + " not found: " + path, path); }
            if (!info.Exists) throw new FileNotFoundException(what + " not found: " + path, path);
            FileTypes type = info.FileType;
            if (type == FileTypes.Directory) throw new InvalidDataException(what + " " + path + " is a directory, not a file");
            if (type != FileTypes.RegularFile) throw new InvalidDataException(what + " " + path + " is not a regular file (" + Describe(type) + "); give a file");
            long length = info.Length;
            if (length > maxBytes) throw new InvalidDataException(what + " " + path + " is " + length + " bytes; at most " + maxBytes + " are read");
            return length;
        }

        /// <summary>Opens a checked input for reading (never blocks on a FIFO: non-regular files are refused first).</summary>
        public static FileStream OpenInput(string path, long maxBytes, string what)
        {
            CheckInput(path, maxBytes, what);
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 65536, FileOptions.SequentialScan);
        }

        /// <summary>Reads a whole checked input (for small files: models, scripts).</summary>
        public static byte[] ReadAllBytes(string path, long maxBytes, string what)
        {
            using FileStream stream = OpenInput(path, maxBytes, what);
            var bytes = new byte[stream.Length];
            int total = 0, n;
            while (total < bytes.Length && (n = stream.Read(bytes, total, bytes.Length - total)) > 0) total += n;
            if (total != bytes.Length) throw new InvalidDataException(what + " " + path + " changed while it was read");
            return bytes;
        }

        /// <summary>An output path must be a regular file (replaced) or not exist yet; a FIFO or device is refused.</summary>
        public static void CheckOutput(string path, string what)
        {
            if (string.IsNullOrEmpty(path)) throw new InvalidDataException(what + ": no path given");
            UnixFileInfo info;
            try { info = new UnixFileInfo(path); }
            catch (Exception e) when (e is ArgumentException || e is InvalidOperationException) { return; }
            if (!info.Exists) return;
            if (info.FileType == FileTypes.Directory) throw new InvalidDataException(what + " " + path + " is a directory, not a file");
            if (info.FileType != FileTypes.RegularFile) throw new InvalidDataException(what + " " + path + " is not a regular file (" + Describe(info.FileType) + "); give a file path");
        }

        /// <summary>A folder path (e.g. the virtual board's flash) must be a folder or not exist yet.</summary>
        public static void CheckFolder(string path, string what)
        {
            if (string.IsNullOrEmpty(path)) throw new InvalidDataException(what + ": no path given");
            if (Directory.Exists(path)) return;
            UnixFileInfo info;
            try { info = new UnixFileInfo(path); }
            catch (Exception e) when (e is ArgumentException || e is InvalidOperationException) { return; }
            if (info.Exists) throw new InvalidDataException(what + " " + path + " is " + Describe(info.FileType) + ", not a folder");
        }

        private static string Describe(FileTypes type) => type switch
        {
            FileTypes.Fifo => "a FIFO",
            FileTypes.CharacterDevice => "a character device",
            FileTypes.BlockDevice => "a block device",
            FileTypes.Socket => "a socket",
            FileTypes.SymbolicLink => "a dangling symbolic link",
            FileTypes.RegularFile => "a regular file",
            FileTypes.Directory => "a directory",
            _ => type.ToString(),
        };
    }
}
