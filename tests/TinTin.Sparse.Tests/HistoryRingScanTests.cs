using System;
using FsCheck;
using FsCheck.Xunit;
using TinTin.Core;
using Xunit;

namespace TinTin.Sparse.Tests
{
    /// <summary>
    /// The ring's one-loop scans (FindInSpan for LabelRecent, OldestPendingAge for the batch builder)
    /// against the plain walk they replace (OldestSlot/NextSlot, TimeAt, StateAt), over random histories:
    /// wrapped and not, times rising (FindInSpan bisects), repeated or out of order (it scans), states set and
    /// overwritten in any order.
    /// </summary>
    public class HistoryRingScanTests
    {
        private static HistoryRing RandomRing(int seed, out Random random)
        {
            random = new Random(seed);
            var ring = new HistoryRing(random.Next(1, 20), 2);
            var input = new sbyte[2];
            int adds = random.Next(0, 60);
            long t = 0;
            bool rising = random.Next(2) == 0; // a clock's times (the bisection), or some going back (the scan)
            for (int k = 0; k < adds; k++)
            {
                t += random.Next(rising ? 0 : -2, 4); // rising or repeated, or sometimes back
                ring.Add(input, t, random.Next(2));
                // Some states change after each add: any held slot, any state (as LabelRecent and UpdateIfDue do).
                for (int j = random.Next(3); j > 0 && ring.Count > 0; j--)
                    ring.SetState(ring.SlotAtAge(random.Next(ring.Count)), (LabelState)random.Next(3));
            }
            return ring;
        }

        [Property(MaxTest = 1000)]
        public bool FindInSpan_finds_the_ages_the_plain_walk_finds(int seed)
        {
            HistoryRing ring = RandomRing(seed, out Random random);
            long from = random.Next(-5, 60), to = from + random.Next(0, 8);
            // Plain walk, age order.
            var expected = new System.Collections.Generic.List<int>();
            int slot = ring.OldestSlot();
            for (int age = 0; age < ring.Count; age++, slot = ring.NextSlot(slot))
                if (ring.TimeAt(slot) >= from && ring.TimeAt(slot) <= to) expected.Add(age);
            var found = new System.Collections.Generic.List<int>();
            for (int age = ring.FindInSpan(from, to, 0); age >= 0; age = ring.FindInSpan(from, to, age + 1)) found.Add(age);
            bool rises = true;
            slot = ring.OldestSlot();
            for (int age = 1; age < ring.Count; age++, slot = ring.NextSlot(slot))
                if (ring.TimeAt(ring.NextSlot(slot)) < ring.TimeAt(slot)) rises = false;
            return System.Linq.Enumerable.SequenceEqual(found, expected) && ring.TimesRise == rises;
        }

        /// <summary>
        /// Times held as int offsets from a base: gaps past int range (the base moves) and past 2^32 ms
        /// (the ring switches to longs) keep every held time exact, and FindInSpan finds what the plain walk
        /// finds, spans reaching past int range and long's ends included.
        /// </summary>
        [Property(MaxTest = 1000)]
        public bool Times_stay_exact_across_gaps_past_int_range(int seed)
        {
            var random = new Random(seed);
            var ring = new HistoryRing(random.Next(1, 12), 1);
            var input = new sbyte[1];
            var added = new System.Collections.Generic.List<long>();
            long[] jumps = { 0, 1, -1, 1000, int.MaxValue, (long)int.MaxValue + 1, -(long)int.MaxValue - 1, uint.MaxValue, -(long)uint.MaxValue, 1L << 40, -(1L << 40) };
            long t = random.Next(3) == 0 ? long.MaxValue - (1L << 41) : random.Next(3) == 0 ? long.MinValue + (1L << 41) : 0;
            int adds = random.Next(0, 40);
            bool wide = random.Next(4) == 0; // else jumps kept under 2^32 ms across the held samples mostly
            for (int k = 0; k < adds; k++)
            {
                long jump = jumps[random.Next(wide ? jumps.Length : 9)];
                t += jump;
                ring.Add(input, t, 0);
                added.Add(t);
            }
            int slot = ring.OldestSlot();
            for (int age = 0; age < ring.Count; age++, slot = ring.NextSlot(slot))
                if (ring.TimeAt(slot) != added[added.Count - ring.Count + age]) return false;
            long[] ends = { long.MinValue, long.MaxValue, t, t - 1, t + 1, t - int.MaxValue, t + (long)int.MaxValue + 2,
                added.Count > 0 ? added[random.Next(added.Count)] : 0, added.Count > 0 ? added[random.Next(added.Count)] : 0 };
            for (int trial = 0; trial < 8; trial++)
            {
                long from = ends[random.Next(ends.Length)], to = ends[random.Next(ends.Length)];
                var expected = new System.Collections.Generic.List<int>();
                slot = ring.OldestSlot();
                for (int age = 0; age < ring.Count; age++, slot = ring.NextSlot(slot))
                    if (ring.TimeAt(slot) >= from && ring.TimeAt(slot) <= to) expected.Add(age);
                var found = new System.Collections.Generic.List<int>();
                for (int age = ring.FindInSpan(from, to, 0); age >= 0; age = ring.FindInSpan(from, to, age + 1)) found.Add(age);
                if (!System.Linq.Enumerable.SequenceEqual(found, expected)) return false;
            }
            return true;
        }

        [Property(MaxTest = 1000)]
        public bool OldestPendingAge_and_PendingCount_match_the_plain_walk(int seed)
        {
            HistoryRing ring = RandomRing(seed, out _);
            int oldest = ring.Count, pending = 0;
            int slot = ring.OldestSlot();
            for (int age = 0; age < ring.Count; age++, slot = ring.NextSlot(slot))
            {
                if (ring.StateAt(slot) != LabelState.Pending) continue;
                pending++;
                if (age < oldest) oldest = age;
            }
            return ring.OldestPendingAge() == oldest && ring.PendingCount == pending;
        }

        [Fact]
        public void A_pending_sample_overwritten_by_the_ring_is_no_longer_counted()
        {
            var ring = new HistoryRing(3, 1);
            var input = new sbyte[1];
            for (int t = 0; t < 3; t++) ring.Add(input, t, 0);
            ring.SetState(ring.SlotAtAge(0), LabelState.Pending);
            ring.SetState(ring.SlotAtAge(2), LabelState.Pending);
            Assert.Equal(2, ring.PendingCount);
            Assert.Equal(0, ring.OldestPendingAge());
            ring.Add(input, 3, 0); // overwrites the oldest, which was pending
            Assert.Equal(1, ring.PendingCount);
            Assert.Equal(1, ring.OldestPendingAge()); // the age-2 sample is now age 1
            Assert.Equal(1, ring.FindInSpan(2, 2, 0));
            Assert.Equal(-1, ring.FindInSpan(0, 0, 0)); // time 0 is gone
        }
    }
}
