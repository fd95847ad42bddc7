using System;
using TinTin.Core;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// A checkpoint written in place over an older one and cut by a power loss (issue 15 follow-up, session 11), on the host
    /// and on nanoCLR (a test compares the outputs line for line): slot 0 holds image A (sequence 1), slot 1 image G (2);
    /// image B (3) goes to slot 0 on a flash written in place (no erase: the new prefix, the old tail) and the power goes
    /// after `cut` bytes; then a boot. One line per cut: which checkpoint loaded, its samples and statistics, why slot 0
    /// was skipped. A cut right after B's first CRC leaves A's statistics section behind B's counters with a CRC that
    /// holds; the boot must load G, never B with A's class counts. Every byte from 4 before B's first CRC ends to 4 past
    /// its statistics, a few others. Prints "R …" lines, then "E done"; an exception that escapes prints "X …".
    /// </summary>
    public sealed class CheckpointCutCheck
    {
        private const int Features = 6, Classes = 2;
        private readonly InPlaceFlash flash;
        private readonly Model model;
        private readonly int modelBytes;
        private readonly FirmwareCounters countersA, countersG, countersB;
        private CheckpointStore store;

        public CheckpointCutCheck()
        {
            byte[] file = DefaultModel.Bytes();
            model = ModelFile.Load(file, file.Length, 0, false);
            modelBytes = ModelFile.SizeOf(model);
            flash = new InPlaceFlash(CheckpointStore.ImageSize(modelBytes, Features, Classes));
            countersA = Counters(500, 6, 4);
            countersG = Counters(1000, 25, 15);
            countersB = Counters(2000, 30, 20);
        }

        /// <summary>Bytes of an image: header, model, counters, first CRC, the statistics section, its CRC and the sequence number.</summary>
        public int ImageBytes { get { return CheckpointStore.ImageSize(modelBytes, Features, Classes); } }

        /// <summary>Where the first CRC ends (the statistics section starts).</summary>
        public int FirstCrcEnd { get { return CheckpointStore.ImageSize(modelBytes); } }

        public static void Run(ILineOutput output)
        {
            try
            {
                CheckpointCutCheck check = new CheckpointCutCheck();
                check.SaveAAndG();
                int from = check.FirstCrcEnd - 4, to = check.ImageBytes;
                check.CutAndBoot(output, 0);
                check.CutAndBoot(output, CheckpointStore.HeaderBytes);
                check.CutAndBoot(output, CheckpointStore.HeaderBytes + check.modelBytes / 2);
                for (int cut = from; cut <= to; cut++) check.CutAndBoot(output, cut);
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        private static FirmwareCounters Counters(long samples, uint class0, uint class1)
        {
            FirmwareCounters c = new FirmwareCounters();
            c.Samples = samples;
            c.Labelled = class0 + class1;
            c.SizeStatistics(Features, Classes);
            c.ClassLabelled[0] = class0;
            c.ClassLabelled[1] = class1;
            c.InputSamples = (uint)samples;
            for (int i = 0; i < Features; i++) c.InputSums[i] = (i - 2) * 1000003L * samples;
            return c;
        }

        /// <summary>A (sequence 1) into slot 0, G (2) into slot 1; the flash as they left it is what every cut starts from.</summary>
        public void SaveAAndG()
        {
            store = new CheckpointStore(flash, modelBytes, Features, Classes);
            store.Save(model, countersA);
            store.Save(model, countersG);
            flash.Keep();
        }

        /// <summary>From A and G: a boot, B saved with the power cut after `cut` bytes (none at the image's length), a boot; one line.</summary>
        public void CutAndBoot(ILineOutput output, int cut)
        {
            flash.Restore();
            CheckpointStore booted = new CheckpointStore(flash, modelBytes, Features, Classes);
            booted.LoadLatest(new FirmwareCounters(), 0, false, Features, Classes);
            flash.CutAfter = cut < ImageBytes ? cut : -1;
            string saved = "whole";
            try { booted.Save(model, countersB); }
            catch (PowerCutException) { saved = "cut"; }
            flash.CutAfter = -1;
            FirmwareCounters counters = new FirmwareCounters();
            CheckpointStore after = new CheckpointStore(flash, modelBytes, Features, Classes);
            Model loaded = after.LoadLatest(counters, 0, false, Features, Classes);
            string line = "cut=" + cut.ToString() + " save=" + saved;
            if (loaded == null) line += " loaded=none";
            else
            {
                line += " loaded=" + after.LastSequence.ToString() + " samples=" + counters.Samples.ToString() + " inputs=" + counters.InputSamples.ToString()
                    + " counts=" + counters.ClassLabelled[0].ToString() + "," + counters.ClassLabelled[1].ToString() + " sum0=" + counters.InputSums[0].ToString();
            }
            line += " skipped=" + (after.RejectionCount > 0 ? after.Rejection(0) : "-");
            output.Line(ReplayLines.Result, line);
        }

        /// <summary>A whole save of B (alternating slots): what the heap probe measures.</summary>
        public void SaveB() { store.Save(model, countersB); }

        /// <summary>Thrown when the power goes in the middle of a write.</summary>
        public sealed class PowerCutException : Exception
        {
            public PowerCutException() : base("power cut") { }
        }

        /// <summary>
        /// Two slots of NOR-like flash written in place (no erase: a new image over an older one leaves the older's bytes
        /// past where the write stopped), with a power cut after CutAfter bytes of the next image (-1: none).
        /// </summary>
        private sealed class InPlaceFlash : IFlashStore
        {
            private readonly byte[][] slots = new byte[2][];
            private readonly byte[][] kept = new byte[2][];
            private readonly int[] lengths = new int[2], keptLengths = new int[2];
            private readonly int capacity;
            public int CutAfter = -1;

            public InPlaceFlash(int capacity)
            {
                this.capacity = capacity;
                for (int s = 0; s < 2; s++) { slots[s] = new byte[capacity]; kept[s] = new byte[capacity]; }
            }

            public int SlotCount { get { return 2; } }
            public int SlotCapacity { get { return capacity; } }

            public int Read(int slot, int offset, byte[] buffer, int count)
            {
                int n = lengths[slot] - offset;
                if (n > count) n = count;
                if (n <= 0 || offset < 0) return 0;
                Array.Copy(slots[slot], offset, buffer, 0, n);
                return n;
            }

            public void Write(int slot, int offset, byte[] data, int count)
            {
                if (offset + count > capacity) throw new ArgumentException("flash slot " + slot + " holds " + capacity + " bytes, not " + (offset + count));
                int keep = count;
                bool cut = CutAfter >= 0 && offset + count > CutAfter;
                if (cut) keep = CutAfter > offset ? CutAfter - offset : 0;
                Array.Copy(data, 0, slots[slot], offset, keep);
                if (offset + keep > lengths[slot]) lengths[slot] = offset + keep;
                if (cut) { CutAfter = -1; throw new PowerCutException(); }
            }

            /// <summary>Remembers both slots (what <see cref="Restore"/> brings back).</summary>
            public void Keep()
            {
                for (int s = 0; s < 2; s++) { Array.Copy(slots[s], kept[s], capacity); keptLengths[s] = lengths[s]; }
            }

            public void Restore()
            {
                for (int s = 0; s < 2; s++) { Array.Copy(kept[s], slots[s], capacity); lengths[s] = keptLengths[s]; }
            }
        }
    }
}
