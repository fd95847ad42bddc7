using System;
using System.Diagnostics;
using System.Threading;

namespace TinTin.Sensors
{
    /// <summary>The clock a <see cref="ReplaySource"/> paces itself with.</summary>
    public interface IReplayClock : IMillisecondClock
    {
        /// <summary>Returns once NowMs ≥ timeMs (a simulated clock just moves there).</summary>
        void SleepUntil(long timeMs);
    }

    /// <summary>
    /// A clock that only moves when told: SleepUntil jumps to the time at once. The virtual board
    /// uses it, so replay at any speed runs as fast as the host can go and is reproducible.
    /// </summary>
    public sealed class SimulatedClock : IReplayClock
    {
        public SimulatedClock(long startMs = 0) { NowMs = startMs; }

        public long NowMs { get; private set; }

        /// <summary>Total time jumped over by SleepUntil calls (what a real replay would have waited).</summary>
        public long SleptMs { get; private set; }

        public void SleepUntil(long timeMs)
        {
            if (timeMs > NowMs) { SleptMs += timeMs - NowMs; NowMs = timeMs; }
        }

        public void Advance(long ms)
        {
            if (ms < 0) throw new ArgumentException($"a clock cannot go back ({ms} ms)");
            NowMs += ms;
        }
    }

    /// <summary>Wall-clock time since construction (Stopwatch); SleepUntil really sleeps.</summary>
    public sealed class SystemClock : IReplayClock
    {
        private readonly Stopwatch watch = Stopwatch.StartNew();

        public long NowMs => watch.ElapsedMilliseconds;

        public void SleepUntil(long timeMs)
        {
            while (true)
            {
                long wait = timeMs - NowMs;
                if (wait <= 0) return;
                Thread.Sleep((int)Math.Min(wait, int.MaxValue));
            }
        }
    }
}
