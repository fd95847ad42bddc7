namespace TinTin.Core
{
    /// <summary>
    /// At most MaxPerMinute updates in any 60 s: a ring of the last MaxPerMinute update times; a new
    /// update is allowed when the oldest of them is at least 60 s old. 0 = no cap.
    /// Allocates only in the constructor.
    /// </summary>
    public sealed class UpdateRateLimiter
    {
        public readonly int MaxPerMinute;
        private readonly long[] times; // [MaxPerMinute] ms (1 when uncapped)
        private int head;              // oldest entry once full; next to overwrite
        private int count;

        public UpdateRateLimiter(int maxPerMinute)
        {
            MaxPerMinute = maxPerMinute;
            times = new long[maxPerMinute > 0 ? maxPerMinute : 1];
        }

        /// <summary>Whether an update at nowMs stays within the cap.</summary>
        public bool Allows(long nowMs)
        {
            return MaxPerMinute <= 0 || count < MaxPerMinute || nowMs - times[head] >= 60000L;
        }

        /// <summary>Records an update made at nowMs.</summary>
        public void Record(long nowMs)
        {
            if (MaxPerMinute <= 0) return;
            times[head] = nowMs;
            head = head + 1 == MaxPerMinute ? 0 : head + 1;
            if (count < MaxPerMinute) count++;
        }

        public int Bytes { get { return 8 * times.Length; } }
    }
}
