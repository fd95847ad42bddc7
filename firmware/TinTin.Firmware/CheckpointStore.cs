using System;
using TinTin.Core;

namespace TinTin.Firmware
{
    /// <summary>
    /// Two-slot checkpoints of what the board learned, safe against a power cut at any byte.
    ///
    /// Slot image, little-endian:
    /// <code>
    ///  0  u32  magic "TTCK"
    ///  4  u16  format version (1)
    ///  6  u16  flags (0)
    ///  8  u32  sequence number (1, 2, 3, …; compared with wrap-around)
    /// 12  u32  model bytes M
    /// 16  u16  counter count K
    /// 18  u16  reserved (0)
    /// 20  M bytes: the model as TinTin.Core.ModelFile writes it (weights, exponents, normaliser; its own CRC)
    /// 20+M     K × i64 firmware counters (FirmwareCounters order)
    /// 20+M+8K  u32 CRC-32 of every byte before it
    /// </code>
    /// A save writes the whole image to the slot that does NOT hold the newest valid checkpoint,
    /// so the last good one is never touched; a cut write leaves a slot whose length, magic or
    /// CRC is wrong, and <see cref="LoadLatest"/> skips it. Buffers are allocated once, here.
    /// </summary>
    public sealed class CheckpointStore
    {
        public const uint Magic = 0x4B435454; // 'T','T','C','K'
        public const int FormatVersion = 1;
        public const int HeaderBytes = 20;

        private readonly IFlashStore flash;
        private readonly byte[] image;
        private readonly byte[] modelBuffer;
        private readonly long[] counterValues = new long[FirmwareCounters.Count];
        private uint lastSequence;
        private int lastSlot = -1;

        /// <summary>Bytes of the last image written or loaded.</summary>
        public int LastBytes;
        /// <summary>Slots found invalid by the last LoadLatest (cut writes, corruption).</summary>
        public int InvalidSlotsSeen;
        /// <summary>Why the last slot was rejected (for the log), or null.</summary>
        public string LastRejection;

        /// <param name="modelBytes">ModelFile.SizeOf the model the firmware runs (fixed architecture).</param>
        public CheckpointStore(IFlashStore flash, int modelBytes)
        {
            if (flash == null) throw new ArgumentException("a checkpoint store needs a flash store");
            if (flash.SlotCount < 2) throw new ArgumentException("checkpoints need two flash slots");
            int size = ImageSize(modelBytes);
            if (size > flash.SlotCapacity) throw new ArgumentException("a checkpoint needs " + size + " bytes but a flash slot holds " + flash.SlotCapacity);
            this.flash = flash;
            image = new byte[size];
            modelBuffer = new byte[modelBytes];
        }

        public static int ImageSize(int modelBytes) { return HeaderBytes + modelBytes + 8 * FirmwareCounters.Count + 4; }

        /// <summary>Sequence number of the newest valid checkpoint (0: none).</summary>
        public uint LastSequence { get { return lastSequence; } }

        /// <summary>Slot of the newest valid checkpoint (-1: none).</summary>
        public int LastSlot { get { return lastSlot; } }

