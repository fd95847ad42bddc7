using System;

namespace TinTin.Core
{
    /// <summary>
    /// Builds one update's class-balanced batch of BatchSize samples: up to half pending samples
    /// from the history (all of it while the replay buffer is empty), oldest first and round-robin
    /// over classes; then replay samples of whichever class the batch has fewest of; then more
    /// pending samples if the replay has run out. Entry i is a history slot or a replay data
    /// offset (IsReplay), with its label. Allocates only in the constructor.
    /// </summary>
    public sealed class BatchBuilder
    {
        public readonly int BatchSize;
        private readonly int classes;
        private readonly HistoryRing history;
        private readonly ReplayBuffer replay;
        private readonly int[] slot;          // [BatchSize] history slot, or replay data offset
        private readonly bool[] fromReplay;   // [BatchSize]
        private readonly int[] label;         // [BatchSize]
        private readonly int[] classInBatch;  // [classes]
        private readonly int[] classCursor;   // [classes] scan position (age order) for pending picks
        private int count;

        public BatchBuilder(int batchSize, int classes, HistoryRing history, ReplayBuffer replay)
        {
            BatchSize = batchSize;
            this.classes = classes;
            this.history = history;
            this.replay = replay;
            slot = new int[batchSize];
            fromReplay = new bool[batchSize];
            label = new int[batchSize];
            classInBatch = new int[classes];
            classCursor = new int[classes];
        }

        /// <summary>Samples in the batch last built.</summary>
        public int Count { get { return count; } }
        public bool IsReplay(int i) { return fromReplay[i]; }
        /// <summary>History slot (IsReplay false) or replay data offset (IsReplay true) of entry i.</summary>
        public int SlotOf(int i) { return slot[i]; }
        public int LabelOf(int i) { return label[i]; }
        /// <summary>Samples of a class in the batch last built.</summary>
        public int CountOf(int cls) { return classInBatch[cls]; }

        /// <summary>Replay samples in the batch last built.</summary>
        public int ReplayCount
        {
            get { int n = 0; for (int i = 0; i < count; i++) if (fromReplay[i]) n++; return n; }
        }

        /// <summary>Bytes of the builder's buffers.</summary>
        public int Bytes { get { return 12 * BatchSize + 8 * classes; } }

        /// <summary>Builds the next batch from the history's pending samples and the replay buffer.</summary>
        public void Build()
        {
            int b = BatchSize;
            count = 0;
            Array.Clear(classInBatch, 0, classes);
            // No sample older than the oldest pending one can be picked: every class's scan starts there.
            int firstPending = history.OldestPendingAge();
            for (int c = 0; c < classes; c++) classCursor[c] = firstPending;
            int newQuota = replay.Count > 0 ? b - b / 2 : b;
            PickPending(newQuota);
            // Replay: the class the batch has fewest of, among classes the replay holds.
            while (count < b)
            {
                int best = replay.FewestHeldClass(classInBatch);
                if (best < 0) break;
                slot[count] = replay.RandomOffset(best);
                fromReplay[count] = true;
                label[count] = best;
                classInBatch[best]++;
                count++;
            }
            PickPending(b);
        }

        /// <summary>Copies entry i into the network input at the given exponent.</summary>
        public void Load(int i, QTensor input, int exponent)
        {
            if (fromReplay[i]) Array.Copy(replay.Data, slot[i], input.Data, 0, history.FeatureCount);
            else history.LoadInput(slot[i], input.Data, 0);
            input.Exponent = exponent;
        }

        /// <summary>Adds pending samples, oldest first, round-robin over classes, until the batch holds `until`.</summary>
        private void PickPending(int until)
        {
            while (count < until)
            {
                bool any = false;
                for (int c = 0; c < classes && count < until; c++)
                {
                    int s = NextPending(c);
                    if (s < 0) continue;
                    slot[count] = s;
                    fromReplay[count] = false;
                    label[count] = c;
                    classInBatch[c]++;
                    count++;
                    any = true;
                }
                if (!any) return;
            }
        }

        /// <summary>The next pending history slot of a class in age order after its cursor, or -1.</summary>
        private int NextPending(int cls)
        {
            int age = history.FindPending(cls, classCursor[cls]);
            if (age < 0)
            {
                if (classCursor[cls] < history.Count) classCursor[cls] = history.Count;
                return -1;
            }
            classCursor[cls] = age + 1;
            return history.SlotAtAge(age);
        }
    }
}
