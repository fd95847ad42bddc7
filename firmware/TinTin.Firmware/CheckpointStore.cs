using System;
using TinTin.Core;
using TinTin.Fleet;

namespace TinTin.Firmware
{
    /// <summary>
    /// Two-slot checkpoints of what the board learned, safe against a power cut at any byte.
    ///
    /// Slot image, little-endian:
    /// <code>
    ///  0  u32  magic "TTCK"
    ///  4  u16  format version (1)
    ///  6  u16  flags (bit 0 FlagKeepsOther: the other slot holds the model from before a reset; bits 1, 2 below)
    ///  8  u32  sequence number (1, 2, 3, …; compared with wrap-around)
    /// 12  u32  model bytes M
    /// 16  u16  counter count K
    /// 18  u16  statistics bytes S (0: no statistics section; a reserved 0 before session 9)
    /// 20  M bytes: the model as TinTin.Core.ModelFile writes it (weights, exponents, normaliser; its own CRC)
    /// 20+M     K × i64 firmware counters (FirmwareCounters order)
    /// 20+M+8K  u32 CRC-32 of every byte before it
    /// 24+M+8K  S bytes, the board's statistics (<see cref="StatisticsBytes"/>): u16 classes C, u16 features F,
    ///          u32 input samples N, C × u32 samples labelled with each class, F × i64 sums of the normalised int8 input
    /// 24+M+8K+S u32 CRC-32 of every byte before it (the first CRC included)
    /// 28+M+8K+S u32 with flag bit 2 (FlagStatisticsSequence, session 11; set on every image with the section, meaningless
    ///               without one): the image's sequence number again, which the section's CRC cannot stand in for (below)
    /// then, with flag bit 1 (FlagBaseRows), the fleet base's rows (<see cref="BaseRowsBytes"/>; at R = the end of the
    /// statistics section's CRC and sequence number, or of the first CRC without statistics):
    /// R        u32  section bytes B (what follows up to its CRC)
    /// R+4      u16  section version (1), u16 parameter layers L, u32 base version V, u32 the image's sequence number
    ///               (a CRC run on over a valid CRC always reaches the same state, so the section's own CRC cannot tell a
    ///               stale section, left behind a new image by a cut write in place, from this image's: the number can)
    /// R+16     L × (u16 channels Ch, u16 row length W, i8 master exponent, u8 int8 shift, i8 bias exponent,
    ///               Ch·W × i16 master weights, Ch × i32 biases): the merged rows the board's updates are differences to
    /// R+4+B    u32  CRC-32 of every byte before it
    /// </code>
    /// The statistics section comes after the first CRC so that firmware from before it (which reads only up to that
    /// CRC and ignores the reserved field) still loads a newer image; a slot whose section is cut, corrupt, of another
    /// shape than the model or counting more labelled samples per class than the labelled counter is rejected like any
    /// corrupt slot. An image without the section (S = 0: written before session 9) loads with the class counts and the
    /// input statistics at zero (<see cref="LoadedStatistics"/> false).
    /// The statistics' sequence number (issue 15 follow-up, session 11): a CRC-32 run on over data followed by its own
    /// valid CRC always reaches the same state, so the section's CRC holds for ANY image's section behind ANY valid first
    /// CRC. A write cut right after the first CRC on flash written in place (no erase, no truncation) leaves the new
    /// header, model and counters with the older image's section and CRC, which pass: the slot would load the new model
    /// with the old class counts and input statistics. The number written after the section's CRC tells them apart: a
    /// stale section is followed by what followed it in the older image (its number; the end of the slot, or the length
    /// field of its base section, for an image from before session 11, which would pass only if equal to this image's
    /// sequence number), never by this image's number, so Validate rejects the slot like any cut write and the older slot loads (the save did not complete; LoadLatest, Restore and
    /// the slot kept after a reset treat it as any corrupt slot). Why after the CRC and not inside the section or its
    /// CRC: up to the section's CRC the image stays exactly what firmware of sessions 9 and 10 reads and checks, so it
    /// still loads a newer image with its statistics (those ignore bit 2; with base rows they find the section 4 bytes on
    /// and load the slot without the rows, every channel until a take). The number needs no CRC of its own: it is
    /// written after the section, so it reads as this image's only when the section before it was written whole by this
    /// image (a damaged number only rejects the slot); the base section's CRC covers it. An image without bit 2 (written
    /// before session 11) loads as before, with no such check.
    /// The base's rows (issue 15, session 10) come last, behind a header flag that firmware from before ignores: a board
    /// rebooted at a fleet base above 0 diffs against them again instead of sending every channel until its next take.
    /// A base section that is cut, corrupt or of another shape does not reject the slot (its model, counters and
    /// statistics passed their own CRCs): the rows are not used (<see cref="BaseRowsProblem"/> says why) and the board
    /// sends every channel until its next take, as without the section. Loading checks the section's CRC only; the rows
    /// are read later, chunk by chunk, into the fleet member's own buffer (<see cref="CopyBaseRows"/>): no model-sized
    /// array. A save writes the section only when given exact rows of a base above 0 (version 0's are the embedded
    /// default model) and the slot holds them; otherwise the image is what it was before (<see cref="BaseRowsLeftOut"/>).
    /// A save writes the whole image to the slot that does NOT hold the newest valid checkpoint,
    /// so the last good one is never touched; a cut write leaves a slot whose length, magic or
    /// CRC is wrong, and <see cref="LoadLatest"/> skips it. Every write is read back and checked
    /// before it counts (<see cref="FlashVerifyException"/>: the older slot stays the newest
    /// good one). A slot whose CRC is valid but whose model is rejected is skipped too, and the
    /// older slot loads. After a reset (<see cref="SaveReset"/>) the slot holding the learned
    /// model is kept until a newly learned checkpoint replaces it (<see cref="ReleaseKept"/>);
    /// <see cref="Restore"/> brings it back. Images are streamed: a save writes header, model
    /// (<see cref="ModelFile.Write(Model, ByteWriter)"/>), counters and CRC through one small chunk
    /// (<see cref="ChunkBytes"/>) with the CRC computed on the fly, and checking a slot reads it back
    /// chunk by chunk, so the store holds no model-sized buffer between checkpoints (a board's heap
    /// keeps only the chunk; the image lives in flash). Only loading (boot, restore) makes a
    /// model-sized array, for the model parser, and drops it. Saves allocate nothing.
    /// </summary>
    public sealed class CheckpointStore : IBaseRowsSource
    {
        public const uint Magic = 0x4B435454; // 'T','T','C','K'
        public const int FormatVersion = 1;
        public const int HeaderBytes = 20;
        /// <summary>Header flag: the other slot holds the model from before a reset; keep it (see <see cref="SaveReset"/>).</summary>
        public const int FlagKeepsOther = 1;
        /// <summary>Header flag: the image ends with the fleet base's rows (see <see cref="BaseRowsBytes"/>); firmware before session 10 ignores it.</summary>
        public const int FlagBaseRows = 2;
        /// <summary>Header flag: the statistics section's CRC is followed by the image's sequence number (a stale section left by a cut write in place is rejected); set with every statistics section since session 11, ignored before.</summary>
        public const int FlagStatisticsSequence = 4;
        /// <summary>Version of the base-rows section's layout.</summary>
        public const int BaseRowsVersion = 1;
        private const int Slots = 2;

