using System;

namespace TinTin.Firmware
{
    /// <summary>
    /// The file operations checkpoint slots need, so <see cref="FileSlotFlash"/> runs over a board's file
    /// system (TinTin.Firmware.Board FileSystemFiles: System.IO.FileStream) or over files in RAM
    /// (BoardLoopCheck, on the host and on nanoCLR, whose POSIX host has no drives). At most one file is
    /// open for writing at a time.
    /// </summary>
    public interface ISlotFiles
    {
        /// <summary>Reads up to count bytes of the file at path from offset into buffer[0..count); the bytes read, 0 when the file does not exist or ends before offset.</summary>
        int ReadAt(string path, int offset, byte[] buffer, int count);
        /// <summary>Replaces the file at path with an empty one, open for <see cref="Append"/>.</summary>
        void Create(string path);
        /// <summary>Appends data[0..count) to the file opened by <see cref="Create"/>.</summary>
        void Append(byte[] data, int count);
        /// <summary>Flushes and closes the file opened by <see cref="Create"/>.</summary>
        void Close();
    }

    /// <summary>
    /// Checkpoint slots as two files, PREFIX0.bin and PREFIX1.bin (ESP32: "I:\\tintin_ckpt" on the internal
    /// file system). A write at offset 0 replaces the file; later chunks continue it in order, into the one
    /// open file: the image is flushed and closed by the next <see cref="Read"/> (CheckpointStore always
    /// reads an image back to verify it) or by the next image, so a checkpoint costs one open and one flush
    /// instead of one per 128-byte chunk (less time and less wear on a board's flash). A power cut leaves a
    /// short or partial file that the checkpoint's length and CRC checks reject.
    /// </summary>
    public sealed class FileSlotFlash : IFlashStore
    {
        private readonly ISlotFiles files;
        private readonly string prefix;
        private readonly int capacity;
        private int imageSlot = -1;     // the slot whose image is open for writing, -1: none
        private int imageLength;        // bytes written to it so far

        /// <param name="prefix">e.g. "I:\\tintin_ckpt" → I:\tintin_ckpt0.bin and I:\tintin_ckpt1.bin</param>
        public FileSlotFlash(ISlotFiles files, string prefix, int capacity)
        {
            if (files == null || prefix == null) throw new ArgumentException("FileSlotFlash needs files and a path prefix");
            if (capacity <= 0) throw new ArgumentException("flash slot capacity must be positive, not " + capacity);
            this.files = files;
            this.prefix = prefix;
            this.capacity = capacity;
        }

        public int SlotCount { get { return 2; } }
        public int SlotCapacity { get { return capacity; } }

        /// <summary>The file that holds a slot.</summary>
        public string PathOf(int slot) { return prefix + slot.ToString() + ".bin"; }

        public int Read(int slot, int offset, byte[] buffer, int count)
        {
            CheckSlot(slot);
            CloseImage();
            if (offset < 0 || count <= 0) return 0;
            return files.ReadAt(PathOf(slot), offset, buffer, count);
        }

        /// <summary>Offset 0 replaces the file; later chunks continue it (the checkpoint streams in order).</summary>
        public void Write(int slot, int offset, byte[] data, int count)
        {
            CheckSlot(slot);
            if (offset < 0 || count < 0 || offset + count > capacity) throw new ArgumentException("flash slot " + slot + " holds " + capacity + " bytes, not " + (offset + count));
            if (offset == 0)
            {
                CloseImage();
                files.Create(PathOf(slot));
                imageSlot = slot;
                imageLength = 0;
            }
            else if (imageSlot != slot || imageLength != offset)
            {
                int written = imageSlot == slot ? imageLength : 0;
                throw new ArgumentException("flash slot " + slot + " is written in order: offset " + offset + ", image so far " + written + " bytes");
            }
            files.Append(data, count);
            imageLength += count;
        }

        private void CloseImage()
        {
            if (imageSlot < 0) return;
            imageSlot = -1;
            files.Close();
        }

        private static void CheckSlot(int slot)
        {
            if (slot < 0 || slot > 1) throw new ArgumentException("flash has slots 0..1, not " + slot);
        }
    }
}
