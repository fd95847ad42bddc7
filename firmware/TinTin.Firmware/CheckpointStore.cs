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
    ///  6  u16  flags (bit 0 FlagKeepsOther: the other slot holds the model from before a reset)
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
    /// CRC is wrong, and <see cref="LoadLatest"/> skips it. Every write is read back and checked
    /// before it counts (<see cref="FlashVerifyException"/>: the older slot stays the newest
    /// good one). A slot whose CRC is valid but whose model is rejected is skipped too, and the
    /// older slot loads. After a reset (<see cref="SaveReset"/>) the slot holding the learned
    /// model is kept until a newly learned checkpoint replaces it (<see cref="ReleaseKept"/>);
    /// <see cref="Restore"/> brings it back. Buffers are allocated once, here.
    /// </summary>
    public sealed class CheckpointStore
    {
        public const uint Magic = 0x4B435454; // 'T','T','C','K'
        public const int FormatVersion = 1;
        public const int HeaderBytes = 20;
        /// <summary>Header flag: the other slot holds the model from before a reset; keep it (see <see cref="SaveReset"/>).</summary>
        public const int FlagKeepsOther = 1;
        private const int Slots = 2;

        private readonly IFlashStore flash;
        private readonly byte[] image;                       // [ImageSize(modelBytes)] one slot image: saves, loads and read-back checks all use it
        private readonly int modelBytes;                     // ModelFile.SizeOf the firmware's model
        private readonly long[] counterValues = new long[FirmwareCounters.Count];
        private readonly string[] rejections = new string[Slots]; // why each rejected slot was skipped (last LoadLatest)
        private readonly uint[] slotSequence = new uint[Slots];
        private readonly bool[] slotValid = new bool[Slots];
        private uint lastSequence;
        private int lastSlot = -1;
        private int keptSlot = -1;

        /// <summary>Bytes of the last image written or loaded.</summary>
        public int LastBytes;
        /// <summary>Slots rejected by the last LoadLatest (cut writes, corruption, a model the loader refused).</summary>
        public int InvalidSlotsSeen;
        /// <summary>Why the last slot was rejected (for the log), or null.</summary>
        public string LastRejection;
        /// <summary>Heap a checkpoint's model may take (ModelFile.Load's limit): the firmware sets its board's heap.</summary>
        public int ModelHeapLimit = ModelFile.DefaultMaxBytes;

        /// <param name="modelBytes">ModelFile.SizeOf the model the firmware runs (fixed architecture).</param>
        public CheckpointStore(IFlashStore flash, int modelBytes)
        {
            if (flash == null) throw new ArgumentException("a checkpoint store needs a flash store");
            if (flash.SlotCount < 2) throw new ArgumentException("checkpoints need two flash slots");
            if (modelBytes < 0) throw new ArgumentException("modelBytes must not be negative");
            int size = ImageSize(modelBytes);
            if (size > flash.SlotCapacity) throw new ArgumentException("a checkpoint needs " + size + " bytes but a flash slot holds " + flash.SlotCapacity);
            this.flash = flash;
            image = new byte[size];
            this.modelBytes = modelBytes;
        }

        public static int ImageSize(int modelBytes) { return HeaderBytes + modelBytes + 8 * FirmwareCounters.Count + 4; }

        /// <summary>Sequence number of the newest valid checkpoint (0: none).</summary>
        public uint LastSequence { get { return lastSequence; } }

        /// <summary>Slot of the newest valid checkpoint (-1: none).</summary>
        public int LastSlot { get { return lastSlot; } }

        /// <summary>The slot kept since a reset (the learned model <see cref="Restore"/> brings back), or -1.</summary>
        public int KeptSlot { get { return keptSlot; } }

        /// <summary>How many slots the last LoadLatest rejected; <see cref="Rejection"/> says why for each.</summary>
        public int RejectionCount { get { return InvalidSlotsSeen; } }

        /// <summary>Why the i-th rejected slot (0 .. RejectionCount-1) was skipped: "slot N: reason".</summary>
        public string Rejection(int i) { return rejections[i]; }

        /// <summary>How loaded models hold their training state (the board profile's mode; set by the firmware).</summary>
        public TrainingStateMode TrainingMode = TrainingStateMode.GradientArena;

        /// <summary>LoadLatest for any model shape.</summary>
        public Model LoadLatest(FirmwareCounters counters, int trainingCapacityInts, bool withMomentum)
        {
            return LoadLatest(counters, trainingCapacityInts, withMomentum, -1, -1);
        }

        /// <summary>
        /// Finds the newest checkpoint that is valid and whose model loads (and has the given input
        /// and class counts, -1: any), restores the counters from it and returns its model (a new
        /// Model with the given training arena), or null when no slot holds one. A newer slot that
        /// fails is recorded in <see cref="Rejection"/> and the older slot is tried.
        /// </summary>
        public Model LoadLatest(FirmwareCounters counters, int trainingCapacityInts, bool withMomentum, int inputLength, int classCount)
        {
            InvalidSlotsSeen = 0;
            LastRejection = null;
            lastSequence = 0;
            lastSlot = -1;
            keptSlot = -1;
            for (int slot = 0; slot < Slots; slot++)
            {
                slotValid[slot] = false;
                int length = ReadSlot(slot);
                if (length == 0) continue;
                uint sequence;
                string why = Validate(length, out sequence);
                if (why != null) { Reject(slot, why); continue; }
                slotValid[slot] = true;
                slotSequence[slot] = sequence;
                if (lastSequence == 0 || (int)(long)(sequence - lastSequence) > 0) lastSequence = sequence;
            }
            int first = -1, second = -1;
            if (slotValid[0] && slotValid[1])
            {
                bool zeroNewer = (int)(long)(slotSequence[0] - slotSequence[1]) > 0;
                first = zeroNewer ? 0 : 1;
                second = 1 - first;
            }
            else if (slotValid[0]) first = 0;
            else if (slotValid[1]) first = 1;
            Model model = TryLoad(first, counters, trainingCapacityInts, withMomentum, inputLength, classCount);
            if (model == null && second >= 0) model = TryLoad(second, counters, trainingCapacityInts, withMomentum, inputLength, classCount);
            return model;
        }

        /// <summary>Loads one validated slot; null (and a rejection) when the slot's model is refused.</summary>
        private Model TryLoad(int slot, FirmwareCounters counters, int trainingCapacityInts, bool withMomentum, int inputLength, int classCount)
        {
            if (slot < 0) return null;
            int bytes = ReadSlot(slot);
            uint sequence;
            string why = Validate(bytes, out sequence);
            if (why != null) { Reject(slot, why); return null; }
            int flags = LittleEndian.GetU16(image, 6);
            int counterCount = LittleEndian.GetU16(image, 16);
            int at = HeaderBytes + modelBytes;
            int n = counterCount < FirmwareCounters.Count ? counterCount : FirmwareCounters.Count;
            for (int i = 0; i < n; i++) counterValues[i] = LittleEndian.GetI64(image, at + 8 * i);
            // The model is parsed where it lies once moved to the image's start (ModelFile reads
            // from offset 0): no second model-sized buffer. The image is scratch from here on;
            // every use reads the slot again first.
            for (int i = 0; i < modelBytes; i++) image[i] = image[HeaderBytes + i];
            Model model;
            try { model = ModelFile.Load(image, modelBytes, trainingCapacityInts, withMomentum, ModelHeapLimit, TrainingMode); }
            catch (Exception e) { Reject(slot, "model rejected: " + e.Message); return null; }
            if ((inputLength >= 0 && model.Network.InputLength != inputLength) || (classCount >= 0 && model.Network.ClassCount != classCount))
            {
                Reject(slot, "model takes " + model.Network.InputLength + " features and " + model.Network.ClassCount + " classes, this firmware " + inputLength + " and " + classCount);
                return null;
            }
            counters.CopyFrom(counterValues, n);
            lastSlot = slot;
            if ((flags & FlagKeepsOther) != 0 && slotValid[1 - slot]) keptSlot = 1 - slot;
            LastBytes = bytes;
            return model;
        }

        private void Reject(int slot, string why)
        {
            string line = "slot " + slot + ": " + why;
            if (InvalidSlotsSeen < rejections.Length) rejections[InvalidSlotsSeen] = line;
            InvalidSlotsSeen++;
            LastRejection = line;
        }

        /// <summary>
        /// Writes a new checkpoint (sequence = last + 1) to the slot not holding the newest valid
        /// one (and never to the slot kept since a reset), reads it back and checks it. Returns the
        /// slot written. Throws <see cref="FlashVerifyException"/> when the read-back differs, and
        /// whatever the flash throws; the previous checkpoint stays the newest good one either way.
        /// </summary>
        public int Save(Model model, FirmwareCounters counters)
        {
            int slot = keptSlot >= 0 ? 1 - keptSlot : (lastSlot < 0 ? 0 : 1 - lastSlot);
            return SaveTo(slot, model, counters, keptSlot >= 0 ? FlagKeepsOther : 0);
        }

        /// <summary>
        /// Checkpoints the model a reset went back to, keeping the newest learned checkpoint's slot
        /// untouched until <see cref="ReleaseKept"/> (a newly learned checkpoint) or <see cref="Restore"/>.
        /// </summary>
        public int SaveReset(Model defaultModel, FirmwareCounters counters)
        {
            if (keptSlot < 0) keptSlot = lastSlot;
            return Save(defaultModel, counters);
        }

        /// <summary>The model in use has learned since the reset: the kept slot may now be replaced.</summary>
        public void ReleaseKept() { keptSlot = -1; }

        /// <summary>
        /// Brings back the model kept since a reset (and its counters): returns it, or null when no
        /// slot is kept. The kept slot becomes the newest good one; the caller then saves (which
        /// writes the other slot) so a reboot also comes back with it.
        /// </summary>
        public Model Restore(FirmwareCounters counters, int trainingCapacityInts, bool withMomentum)
        {
            if (keptSlot < 0) return null;
            int slot = keptSlot;
            int rejectedBefore = InvalidSlotsSeen;
            Model model = TryLoad(slot, counters, trainingCapacityInts, withMomentum, -1, -1);
            if (model == null) { InvalidSlotsSeen = rejectedBefore; return null; }
            keptSlot = -1;
            lastSlot = slot;
            return model;
        }

        private int SaveTo(int slot, Model model, FirmwareCounters counters, int flags)
        {
            int size = ModelFile.SizeOf(model);
            if (size != modelBytes) throw new ArgumentException("the model is " + size + " bytes, the store was sized for " + modelBytes);
            uint sequence = lastSequence + 1;
            if (sequence == 0) sequence = 1;
            int at = 0;
            at = LittleEndian.PutU32(image, at, Magic);
            at = LittleEndian.PutU16(image, at, FormatVersion);
            at = LittleEndian.PutU16(image, at, flags);
            at = LittleEndian.PutU32(image, at, sequence);
            at = LittleEndian.PutU32(image, at, (uint)modelBytes);
            at = LittleEndian.PutU16(image, at, FirmwareCounters.Count);
            at = LittleEndian.PutU16(image, at, 0);
            at += ModelFile.Write(model, image, at);
            counters.CopyTo(counterValues);
            for (int i = 0; i < FirmwareCounters.Count; i++) at = LittleEndian.PutI64(image, at, counterValues[i]);
            uint crc = Crc32.Compute(image, 0, at);
            at = LittleEndian.PutU32(image, at, crc);
            flash.Write(slot, image, at);
            // Read back before the slot counts: a flash that silently stored something else must
            // not displace the older good checkpoint (the next save goes to this slot again).
            int readBack = ReadSlot(slot);
            uint readSequence;
            if (readBack < at || Validate(readBack, out readSequence) != null || readSequence != sequence
                || LittleEndian.GetU32(image, at - 4) != crc || LittleEndian.GetU16(image, 6) != flags)
                throw new FlashVerifyException(slot);
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
            uint storedModelBytes = LittleEndian.GetU32(image, 12);
            int counterCount = LittleEndian.GetU16(image, 16);
            if (storedModelBytes != (uint)modelBytes) return "model is " + storedModelBytes + " bytes, this firmware's model is " + modelBytes;
            long total = HeaderBytes + (long)storedModelBytes + 8L * counterCount + 4;
            if (total > length) return "truncated: needs " + total + " bytes, has " + length;
            int end = (int)total - 4;
            if (LittleEndian.GetU32(image, end) != Crc32.Compute(image, 0, end)) return "CRC-32 mismatch";
            sequence = LittleEndian.GetU32(image, 8);
            return null;
        }
    }

    /// <summary>A checkpoint read back from flash differs from what was written: it does not count, the older slot stays.</summary>
    public sealed class FlashVerifyException : Exception
    {
        public FlashVerifyException(int slot) : base("slot " + slot + " read back differs from what was written; the older checkpoint is kept") { }
    }
}
