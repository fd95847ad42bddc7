using System;

namespace TinTin.Core
{
    /// <summary>
    /// The recent samples a late label can still reach: a ring of Capacity int8 model inputs with
    /// the time each was observed, the class predicted then, its label (-1: none) and its
    /// <see cref="LabelState"/>. The newest sample overwrites the oldest. Slots are indices into
    /// the parallel arrays; walk them with OldestSlot/NextSlot (age order) or NewestSlot/PreviousSlot.
    /// Allocates only in the constructor.
    ///
    /// A model over a window of WindowRows consecutive feature rows (WindowRows &gt; 1) gets its inputs
    /// kept as rows: one row of RowFeatures int8 values a sample, in a ring of Capacity + WindowRows − 1
    /// rows, so the history costs rows × features instead of samples × window × features; a sample's
    /// window is rebuilt from its row and the WindowRows − 1 rows before it (<see cref="LoadInput"/>).
    /// Add checks that each window continues the rows before it (the window's older rows are the rows
    /// observed before), so the rebuilt window is bit for bit the observed input. Before the first
    /// row the earliest row stands in, as a board's lag stage (and `experiment --lags`) pads.
    /// </summary>
    public sealed class HistoryRing
    {
        public readonly int Capacity;
        /// <summary>int8 values of one sample's model input (WindowRows · RowFeatures).</summary>
        public readonly int FeatureCount;
        /// <summary>Rows in a sample's window (1: the input is one row, kept whole as before).</summary>
        public readonly int WindowRows;
        /// <summary>int8 values of one row (FeatureCount / WindowRows).</summary>
        public readonly int RowFeatures;
        /// <summary>
        /// How a window lays out its rows: false [feature][rows back] (feature j, k rows back at j·WindowRows + k; a
        /// lagged MLP's input), true [oldest row … newest row][feature] (a Conv1DLayer's [length][channels]).
        /// </summary>
        public readonly bool TimeMajor;
        /// <summary>
        /// [RowCapacity · RowFeatures] int8 rows. WindowRows 1: the model inputs, slot s at OffsetOf(s) (rows and
        /// slots coincide); else rows in observation order, read them through LoadInput.
        /// </summary>
        public readonly sbyte[] Data;
        /// <summary>Rows the ring keeps: Capacity + WindowRows − 1 (the oldest sample's window reaches that far back).</summary>
        public readonly int RowCapacity;
        private int rowHead;                 // next row to write
        private int rowCount;                // rows held (at most RowCapacity)
        // Times as int ms after timeBase (half the bytes of a long per sample: on the ESP32-C3 the 128-sample
        // ring's long[] held 1 KB). Add moves the base when a time falls outside int range of it; only when the
        // held times themselves span more than 2^32 ms (49.7 days) does the ring switch, once, to wideTime.
        private readonly int[] time;         // [Capacity] ms − timeBase
        private long timeBase;
        private long[] wideTime;             // [Capacity] ms, null until the held times span more than an int
        private readonly sbyte[] prediction; // [Capacity]
        private readonly sbyte[] label;      // [Capacity], -1 unlabelled
        private readonly byte[] state;       // [Capacity] LabelState
        private int head;                    // next slot to write
        private int count;
        private int pendingCount;            // slots whose state is Pending (kept by Add and SetState, the only writers of state)
        private int timeDescents;            // held neighbours (age a, a+1) whose time goes down (kept by Add, the only writer of time)

        public HistoryRing(int capacity, int featureCount) : this(capacity, featureCount, 1, false) { }

        /// <summary>A ring of samples whose input (featureCount int8) is a window of windowRows rows, kept as rows.</summary>
        public HistoryRing(int capacity, int featureCount, int windowRows, bool timeMajor)
        {
            if (capacity < 1) throw new ArgumentException("HistorySamples must be at least 1");
            if (windowRows < 1) throw new ArgumentException("a window needs at least one row");
            if (featureCount < 1 || featureCount % windowRows != 0)
                throw new ArgumentException("an input of " + featureCount + " values is not a window of " + windowRows + " equal rows");
            Capacity = capacity;
            FeatureCount = featureCount;
            WindowRows = windowRows;
            RowFeatures = featureCount / windowRows;
            TimeMajor = timeMajor;
            RowCapacity = capacity + windowRows - 1;
            Data = new sbyte[RowCapacity * RowFeatures];
            time = new int[capacity];
            prediction = new sbyte[capacity];
            label = new sbyte[capacity];
            state = new byte[capacity];
            for (int i = 0; i < capacity; i++) label[i] = -1;
        }