        /// <summary>Bytes of the buffer images are streamed through (at least a header).</summary>
        public const int ChunkBytes = 128;

        private readonly IFlashStore flash;
        private readonly byte[] chunk = new byte[ChunkBytes]; // [ChunkBytes] saves, read-back checks and loads stream through it
        private readonly ByteWriter writer = new ByteWriter();
        private readonly SlotSink sink;
        private readonly int modelBytes;                     // ModelFile.SizeOf the firmware's model
        private int readFlags, readCounterCount, readStatisticsBytes; // header fields of the slot the last Validate accepted
        private int readSectionsEnd;                     // where its statistics section (with its CRC and sequence number) ends: R
        private uint readCrc, readStatisticsCrc;
        private int readBaseAt, readBaseBytes;           // the base section Validate found (flag set): where, B, and why it is unusable (null: its CRC holds)
        private string readBaseProblem;
        private uint readBaseCrc;
        private int loadedBaseSlot = -1, loadedBaseAt, loadedBaseBytes;   // the base section of the slot last loaded, if usable
        private uint loadedBaseSequence;
        private int chunkSlot, chunkAt, chunkPos, chunkLength; // CopyBaseRows' position: chunk holds the slot's bytes [chunkAt, chunkAt + chunkLength)
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
        /// <summary>Whether the last checkpoint loaded (boot, restore) held the statistics section; false: written before it, the class counts and input statistics start at 0.</summary>
        public bool LoadedStatistics;
        /// <summary>Whether the checkpoint last loaded (boot, restore) holds usable base rows (its section's CRC held): <see cref="CopyBaseRows"/> reads them.</summary>
        public bool LoadedBaseRows { get { return loadedBaseSlot >= 0; } }
        /// <summary>Why the last loaded checkpoint's base section is unusable (cut, corrupt), or null (usable, or no section).</summary>
        public string BaseRowsProblem;
        /// <summary>Saves that were given base rows but wrote the image without them: the slot is too small for them.</summary>
        public int BaseRowsLeftOut;
        /// <summary>Heap a checkpoint's model may take (ModelFile.Load's limit): the firmware sets its board's heap.</summary>
        public int ModelHeapLimit = ModelFile.DefaultMaxBytes;