        /// <summary>
        /// Finds the newest valid checkpoint, restores the counters from it and returns its model
        /// (a new Model with the given training arena), or null when no slot holds a valid one.
        /// </summary>
        public Model LoadLatest(FirmwareCounters counters, int trainingCapacityInts, bool withMomentum)
        {
            InvalidSlotsSeen = 0;
            LastRejection = null;
            lastSequence = 0;
            lastSlot = -1;
            int bestSlot = -1;
            uint bestSequence = 0;
            for (int slot = 0; slot < flash.SlotCount && slot < 2; slot++)
            {
                int length = ReadSlot(slot);
                if (length == 0) continue;
                uint sequence;
                string why = Validate(length, out sequence);
                if (why != null) { InvalidSlotsSeen++; LastRejection = "slot " + slot + ": " + why; continue; }
                if (bestSlot < 0 || (int)(long)(sequence - bestSequence) > 0) { bestSlot = slot; bestSequence = sequence; }
            }
            if (bestSlot < 0) return null;
            int bytes = ReadSlot(bestSlot);
            uint check;
            if (Validate(bytes, out check) != null) return null;
            int modelBytes = (int)(long)LittleEndian.GetU32(image, 12);
            int counterCount = LittleEndian.GetU16(image, 16);
            Array.Copy(image, HeaderBytes, modelBuffer, 0, modelBytes);
            Model model;
            try { model = ModelFile.Load(modelBuffer, modelBytes, trainingCapacityInts, withMomentum); }
            catch (ModelFormatException e) { LastRejection = "slot " + bestSlot + ": " + e.Message; InvalidSlotsSeen++; return null; }
            int at = HeaderBytes + modelBytes;
            int n = counterCount < FirmwareCounters.Count ? counterCount : FirmwareCounters.Count;
            for (int i = 0; i < n; i++) counterValues[i] = LittleEndian.GetI64(image, at + 8 * i);
            counters.CopyFrom(counterValues, n);
            lastSequence = bestSequence;
            lastSlot = bestSlot;
            LastBytes = bytes;
            return model;
        }

        /// <summary>
        /// Writes a new checkpoint (sequence = last + 1) to the slot not holding the newest valid
        /// one. Returns the slot written. Throws what the flash throws; the previous checkpoint
        /// stays loadable either way.
        /// </summary>
        public int Save(Model model, FirmwareCounters counters)
        {
            int modelBytes = ModelFile.SizeOf(model);
            if (modelBytes != modelBuffer.Length) throw new ArgumentException("the model is " + modelBytes + " bytes, the store was sized for " + modelBuffer.Length);
            ModelFile.Write(model, modelBuffer);
            uint sequence = lastSequence + 1;
            if (sequence == 0) sequence = 1;
            int at = 0;
            at = LittleEndian.PutU32(image, at, Magic);
            at = LittleEndian.PutU16(image, at, FormatVersion);
            at = LittleEndian.PutU16(image, at, 0);
            at = LittleEndian.PutU32(image, at, sequence);
            at = LittleEndian.PutU32(image, at, (uint)modelBytes);
            at = LittleEndian.PutU16(image, at, FirmwareCounters.Count);
            at = LittleEndian.PutU16(image, at, 0);
            Array.Copy(modelBuffer, 0, image, at, modelBytes);
            at += modelBytes;
            counters.CopyTo(counterValues);
            for (int i = 0; i < FirmwareCounters.Count; i++) at = LittleEndian.PutI64(image, at, counterValues[i]);
            at = LittleEndian.PutU32(image, at, Crc32.Compute(image, 0, at));
            int slot = lastSlot < 0 ? 0 : 1 - lastSlot;
            flash.Write(slot, image, at);
            lastSequence = sequence;
            lastSlot = slot;
            LastBytes = at;
            return slot;
        }

        private int ReadSlot(int slot)
        {
            int length = flash.Read(slot, image);
            if (length < 0) length = 0;
            if (length > image.Length) length = image.Length;
            return length;
        }

        /// <summary>Null when image[0..length) is a valid checkpoint, else why not.</summary>
        private string Validate(int length, out uint sequence)
        {
            sequence = 0;
            if (length < HeaderBytes + 4) return "truncated header (" + length + " bytes)";
            if (LittleEndian.GetU32(image, 0) != Magic) return "no TTCK magic";
            int version = LittleEndian.GetU16(image, 4);
            if (version != FormatVersion) return "unsupported checkpoint version " + version;
            uint modelBytes = LittleEndian.GetU32(image, 12);
            int counterCount = LittleEndian.GetU16(image, 16);
            if (modelBytes != (uint)modelBuffer.Length) return "model is " + modelBytes + " bytes, this firmware's model is " + modelBuffer.Length;
            long total = HeaderBytes + (long)modelBytes + 8L * counterCount + 4;
            if (total > length) return "truncated: needs " + total + " bytes, has " + length;
            int end = (int)total - 4;
            if (LittleEndian.GetU32(image, end) != Crc32.Compute(image, 0, end)) return "CRC-32 mismatch";
            sequence = LittleEndian.GetU32(image, 8);
            return null;
        }

    }
}