        /// <summary>Samples held (at most Capacity).</summary>
        public int Count { get { return count; } }

        /// <summary>
        /// Bytes of the ring's buffers, counting 8 per time as when times were longs: the learner's default
        /// budget subtracts this, so it stays as it was (an over-count of 4 B per sample, to drop in a change
        /// that may move the budget).
        /// </summary>
        public int Bytes { get { return Data.Length + 8 * Capacity + 3 * Capacity; } }

        /// <summary>
        /// Remembers a sample (FeatureCount int8 values of input) as unlabelled, overwriting the
        /// oldest when full; returns the state the overwritten slot had (Unlabelled when it was free).
        /// A window (WindowRows &gt; 1) whose older rows are not the rows observed before is refused
        /// (ArgumentException) with nothing stored.
        /// </summary>
        public LabelState Add(sbyte[] input, long timeMs, int predicted)
        {
            if (WindowRows > 1 && !ContinuesRows(input))
                throw new ArgumentException("the window's older rows are not the rows observed before it: the row history needs consecutive rows of one sensor (or a window of 1)");
            int slot = head;
            int held = count;
            if (held == Capacity)
            {
                // The oldest leaves, and with it its pair with the second oldest.
                held--;
                if (held > 0 && TimeAt(slot + 1 == Capacity ? 0 : slot + 1) < TimeAt(slot)) timeDescents--;
            }
            if (held > 0 && timeMs < TimeAt(slot == 0 ? Capacity - 1 : slot - 1)) timeDescents++;
            LabelState overwritten = (LabelState)state[slot];
            if (overwritten == LabelState.Pending) pendingCount--;
            StoreRow(input);
            StoreTime(slot, held, timeMs);
            prediction[slot] = (sbyte)predicted;
            label[slot] = -1;
            state[slot] = (byte)LabelState.Unlabelled;
            head = slot + 1 == Capacity ? 0 : slot + 1;
            if (count < Capacity) count++;
            return overwritten;
        }

        /// <summary>
        /// Writes slot's time, the `held` samples before it (newest first, the overwritten one no longer
        /// among them) kept exactly: moves timeBase when timeMs is outside int range of it, and switches to
        /// wideTime (one allocation, ever) when the held times and timeMs span more than an int.
        /// </summary>
        private void StoreTime(int slot, int held, long timeMs)
        {
            if (wideTime != null) { wideTime[slot] = timeMs; return; }
            if (held == 0) timeBase = timeMs;
            long offset = timeMs - timeBase;
            bool overflowed = timeMs >= timeBase ? offset < 0 : offset > 0;
            if (!overflowed && offset >= int.MinValue && offset <= int.MaxValue) { time[slot] = (int)offset; return; }
            // Rebase: the new base puts the highest time at int.MaxValue (or the lowest at int.MinValue, whichever
            // cannot overflow a long), if the span then fits.
            long low = timeMs, high = timeMs;
            for (int k = 0, s = slot; k < held; k++)
            {
                s = s == 0 ? Capacity - 1 : s - 1;
                long t = timeBase + time[s];
                if (t < low) low = t;
                if (t > high) high = t;
            }
            long span = high - low;
            if (span >= 0 && span <= (long)uint.MaxValue)
            {
                long newBase = low >= 0 ? high - int.MaxValue : low - int.MinValue;
                for (int k = 0, s = slot; k < held; k++)
                {
                    s = s == 0 ? Capacity - 1 : s - 1;
                    time[s] = (int)(timeBase + time[s] - newBase);
                }
                timeBase = newBase;
                time[slot] = (int)(timeMs - newBase);
                return;
            }
            long[] wide = new long[Capacity];
            for (int k = 0, s = slot; k < held; k++)
            {
                s = s == 0 ? Capacity - 1 : s - 1;
                wide[s] = timeBase + time[s];
            }
            wide[slot] = timeMs;
            wideTime = wide;
        }

        public int OldestSlot()
        {
            int slot = head - count;
            return slot < 0 ? slot + Capacity : slot;
        }

        /// <summary>The slot written last (meaningful when Count &gt; 0).</summary>
        public int NewestSlot() { return head == 0 ? Capacity - 1 : head - 1; }

        public int NextSlot(int slot) { return slot + 1 == Capacity ? 0 : slot + 1; }

        public int PreviousSlot(int slot) { return slot == 0 ? Capacity - 1 : slot - 1; }

