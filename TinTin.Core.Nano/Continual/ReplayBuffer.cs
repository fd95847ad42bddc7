using System;

namespace TinTin.Core
{
    /// <summary>
    /// A class-balanced int8 replay buffer: one reservoir per class (Vitter's algorithm R), each of
    /// PerClass = capacity / classes slots (at least one), so a rare class keeps its share instead
    /// of being crowded out, and within a class every sample seen so far is equally likely to be
    /// kept. Samples are stored as int8 model inputs at one exponent. The pseudo-random picks come
    /// from the engine's <see cref="XorShift32"/> seeded by the caller (never used for rounding).
    /// Allocates only in the constructor.
    /// </summary>
    public sealed class ReplayBuffer
    {
        public readonly int FeatureCount;
        public readonly int Classes;
        public readonly int PerClass;
        /// <summary>[Classes · PerClass · FeatureCount] int8 samples; class c's slot i starts at OffsetOf(c, i).</summary>
        public readonly sbyte[] Data;
        private readonly int[] classCount;   // [Classes] slots filled
        private readonly long[] classSeen;   // [Classes] samples offered
        private readonly XorShift32 random;
        /// <summary>Memory horizon in multiples of PerClass (0: classic reservoir). See ContinualConfig.ReplayRecency.</summary>
        public int Recency;

        public ReplayBuffer(int capacity, int featureCount, int classes, uint seed)
        {
            if (capacity < 0) throw new ArgumentException("replay capacity must not be negative");
            if (featureCount < 1) throw new ArgumentException("replay needs at least one feature");
            if (classes < 2) throw new ArgumentException("replay needs at least two classes");
            FeatureCount = featureCount;
            Classes = classes;
            PerClass = capacity == 0 ? 0 : (capacity / classes > 0 ? capacity / classes : 1);
            Data = new sbyte[(PerClass > 0 ? PerClass : 1) * classes * featureCount];
            classCount = new int[classes];
            classSeen = new long[classes];
            random = new XorShift32(seed);
        }

        /// <summary>Samples held, all classes.</summary>
        public int Count
        {
            get { int n = 0; for (int c = 0; c < Classes; c++) n += classCount[c]; return n; }
        }

        public int CountOf(int label) { return classCount[label]; }

        /// <summary>Samples of a class offered so far.</summary>
        public long SeenOf(int label) { return classSeen[label]; }

        public int OffsetOf(int label, int slot) { return (label * PerClass + slot) * FeatureCount; }

        /// <summary>Offers a sample (FeatureCount int8 values from offset); returns whether it was stored.</summary>
        public bool Add(sbyte[] source, int offset, int label)
        {
            int slot = SlotFor(label);
            if (slot < 0) return false;
            Array.Copy(source, offset, Data, OffsetOf(label, slot), FeatureCount);
            return true;
        }

        /// <summary>
        /// Offers a history sample (its whole input, a window rebuilt from the history's rows when the model reads
        /// one: replay samples are scattered in time, so each keeps its own window); returns whether it was stored.
        /// The same reservoir draw as <see cref="Add"/>.
        /// </summary>
        public bool AddFrom(HistoryRing history, int historySlot, int label)
        {
            if (history.FeatureCount != FeatureCount) throw new ArgumentException("the history's inputs have " + history.FeatureCount + " values, the replay's " + FeatureCount);
            int slot = SlotFor(label);
            if (slot < 0) return false;
            history.LoadInput(historySlot, Data, OffsetOf(label, slot));
            return true;
        }

        /// <summary>The reservoir's decision for an offered sample of a class: the slot to overwrite, or -1 (not kept).</summary>
        private int SlotFor(int label)
        {
            if (label < 0 || label >= Classes) throw new ArgumentException("label " + label + " is outside 0.." + (Classes - 1));
            if (PerClass == 0) return -1;
            classSeen[label]++;
            int slot;
            if (classCount[label] < PerClass) slot = classCount[label]++;
            else
            {
                long seen = classSeen[label];
                if (Recency > 0 && seen > (long)Recency * PerClass) seen = (long)Recency * PerClass;
                uint bound = seen > 0xFFFFFFFFL ? 0xFFFFFFFFu : (uint)seen;
                uint j = random.Next() % bound;
                if (j >= (uint)PerClass) return -1;
                slot = (int)(long)j;
            }
            return slot;
        }

        /// <summary>A uniformly drawn slot of a class that holds samples.</summary>
        public int RandomSlot(int label)
        {
            int n = classCount[label];
            if (n == 0) throw new InvalidOperationException("class " + label + " has no replay samples");
            return (int)(long)(random.Next() % (uint)n);
        }

        /// <summary>
        /// Of the classes holding samples, the one with the fewest in perClass (a batch's class counts; ties: the
        /// lowest class); -1 when the buffer is empty. One loop over the buffer's own counts, no call per class.
        /// </summary>
        public int FewestHeldClass(int[] perClass)
        {
            int best = -1;
            int[] counts = classCount;
            for (int c = 0; c < Classes; c++)
                if (counts[c] > 0 && (best < 0 || perClass[c] < perClass[best])) best = c;
            return best;
        }

        /// <summary>OffsetOf(label, RandomSlot(label)): the data offset of a uniformly drawn sample of a class that holds some.</summary>
        public int RandomOffset(int label)
        {
            int n = classCount[label];
            if (n == 0) throw new InvalidOperationException("class " + label + " has no replay samples");
            return (label * PerClass + (int)(long)(random.Next() % (uint)n)) * FeatureCount; // the same draw as RandomSlot
        }

        public void Clear()
        {
            Array.Clear(classCount, 0, Classes);
            Array.Clear(classSeen, 0, Classes);
        }
    }
}