        /// <param name="modelBytes">ModelFile.SizeOf the model the firmware runs (fixed architecture).</param>
        public CheckpointStore(IFlashStore flash, int modelBytes) : this(flash, modelBytes, 0, 0) { }

        /// <param name="modelBytes">ModelFile.SizeOf the model the firmware runs (fixed architecture).</param>
        /// <param name="features">The model's input length (the statistics' input sums; 0 with classes 0: no statistics section).</param>
        /// <param name="classes">The model's class count (the statistics' class counts).</param>
        public CheckpointStore(IFlashStore flash, int modelBytes, int features, int classes)
        {
            if (flash == null) throw new ArgumentException("a checkpoint store needs a flash store");
            if (flash.SlotCount < 2) throw new ArgumentException("checkpoints need two flash slots");
            if (modelBytes < 0) throw new ArgumentException("modelBytes must not be negative");
            if (features < 0 || classes < 0) throw new ArgumentException("features and classes must not be negative");
            int size = features == 0 && classes == 0 ? ImageSize(modelBytes) : ImageSize(modelBytes, features, classes);
            if (size > flash.SlotCapacity) throw new ArgumentException("a checkpoint needs " + size + " bytes but a flash slot holds " + flash.SlotCapacity);
            this.flash = flash;
            sink = new SlotSink(flash);
            this.modelBytes = modelBytes;
        }

        /// <summary>Bytes of an image without the statistics section (counters without statistics; every checkpoint before session 9).</summary>
        public static int ImageSize(int modelBytes) { return HeaderBytes + modelBytes + 8 * FirmwareCounters.Count + 4; }

        /// <summary>Bytes of an image with the statistics section of a model with this input length and class count (the section, its CRC and the image's sequence number after it).</summary>
        public static int ImageSize(int modelBytes, int features, int classes) { return ImageSize(modelBytes) + StatisticsBytes(features, classes) + 8; }

        /// <summary>Bytes of the statistics section: C, F, N, the class counts and the input sums (64 B for 6 features and 2 classes).</summary>
        public static int StatisticsBytes(int features, int classes) { return 8 + 4 * classes + 8 * features; }

        /// <summary>Bytes the base-rows section adds to an image for parameters of this shape: B + 8 (length field and CRC; 3,313 B on 6-48-24-2, 362 B on 6-16-2: images of 6,964 and 1,056 B with the statistics).</summary>
        public static int BaseRowsBytes(ParameterSet shape)
        {
            int bytes = 4 + 12 + 4; // B; version, layers, base version, sequence; the CRC
            for (int l = 0; l < shape.LayerCount; l++) bytes += 7 + 2 * shape.Master[l].Length + 4 * shape.Channels[l];
            return bytes;
        }

        /// <summary>
        /// The image the firmware writes for this model file (its input length and class count read and checked by
        /// <see cref="ModelFile.Shape"/>, allocation-free): what a flash slot must hold. Throws
        /// <see cref="ModelFormatException"/> on bytes that are not a valid model file.
        /// </summary>
        public static int ImageSize(byte[] modelFile)
        {
            int features, classes;
            ModelFile.Shape(modelFile, modelFile == null ? 0 : modelFile.Length, out features, out classes);
            return ImageSize(modelFile.Length, features, classes);
        }

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