        /// <summary>The slot `age` samples after the oldest (age in 0..Count-1).</summary>
        public int SlotAtAge(int age)
        {
            int slot = OldestSlot() + age;
            return slot >= Capacity ? slot - Capacity : slot;
        }

        /// <summary>
        /// The first age ≥ fromAge (age order, 0 = oldest) whose sample is Pending with label cls;
        /// -1 when none. One loop over the ring's own arrays: the batch builder scans the whole
        /// history per class, and a call per slot costs the interpreter more than the test.
        /// </summary>
        public int FindPending(int cls, int fromAge)
        {
            int n = count;
            if (fromAge >= n) return -1;
            sbyte[] labels = label;
            byte[] states = state;
            int capacity = Capacity;
            int slot = head - n + fromAge;
            if (slot < 0) slot += capacity;
            if (slot >= capacity) slot -= capacity;
            byte pending = (byte)LabelState.Pending;
            for (int age = fromAge; age < n; age++)
            {
                if (states[slot] == pending && labels[slot] == cls) return age;
                if (++slot == capacity) slot = 0;
            }
            return -1;
        }

        /// <summary>
        /// The first age ≥ fromAge (age order, 0 = oldest) whose time is in [fromMs, toMs]; -1 when none.
        /// When the held times never go down with age (the ring counts the places where they do), a
        /// bisection; else one loop over the ring's own arrays, in two runs of slots without a wrap test
        /// (a late label would scan the whole history, and a call per slot costs the interpreter more than the test).
        /// </summary>
        public int FindInSpan(long fromMs, long toMs, int fromAge)
        {
            int n = count;
            if (fromAge >= n) return -1;
            int capacity = Capacity;
            int first = head - n;              // slot of age 0, maybe negative before the wrap
            if (first < 0) first += capacity;
            if (wideTime != null)
            {
                // Held times spanning more than an int (49.7 days within one ring): the plain walk.
                for (int age = fromAge, at = first + fromAge; age < n; age++, at++)
                {
                    long t = wideTime[at >= capacity ? at - capacity : at];
                    if (t >= fromMs && t <= toMs) return age;
                }
                return -1;
            }
            // The span as int offsets from timeBase, clamped: an end past int range holds every offset or none.
            long fromOffset = fromMs - timeBase, toOffset = toMs - timeBase;
            if (fromMs >= timeBase ? fromOffset < 0 : fromOffset > 0) fromOffset = fromMs >= timeBase ? long.MaxValue : long.MinValue;
            if (toMs >= timeBase ? toOffset < 0 : toOffset > 0) toOffset = toMs >= timeBase ? long.MaxValue : long.MinValue;
            if (fromOffset > int.MaxValue || toOffset < int.MinValue || fromOffset > toOffset) return -1;
            int fromTime = fromOffset < int.MinValue ? int.MinValue : (int)fromOffset;
            int toTime = toOffset > int.MaxValue ? int.MaxValue : (int)toOffset;
            int[] times = time;
            if (timeDescents == 0)
            {
                // Times rise (or stay) with age, as a clock gives them: the first age from fromAge at or after
                // fromMs by bisection; it is in the span, or none is.
                int low = fromAge, high = n;
                while (low < high)
                {
                    int middle = (low + high) >> 1;
                    int at = first + middle;
                    if (times[at >= capacity ? at - capacity : at] < fromTime) low = middle + 1;
                    else high = middle;
                }
                if (low == n) return -1;
                int found = first + low;
                return times[found >= capacity ? found - capacity : found] <= toTime ? low : -1;
            }
            int slot = first + fromAge;
            if (slot >= capacity) slot -= capacity;
            int left = n - fromAge;            // ages still to test
            int run = capacity - slot;         // slots up to the end of the array
            if (run > left) run = left;
            for (int end = slot + run; slot < end; slot++)
            {
                int t = times[slot];
                if (t >= fromTime && t <= toTime) return slot - first >= 0 ? slot - first : slot - first + capacity;
            }
            for (int end = left - run, s = 0; s < end; s++)
            {
                int t = times[s];
                if (t >= fromTime && t <= toTime) return s - first >= 0 ? s - first : s - first + capacity;
            }
            return -1;
        }

        /// <summary>
        /// The age of the oldest Pending sample (Count when none): the ring counts its pending slots, so a
        /// scan from the newest stops at the last one (pending samples are usually the newest few).
        /// </summary>
        public int OldestPendingAge()
        {
            int remaining = pendingCount;
            int n = count;
            if (remaining == 0) return n;
            byte[] states = state;
            byte pending = (byte)LabelState.Pending;
            int slot = head;
            for (int age = n - 1; age >= 0; age--)
            {
                if (--slot < 0) slot = Capacity - 1;
                if (states[slot] == pending && --remaining == 0) return age;
            }
            return n; // not reached: pendingCount counts slots within the held ages
        }

        /// <summary>Where slot's input starts in Data (WindowRows 1 only: a window is rebuilt by LoadInput).</summary>
        public int OffsetOf(int slot)
        {
            if (WindowRows != 1) throw new InvalidOperationException("a window sample is kept as rows: read it with LoadInput");
            return slot * FeatureCount;
        }

        /// <summary>
        /// Writes slot's model input (FeatureCount int8) to destination from destinationOffset: the stored input
        /// (WindowRows 1), or the window rebuilt from the sample's row and the WindowRows − 1 before it.
        /// </summary>
        public void LoadInput(int slot, sbyte[] destination, int destinationOffset)
        {
            if (WindowRows == 1) { Array.Copy(Data, slot * FeatureCount, destination, destinationOffset, FeatureCount); return; }
            int fromNewest = head - 1 - slot;     // samples between slot and the newest (rows advance with samples)
            if (fromNewest < 0) fromNewest += Capacity;
            int rows = WindowRows, width = RowFeatures;
            for (int back = 0; back < rows; back++)
            {
                int row = RowBack(fromNewest + back);
                if (TimeMajor) Array.Copy(Data, row * width, destination, destinationOffset + (rows - 1 - back) * width, width);
                else
                {
                    sbyte[] data = Data;
                    for (int j = 0, at = row * width, to = destinationOffset + back; j < width; j++, at++, to += rows) destination[to] = data[at];
                }
            }
        }

        /// <summary>The row index `back` rows before the newest; before the first row ever, the first row (the padding).</summary>
        private int RowBack(int back)
        {
            if (back > rowCount - 1) back = rowCount - 1;
            int row = rowHead - 1 - back;
            return row < 0 ? row + RowCapacity : row;
        }

        /// <summary>The input's newest row into the row ring (WindowRows 1: the whole input into slot head's place).</summary>
        private void StoreRow(sbyte[] input)
        {
            int width = RowFeatures, rows = WindowRows;
            if (rows == 1) Array.Copy(input, 0, Data, rowHead * width, width);
            else if (TimeMajor) Array.Copy(input, (rows - 1) * width, Data, rowHead * width, width);
            else
            {
                sbyte[] data = Data;
                for (int j = 0, at = rowHead * width, from = 0; j < width; j++, at++, from += rows) data[at] = input[from];
            }
            rowHead = rowHead + 1 == RowCapacity ? 0 : rowHead + 1;
            if (rowCount < RowCapacity) rowCount++;
        }

        /// <summary>Whether the input's rows 1..WindowRows−1 back are the rows held (the first input: its own newest row, the padding).</summary>
        private bool ContinuesRows(sbyte[] input)
        {
            int width = RowFeatures, rows = WindowRows;
            sbyte[] data = Data;
            for (int back = 1; back < rows; back++)
            {
                int row = rowCount == 0 ? -1 : RowBack(back - 1);
                for (int j = 0; j < width; j++)
                {
                    int at = TimeMajor ? (rows - 1 - back) * width + j : j * rows + back;
                    int newest = TimeMajor ? (rows - 1) * width + j : j * rows;
                    sbyte expected = row < 0 ? input[newest] : data[row * width + j];
                    if (input[at] != expected) return false;
                }
            }
            return true;
        }

        public long TimeAt(int slot) { return wideTime != null ? wideTime[slot] : timeBase + time[slot]; }
        public int PredictionAt(int slot) { return prediction[slot]; }
        public int LabelAt(int slot) { return label[slot]; }
        public LabelState StateAt(int slot) { return (LabelState)state[slot]; }

        public void SetLabel(int slot, int value) { label[slot] = (sbyte)value; }
        public void SetState(int slot, LabelState value)
        {
            if (state[slot] == (byte)LabelState.Pending) pendingCount--;
            if (value == LabelState.Pending) pendingCount++;
            state[slot] = (byte)value;
        }

        /// <summary>Whether the held samples' times never go down from one age to the next (FindInSpan then bisects).</summary>
        public bool TimesRise { get { return timeDescents == 0; } }

        /// <summary>Samples whose state is Pending.</summary>
        public int PendingCount { get { return pendingCount; } }
    }
}