        /// <summary>Whether any slot holds data (a checkpoint may load); reads one byte per slot, allocates nothing.</summary>
        public bool HoldsData()
        {
            for (int slot = 0; slot < Slots; slot++)
                if (flash.Read(slot, 0, chunk, 1) > 0) return true;
            return false;
        }

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
            loadedBaseSlot = -1;
            BaseRowsProblem = null;
            lastSequence = 0;
            lastSlot = -1;
            keptSlot = -1;
            for (int slot = 0; slot < Slots; slot++)
            {
                slotValid[slot] = false;
                if (flash.Read(slot, 0, chunk, 1) <= 0) continue; // empty
                uint sequence;
                string why = Validate(slot, out sequence);
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
            uint sequence;
            string why = Validate(slot, out sequence);
            if (why != null) { Reject(slot, why); return null; }
            int flags = readFlags;
            int counterCount = readCounterCount;
            int at = HeaderBytes + modelBytes;
            int n = counterCount < FirmwareCounters.Count ? counterCount : FirmwareCounters.Count;
            for (int i = 0; i < n; i++)
            {
                if (flash.Read(slot, at + 8 * i, chunk, 8) < 8) { Reject(slot, "counters unreadable"); return null; }
                counterValues[i] = LittleEndian.GetI64(chunk, 0);
            }
            // The model parser reads an array: made here (boot, restore), dropped after.
            byte[] bytes = new byte[modelBytes];
            if (flash.Read(slot, HeaderBytes, bytes, modelBytes) < modelBytes) { Reject(slot, "model unreadable"); return null; }
            Model model;
            try { model = ModelFile.Load(bytes, modelBytes, trainingCapacityInts, withMomentum, ModelHeapLimit, TrainingMode); }
            catch (Exception e) { Reject(slot, "model rejected: " + e.Message); return null; }
            if ((inputLength >= 0 && model.Network.InputLength != inputLength) || (classCount >= 0 && model.Network.ClassCount != classCount))
            {
                Reject(slot, "model takes " + model.Network.InputLength + " features and " + model.Network.ClassCount + " classes, this firmware " + inputLength + " and " + classCount);
                return null;
            }
            int statisticsBytes = readStatisticsBytes;
            int statisticsAt = HeaderBytes + modelBytes + 8 * counterCount + 4;
            if (statisticsBytes > 0)
            {
                string wrong = CheckStatistics(slot, statisticsAt, statisticsBytes, model.Network.InputLength, model.Network.ClassCount, n > 1 ? counterValues[1] : 0);
                if (wrong != null) { Reject(slot, "statistics section: " + wrong); return null; }
            }
            counters.CopyFrom(counterValues, n);
            loadedBaseSlot = -1;
            BaseRowsProblem = null;
            if ((flags & FlagBaseRows) != 0)
            {
                if (readBaseProblem != null) BaseRowsProblem = "slot " + slot + ": base rows section: " + readBaseProblem;
                else { loadedBaseSlot = slot; loadedBaseAt = readBaseAt; loadedBaseBytes = readBaseBytes; loadedBaseSequence = sequence; }
            }
            LoadedStatistics = statisticsBytes > 0;
            if (LoadedStatistics) ReadStatistics(slot, statisticsAt, model.Network.InputLength, model.Network.ClassCount, counters);
            else counters.ClearInputStatistics();
            lastSlot = slot;
            if ((flags & FlagKeepsOther) != 0 && slotValid[1 - slot]) keptSlot = 1 - slot;
            LastBytes = readSectionsEnd + (loadedBaseSlot >= 0 ? readBaseBytes + 8 : 0);
            return model;
        }

        /// <summary>Null when the slot's statistics section fits the model (shape, length) and counts at most `labelled` samples over the classes, else why not.</summary>
        private string CheckStatistics(int slot, int at, int bytes, int features, int classes, long labelled)
        {
            if (bytes < 8) return bytes + " bytes, shorter than its 8-byte head";
            if (flash.Read(slot, at, chunk, 8) < 8) return "unreadable";
            int storedClasses = LittleEndian.GetU16(chunk, 0);
            int storedFeatures = LittleEndian.GetU16(chunk, 2);
            if (storedClasses != classes || storedFeatures != features)
                return storedClasses + " classes and " + storedFeatures + " features, the model has " + classes + " and " + features;
            if (bytes != StatisticsBytes(features, classes))
                return bytes + " bytes, " + classes + " classes and " + features + " features need " + StatisticsBytes(features, classes);
            long sum = 0;
            for (int c = 0; c < classes; c++)
            {
                if (flash.Read(slot, at + 8 + 4 * c, chunk, 4) < 4) return "unreadable";
                sum += LittleEndian.GetU32(chunk, 0);
            }
            if (sum > labelled) return "the class counts add up to " + sum + " labelled samples, more than the " + labelled + " the counters hold";
            return null;
        }

        /// <summary>Copies a checked statistics section into the counters (sized to the model: allocates only when they were not).</summary>
        private void ReadStatistics(int slot, int at, int features, int classes, FirmwareCounters counters)
        {
            counters.SizeStatistics(features, classes);
            flash.Read(slot, at, chunk, 8);
            counters.InputSamples = LittleEndian.GetU32(chunk, 4);
            uint[] counts = counters.ClassLabelled;
            for (int c = 0; c < classes; c++)
            {
                flash.Read(slot, at + 8 + 4 * c, chunk, 4);
                counts[c] = LittleEndian.GetU32(chunk, 0);
            }
            long[] sums = counters.InputSums;
            int sumsAt = at + 8 + 4 * classes;
            for (int i = 0; i < features; i++)
            {
                flash.Read(slot, sumsAt + 8 * i, chunk, 8);
                sums[i] = LittleEndian.GetI64(chunk, 0);
            }
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
        public int Save(Model model, FirmwareCounters counters) { return Save(model, counters, null, 0); }

        /// <summary>
        /// As <see cref="Save(Model, FirmwareCounters)"/>, keeping the fleet base's rows too (baseRows: the member's exact
        /// baseline, merged version baseVersion; null or version 0: no section, version 0's rows are the embedded default
        /// model). A slot too small for them gets the image without them (<see cref="BaseRowsLeftOut"/> counts it).
        /// </summary>
        public int Save(Model model, FirmwareCounters counters, ParameterSet baseRows, uint baseVersion)
        {
            int slot = keptSlot >= 0 ? 1 - keptSlot : (lastSlot < 0 ? 0 : 1 - lastSlot);
            return SaveTo(slot, model, counters, keptSlot >= 0 ? FlagKeepsOther : 0, baseRows, baseVersion);
        }

        /// <summary>
        /// Checkpoints the model a reset went back to, keeping the newest learned checkpoint's slot
        /// untouched until <see cref="ReleaseKept"/> (a newly learned checkpoint) or <see cref="Restore"/>.
        /// </summary>
        public int SaveReset(Model defaultModel, FirmwareCounters counters) { return SaveReset(defaultModel, counters, null, 0); }

        /// <summary>SaveReset with the fleet base's rows (as <see cref="Save(Model, FirmwareCounters, ParameterSet, uint)"/>).</summary>
        public int SaveReset(Model defaultModel, FirmwareCounters counters, ParameterSet baseRows, uint baseVersion)
        {
            if (keptSlot < 0) keptSlot = lastSlot;
            return Save(defaultModel, counters, baseRows, baseVersion);
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

        private int SaveTo(int slot, Model model, FirmwareCounters counters, int flags, ParameterSet baseRows, uint baseVersion)
        {
            int size = ModelFile.SizeOf(model);
            if (size != modelBytes) throw new ArgumentException("the model is " + size + " bytes, the store was sized for " + modelBytes);
            uint sequence = lastSequence + 1;
            if (sequence == 0) sequence = 1;
            bool statistics = counters.HasStatistics;
            int statisticsBytes = statistics ? StatisticsBytes(counters.InputSums.Length, counters.ClassLabelled.Length) : 0;
            bool withBase = baseRows != null && baseVersion > 0;
            if (statistics) flags |= FlagStatisticsSequence;
            if (withBase && ImageSize(modelBytes) + (statistics ? statisticsBytes + 8 : 0) + BaseRowsBytes(baseRows) > flash.SlotCapacity)
            {
                withBase = false;
                BaseRowsLeftOut++;
            }
            if (withBase) flags |= FlagBaseRows;
            sink.Start(slot);
            writer.Begin(chunk, sink);
            writer.U32(Magic);
            writer.U16(FormatVersion);
            writer.U16(flags);
            writer.U32(sequence);
            writer.U32((uint)modelBytes);
            writer.U16(FirmwareCounters.Count);
            writer.U16(statisticsBytes);
            ModelFile.Write(model, writer);
            counters.CopyTo(counterValues);
            for (int i = 0; i < FirmwareCounters.Count; i++) writer.I64(counterValues[i]);
            uint crc = writer.Crc();
            writer.U32(crc);
            uint statisticsCrc = 0;
            if (statistics)
            {
                uint[] counts = counters.ClassLabelled;
                long[] sums = counters.InputSums;
                writer.U16(counts.Length);
                writer.U16(sums.Length);
                writer.U32(counters.InputSamples);
                for (int c = 0; c < counts.Length; c++) writer.U32(counts[c]);
                for (int i = 0; i < sums.Length; i++) writer.I64(sums[i]);
                statisticsCrc = writer.Crc();
                writer.U32(statisticsCrc);
                writer.U32(sequence); // FlagStatisticsSequence: tells this section from an older image's left by a cut
            }
            uint baseCrc = 0;
            if (withBase) baseCrc = WriteBaseRows(baseRows, baseVersion, sequence);
            writer.End();
            int at = writer.Count;
            // Read back before the slot counts: a flash that silently stored something else must
            // not displace the older good checkpoint (the next save goes to this slot again).
            uint readSequence;
            if (Validate(slot, out readSequence) != null || readSequence != sequence || readCrc != crc || readFlags != flags
                || readStatisticsBytes != statisticsBytes || readStatisticsCrc != statisticsCrc
                || withBase && (readBaseProblem != null || readBaseCrc != baseCrc))
                throw new FlashVerifyException(slot);
            lastSequence = sequence;
            lastSlot = slot;
            LastBytes = at;
            return slot;
        }

        /// <summary>The base-rows section (after the header flag FlagBaseRows): its length, layout, the rows, its CRC over the whole image so far.</summary>
        private uint WriteBaseRows(ParameterSet rows, uint version, uint sequence)
        {
            writer.U32((uint)(long)(BaseRowsBytes(rows) - 8));
            writer.U16(BaseRowsVersion);
            writer.U16(rows.LayerCount);
            writer.U32(version);
            writer.U32(sequence);
            for (int l = 0; l < rows.LayerCount; l++)
            {
                writer.U16(rows.Channels[l]);
                writer.U16(rows.RowLength[l]);
                writer.U8(rows.MasterExponent[l]);
                writer.U8(rows.Int8Shift[l]);
                writer.U8(rows.BiasExponent[l]);
                short[] master = rows.Master[l];
                for (int i = 0; i < master.Length; i++) writer.U16(master[i]);
                int[] bias = rows.Bias[l];
                for (int c = 0; c < rows.Channels[l]; c++) writer.U32((uint)bias[c]);
            }
            uint crc = writer.Crc();
            writer.U32(crc);
            return crc;
        }

        /// <summary>
        /// IBaseRowsSource: reads the base rows of the checkpoint last loaded (boot, restore) into `into` (the fleet member's
        /// buffer), streamed through the store's chunk: allocation-free. Null when they are merged version `version`'s
        /// rows of into's shape, else why not (no section, a section of another layout, version or shape, out-of-range
        /// exponents or masters, a slot rewritten since); into may then hold part of them.
        /// </summary>
        public string CopyBaseRows(uint version, ParameterSet into)
        {
            if (loadedBaseSlot < 0) return BaseRowsProblem != null ? BaseRowsProblem : "the checkpoint holds no base rows";
            int slot = loadedBaseSlot;
            if (flash.Read(slot, 8, chunk, 4) < 4 || LittleEndian.GetU32(chunk, 0) != loadedBaseSequence) return "slot " + slot + " was rewritten since it loaded";
            chunkSlot = slot;
            chunkAt = loadedBaseAt + 4;
            chunkPos = 0;
            chunkLength = 0;
            int layout = NextU16();
            int layers = NextU16();
            uint stored = NextU32();
            NextU32(); // the image's sequence number, checked by Validate
            if (layout != BaseRowsVersion) return "base rows section version " + layout + ", this firmware reads " + BaseRowsVersion;
            if (stored != version) return "base rows of version " + stored + ", the checkpoint's base is version " + version;
            if (layers != into.LayerCount) return "base rows of " + layers + " parameter layers, the model has " + into.LayerCount;
            for (int l = 0; l < layers; l++)
            {
                int channels = NextU16();
                int rowLength = NextU16();
                if (channels != into.Channels[l] || rowLength != into.RowLength[l])
                    return "base rows layer " + l + " is " + channels + "x" + rowLength + ", the model's " + into.Channels[l] + "x" + into.RowLength[l];
                int masterExponent = (sbyte)NextU8();
                int shift = NextU8();
                int biasExponent = (sbyte)NextU8();
                if (shift > 15) return "base rows layer " + l + ": int8 shift " + shift + " is outside 0..15";
                into.MasterExponent[l] = masterExponent;
                into.Int8Shift[l] = shift;
                into.BiasExponent[l] = biasExponent;
                short[] master = into.Master[l];
                for (int i = 0; i < master.Length; i++)
                {
                    int m = (short)NextU16();
                    if (m == short.MinValue) return "base rows layer " + l + " master weight " + i + ": -32768 is outside the symmetric int16 range";
                    master[i] = (short)m;
                }
                int[] bias = into.Bias[l];
                for (int c = 0; c < channels; c++) bias[c] = (int)(long)NextU32();
            }
            if (chunkPos < 0) return "base rows section unreadable";
            int consumed = chunkAt + chunkPos - (loadedBaseAt + 4);
            if (consumed != loadedBaseBytes) return "base rows section is " + loadedBaseBytes + " bytes, its layers take " + consumed;
            return null;
        }

        private int NextU8()
        {
            if (chunkPos >= chunkLength)
            {
                chunkAt += chunkLength;
                chunkLength = flash.Read(chunkSlot, chunkAt, chunk, chunk.Length);
                chunkPos = 0;
                if (chunkLength <= 0) { chunkLength = 0; chunkPos = -1; return 0; } // unreadable: reported at the end
            }
            if (chunkPos < 0) return 0;
            return chunk[chunkPos++];
        }

        private int NextU16() { int low = NextU8(); return low | (NextU8() << 8); }

        private uint NextU32() { uint low = (uint)NextU16(); return low | ((uint)NextU16() << 16); }

        /// <summary>Runs the CRC on over the slot's bytes [from, to) in chunks; returns `to`, or where the slot's bytes ended.</summary>
        private int CrcOver(int slot, int from, int to, ref uint crc)
        {
            for (int at = from; at < to; )
            {
                int want = to - at < chunk.Length ? to - at : chunk.Length;
                int got = flash.Read(slot, at, chunk, want);
                if (got < want) return at + (got < 0 ? 0 : got);
                crc = Crc32.Update(crc, chunk, 0, got);
                at += got;
            }
            return to;
        }

        /// <summary>
        /// Null when the slot holds a valid checkpoint (header, length, CRC-32 over every byte read
        /// back chunk by chunk, and the statistics section's own CRC when it has one, and with FlagStatisticsSequence
        /// the image's sequence number after it), else why not. Keeps the header's flags, counter count, statistics
        /// bytes, stored CRCs and where the statistics end.
        /// </summary>
        private string Validate(int slot, out uint sequence)
        {
            sequence = 0;
            int length = flash.Read(slot, 0, chunk, HeaderBytes);
            if (length < HeaderBytes) return "truncated header (" + (length < 0 ? 0 : length) + " bytes)";
            if (LittleEndian.GetU32(chunk, 0) != Magic) return "no TTCK magic";
            int version = LittleEndian.GetU16(chunk, 4);
            if (version != FormatVersion) return "unsupported checkpoint version " + version;
            uint storedModelBytes = LittleEndian.GetU32(chunk, 12);
            int counterCount = LittleEndian.GetU16(chunk, 16);
            if (storedModelBytes != (uint)modelBytes) return "model is " + storedModelBytes + " bytes, this firmware's model is " + modelBytes;
            int flags = LittleEndian.GetU16(chunk, 6);
            int statisticsBytes = LittleEndian.GetU16(chunk, 18);
            uint storedSequence = LittleEndian.GetU32(chunk, 8);
            int end = HeaderBytes + modelBytes + 8 * counterCount;
            uint crc = 0xFFFFFFFFu;
            int reached = CrcOver(slot, 0, end, ref crc);
            if (reached < end) return "truncated: needs " + (end + 4) + " bytes, has " + reached;
            int tail = flash.Read(slot, end, chunk, 4);
            if (tail < 4) return "truncated: needs " + (end + 4) + " bytes, has " + (end + (tail < 0 ? 0 : tail));
            uint stored = LittleEndian.GetU32(chunk, 0);
            if (stored != (crc ^ 0xFFFFFFFFu)) return "CRC-32 mismatch";
            uint statisticsStored = 0;
            if (statisticsBytes > 0)
            {
                // The statistics section and its CRC, which runs on over the first CRC's bytes.
                crc = Crc32.Update(crc, chunk, 0, 4);
                int to = end + 4 + statisticsBytes;
                reached = CrcOver(slot, end + 4, to, ref crc);
                if (reached < to) return "statistics section truncated: needs " + (to + 4) + " bytes, has " + reached;
                int last = flash.Read(slot, to, chunk, 4);
                if (last < 4) return "statistics section truncated: needs " + (to + 4) + " bytes, has " + (to + (last < 0 ? 0 : last));
                statisticsStored = LittleEndian.GetU32(chunk, 0);
                if (statisticsStored != (crc ^ 0xFFFFFFFFu)) return "statistics section CRC-32 mismatch";
                end = to;
                if ((flags & FlagStatisticsSequence) != 0)
                {
                    // The CRC holds for any image's section behind a valid first CRC: the number says whose it is.
                    crc = Crc32.Update(crc, chunk, 0, 4); // the section's CRC, for the base section's CRC after it
                    int got = flash.Read(slot, to + 4, chunk, 4);
                    if (got < 4) return "statistics section truncated: needs " + (to + 8) + " bytes, has " + (to + 4 + (got < 0 ? 0 : got));
                    uint owner = LittleEndian.GetU32(chunk, 0);
                    if (owner != storedSequence) return "statistics section left by checkpoint " + owner + " (a cut write), this is " + storedSequence;
                    end = to + 4;
                }
            }
            readBaseProblem = null;
            readBaseCrc = 0;
            if ((flags & FlagBaseRows) != 0) readBaseProblem = ValidateBaseRows(slot, end + 4, crc, storedSequence);
            readFlags = flags;
            readSectionsEnd = end + 4;
            readCounterCount = counterCount;
            readCrc = stored;
            readStatisticsBytes = statisticsBytes;
            readStatisticsCrc = statisticsStored;
            sequence = storedSequence;
            return null;
        }

        /// <summary>
        /// Null when the base section at `at` is whole and its CRC (run on from `crc`, the image's CRC state up to `at` less
        /// the 4 bytes before it, a CRC or the statistics' sequence number, still in the chunk) holds, else why not. Keeps
        /// where it is, B and its CRC.
        /// </summary>
        private string ValidateBaseRows(int slot, int at, uint crc, uint sequence)
        {
            crc = Crc32.Update(crc, chunk, 0, 4); // the 4 bytes stored just before the section
            int got = flash.Read(slot, at, chunk, 4);
            if (got < 4) return "truncated: needs " + (at + 4) + " bytes, has " + (at + (got < 0 ? 0 : got));
            uint bytes = LittleEndian.GetU32(chunk, 0);
            if (bytes < 8 || bytes > (uint)flash.SlotCapacity) return "length " + bytes + " is outside 8.." + flash.SlotCapacity;
            int to = at + 4 + (int)(long)bytes;
            int reached = CrcOver(slot, at, to, ref crc);
            if (reached < to) return "truncated: needs " + (to + 4) + " bytes, has " + reached;
            int last = flash.Read(slot, to, chunk, 4);
            if (last < 4) return "truncated: needs " + (to + 4) + " bytes, has " + (to + (last < 0 ? 0 : last));
            uint stored = LittleEndian.GetU32(chunk, 0);
            if (stored != (crc ^ 0xFFFFFFFFu)) return "CRC-32 mismatch";
            if (bytes < 12 || flash.Read(slot, at + 12, chunk, 4) < 4) return "too short for its head";
            uint owner = LittleEndian.GetU32(chunk, 0);
            if (owner != sequence) return "left by checkpoint " + owner + " (a cut write), this is " + sequence;
            readBaseAt = at;
            readBaseBytes = (int)(long)bytes;
            readBaseCrc = stored;
            return null;
        }

        /// <summary>The writer's chunks, in order, to one slot (offset 0 starts the image).</summary>
        private sealed class SlotSink : IByteSink
        {
            private readonly IFlashStore flash;
            private int slot, offset;
            public SlotSink(IFlashStore flash) { this.flash = flash; }
            public void Start(int slot) { this.slot = slot; offset = 0; }
            public void Write(byte[] data, int count)
            {
                flash.Write(slot, offset, data, count);
                offset += count;
            }
        }
    }

    /// <summary>A checkpoint read back from flash differs from what was written: it does not count, the older slot stays.</summary>
    public sealed class FlashVerifyException : Exception
    {
        public FlashVerifyException(int slot) : base("slot " + slot + " read back differs from what was written; the older checkpoint is kept") { }
    }
}
