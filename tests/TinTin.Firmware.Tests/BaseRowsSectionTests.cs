using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Fleet;
using TinTin.VirtualBoard;
using Xunit;
using Xunit.Abstractions;
using static TinTin.Firmware.Tests.CheckpointTests;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// The checkpoint's base-rows section (issue 15, session 10; CheckpointStore, firmware/README.md): the fleet base's
    /// merged rows after the statistics section, behind header flag bit 1, with its own length field and CRC.
    /// </summary>
    public class BaseRowsSectionTests
    {
        private const int Features = 6, Classes = 2;
        private readonly ITestOutputHelper output;

        public BaseRowsSectionTests(ITestOutputHelper output) { this.output = output; }

        private static ParameterSet RowsOf(Model m) { var s = new ParameterSet(m.Network); s.CopyFrom(m.Network); return s; }

        /// <summary>Counters whose statistics follow from `samples` (<see cref="AssertOwnStatistics"/> tells an image's from another's).</summary>
        private static FirmwareCounters Counters(long samples)
        {
            var c = new FirmwareCounters { Samples = samples, Labelled = samples, FleetBaseVersion = 3 };
            c.SizeStatistics(Features, Classes);
            c.InputSamples = (uint)samples;
            c.ClassLabelled[0] = (uint)(samples / 2);
            c.ClassLabelled[1] = (uint)(samples / 5);
            for (int i = 0; i < Features; i++) c.InputSums[i] = (i + 1) * samples;
            return c;
        }

        /// <summary>The loaded statistics are those saved with the loaded counters (<see cref="Counters"/>), not another image's.</summary>
        private static void AssertOwnStatistics(FirmwareCounters loaded, string when)
        {
            FirmwareCounters own = Counters(loaded.Samples);
            Assert.True(loaded.InputSamples == own.InputSamples && loaded.ClassLabelled.SequenceEqual(own.ClassLabelled) && loaded.InputSums.SequenceEqual(own.InputSums),
                $"{when}: counters of {loaded.Samples} samples with the statistics of {loaded.InputSamples} input samples, class counts {string.Join(",", loaded.ClassLabelled)}");
        }

        private static void AssertSameRows(ParameterSet expected, ParameterSet actual)
        {
            for (int l = 0; l < expected.LayerCount; l++)
            {
                Assert.Equal(expected.Master[l], actual.Master[l]);
                Assert.Equal(expected.Bias[l], actual.Bias[l]);
                Assert.Equal((expected.MasterExponent[l], expected.Int8Shift[l], expected.BiasExponent[l]), (actual.MasterExponent[l], actual.Int8Shift[l], actual.BiasExponent[l]));
            }
        }

        /// <summary>Bytes the section takes, counted here from its layout: B and its CRC, version, layers, base version, image sequence, then per layer its shape, exponents, masters and biases.</summary>
        private static int SectionBytes(ParameterSet s) => 4 + 2 + 2 + 4 + 4 + Enumerable.Range(0, s.LayerCount).Sum(l => 2 + 2 + 3 + 2 * s.Master[l].Length + 4 * s.Channels[l]) + 4;

        [Fact]
        public void The_base_rows_round_trip_into_the_members_buffer_without_allocating_and_name_their_version()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                Model own = Perturbed(23);
                ParameterSet basis = RowsOf(Perturbed(-9));
                int modelBytes = ModelFile.SizeOf(own);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                store.Save(own, Counters(100), basis, 3);
                int image = CheckpointStore.ImageSize(modelBytes, Features, Classes) + CheckpointStore.BaseRowsBytes(basis);
                Assert.Equal(image, store.LastBytes);
                Assert.Equal(SectionBytes(basis), CheckpointStore.BaseRowsBytes(basis));

                var booted = new CheckpointStore(flash, modelBytes, Features, Classes);
                var counters = new FirmwareCounters();
                Model loaded = booted.LoadLatest(counters, -1, false, Features, Classes);
                Assert.Equal(ModelFile.Save(own), ModelFile.Save(loaded));
                Assert.True(booted.LoadedBaseRows);
                Assert.Equal(image, booted.LastBytes);
                var into = new ParameterSet(loaded.Network);
                Assert.Null(booted.CopyBaseRows(3, into)); // warm-up (JIT)
                // The allocation is measured on a flash in RAM (the file-backed one allocates in its own reads).
                var ram = new ArrayFlash(flash.SlotCapacity);
                for (int slot = 0; slot < 2; slot++) { var bytes = new byte[flash.SlotCapacity]; int n = flash.Read(slot, 0, bytes, bytes.Length); if (n > 0) ram.Write(slot, 0, bytes, n); }
                booted = new CheckpointStore(ram, modelBytes, Features, Classes);
                Assert.NotNull(booted.LoadLatest(new FirmwareCounters(), -1, false, Features, Classes));
                Assert.Null(booted.CopyBaseRows(3, into));
                long before = GC.GetAllocatedBytesForCurrentThread();
                string why = booted.CopyBaseRows(3, into);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.Null(why);
                Assert.Equal(0, allocated);
                AssertSameRows(basis, into);
                Assert.Equal("base rows of version 3, the checkpoint's base is version 4", booted.CopyBaseRows(4, into));

                // 6-16-2: the section for a small model.
                ParameterSet small = RowsOf(new Model(Network.CreateMlp(new[] { 6, 16, 2 }, 31, -1, false), null));
                Assert.Equal(SectionBytes(small), CheckpointStore.BaseRowsBytes(small));
                output.WriteLine($"6-48-24-2: image {CheckpointStore.ImageSize(modelBytes, Features, Classes)} B, with the base rows {image} B (+{CheckpointStore.BaseRowsBytes(basis)}); 6-16-2: +{CheckpointStore.BaseRowsBytes(small)} B");
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void No_rows_at_base_0_or_without_exact_rows_and_a_slot_too_small_gets_the_image_without_them()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                Model own = Perturbed(23);
                int modelBytes = ModelFile.SizeOf(own);
                int plain = CheckpointStore.ImageSize(modelBytes, Features, Classes);
                var store = new CheckpointStore(new FileFlashStore(folder), modelBytes, Features, Classes);
                store.Save(own, Counters(100), RowsOf(own), 0);
                Assert.Equal(plain, store.LastBytes);
                store.Save(own, Counters(100), null, 3);
                Assert.Equal(plain, store.LastBytes);

                var small = new FileFlashStore(Path.Combine(folder, "small"), plain + 100);
                var tight = new CheckpointStore(small, modelBytes, Features, Classes);
                tight.Save(own, Counters(100), RowsOf(own), 3);
                Assert.Equal(plain, tight.LastBytes);
                Assert.Equal(1, tight.BaseRowsLeftOut);
                var booted = new CheckpointStore(small, modelBytes, Features, Classes);
                Assert.NotNull(booted.LoadLatest(new FirmwareCounters(), -1, false));
                Assert.False(booted.LoadedBaseRows);
                Assert.Null(booted.BaseRowsProblem);
                Assert.Equal("the checkpoint holds no base rows", booted.CopyBaseRows(3, RowsOf(own)));
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>
        /// A power cut at every byte of a checkpoint with base rows, around and inside both sections: up to the statistics
        /// section's sequence number the previous checkpoint loads with its rows and statistics (in place, also when the
        /// cut left the older image's section behind the new first CRC: its CRC holds, its number does not); inside the
        /// base section the new slot loads (its model, counters and statistics are whole and pass their checks) without
        /// rows (the reason says why; every channel until a take); once written, the new one with its rows. In place, a
        /// cut after the last byte that differs from what the slot held is no cut. Never nothing, never another image's
        /// statistics, never a crash.
        /// </summary>
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_cut_at_every_byte_of_the_statistics_and_base_sections_loads_a_whole_model_and_rows_only_when_whole(bool overwriteInPlace)
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder) { OverwriteInPlace = overwriteInPlace };
                Model older = Perturbed(11), good = Perturbed(23), next = Perturbed(37);
                ParameterSet olderBase = RowsOf(Perturbed(5)), goodBase = RowsOf(Perturbed(-7)), nextBase = RowsOf(Perturbed(-13));
                int modelBytes = ModelFile.SizeOf(good);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                store.Save(older, Counters(50), olderBase, 2); // the slot the next save overwrites: stale rows behind a cut in place
                store.Save(good, Counters(100), goodBase, 3);
                byte[] slot0 = File.ReadAllBytes(flash.SlotPath(0)), slot1 = File.ReadAllBytes(flash.SlotPath(1));
                int statisticsEnd = CheckpointStore.ImageSize(modelBytes, Features, Classes); // R: after the section's CRC and number
                int firstCrcEnd = statisticsEnd - 8 - CheckpointStore.StatisticsBytes(Features, Classes);
                int imageBytes = statisticsEnd + CheckpointStore.BaseRowsBytes(nextBase);
                byte[] nextImage = null;
                int staleCuts = 0;
                // The uncut save first (what the slot holds when whole), then every byte around the statistics section
                // and the base section's head and tail, every 7th inside the rows, every 13th before.
                for (int cut = imageBytes; cut >= 0; cut -= cut <= firstCrcEnd - 8 ? 13 : cut <= statisticsEnd + 40 || cut > imageBytes - 40 ? 1 : 7)
                {
                    File.WriteAllBytes(flash.SlotPath(0), slot0);
                    File.WriteAllBytes(flash.SlotPath(1), slot1);
                    var booted = new CheckpointStore(flash, modelBytes, Features, Classes);
                    Assert.NotNull(booted.LoadLatest(new FirmwareCounters(), -1, false));
                    flash.CutAfterBytes = cut < imageBytes ? cut : -1;
                    bool completed = true;
                    try { booted.Save(next, Counters(200), nextBase, 4); }
                    catch (PowerCutException) { completed = false; }
                    flash.CutAfterBytes = -1;
                    Assert.Equal(cut == imageBytes, completed);
                    if (completed) nextImage = File.ReadAllBytes(flash.SlotPath(0));
                    int same = cut; // the slot holds the new image up to here
                    if (overwriteInPlace) while (same < imageBytes && same < slot0.Length && slot0[same] == nextImage[same]) same++;
                    byte[] held = CheckpointTests.Spliced(nextImage, overwriteInPlace ? slot0 : new byte[0], cut);
                    // The older image's statistics section whole behind the new first CRC, its CRC holding.
                    bool stale = cut >= firstCrcEnd && cut < statisticsEnd - 8 && held.Length >= statisticsEnd
                        && Crc32.Compute(held, 0, statisticsEnd - 8) == LittleEndian.GetU32(held, statisticsEnd - 8);
                    if (stale) staleCuts++;

                    var afterCut = new CheckpointStore(flash, modelBytes, Features, Classes);
                    var counters = new FirmwareCounters();
                    Model loaded = afterCut.LoadLatest(counters, -1, false, Features, Classes);
                    Assert.True(loaded != null, "nothing loads after a cut at byte " + cut);
                    AssertOwnStatistics(counters, "a cut at byte " + cut);
                    if (stale) Assert.Equal("slot 0: statistics section left by checkpoint 1 (a cut write), this is 3", afterCut.Rejection(0));
                    var into = new ParameterSet(loaded.Network);
                    if (same < statisticsEnd)
                    {
                        Assert.Equal(ModelFile.Save(good), ModelFile.Save(loaded));
                        Assert.Null(afterCut.CopyBaseRows(3, into));
                        AssertSameRows(goodBase, into);
                        Assert.Equal(100, counters.Samples);
                    }
                    else if (same < imageBytes)
                    {
                        Assert.Equal(ModelFile.Save(next), ModelFile.Save(loaded));
                        Assert.Equal(200, counters.Samples);
                        Assert.False(afterCut.LoadedBaseRows, "rows loaded after a cut at byte " + cut + " of " + imageBytes + ", statistics end " + statisticsEnd);
                        Assert.StartsWith("slot 0: base rows section: ", afterCut.BaseRowsProblem);
                        Assert.Equal(afterCut.BaseRowsProblem, afterCut.CopyBaseRows(4, into));
                    }
                    else
                    {
                        Assert.Equal(ModelFile.Save(next), ModelFile.Save(loaded));
                        Assert.Null(afterCut.CopyBaseRows(4, into));
                        AssertSameRows(nextBase, into);
                    }
                }
                // In place the cuts from the first CRC's end through the section's head (C, F: the same in both images)
                // left the older section whole; a truncating flash leaves none.
                Assert.Equal(overwriteInPlace ? 5 : 0, staleCuts);
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>
        /// The image as firmware of session 10 wrote it: no flag bit 2, no sequence number after the statistics' CRC (the
        /// base section, if any, right after that CRC), every CRC over the bytes before it.
        /// </summary>
        private static byte[] Session10Image(byte[] image, int modelBytes, bool withBase)
        {
            int statisticsCrcEnd = CheckpointStore.ImageSize(modelBytes, Features, Classes) - 4;
            int firstCrcAt = CheckpointStore.HeaderBytes + modelBytes + 8 * FirmwareCounters.Count;
            Assert.Equal(LittleEndian.GetU32(image, 8), LittleEndian.GetU32(image, statisticsCrcEnd)); // the number being removed
            byte[] old = image.Take(statisticsCrcEnd).Concat(image.Skip(statisticsCrcEnd + 4)).ToArray();
            LittleEndian.PutU16(old, 6, LittleEndian.GetU16(old, 6) & ~CheckpointStore.FlagStatisticsSequence);
            LittleEndian.PutU32(old, firstCrcAt, Crc32.Compute(old, 0, firstCrcAt));
            LittleEndian.PutU32(old, statisticsCrcEnd - 4, Crc32.Compute(old, 0, statisticsCrcEnd - 4));
            if (withBase) LittleEndian.PutU32(old, old.Length - 4, Crc32.Compute(old, 0, old.Length - 4));
            return old;
        }

        /// <summary>
        /// An image from before the statistics' sequence number (session 10, built by hand from a new one) loads exactly as
        /// before: model, counters, statistics and base rows, 4 bytes shorter. A new image written in place over it and cut
        /// right after its first CRC does not pass the old section off as its own: the slot is rejected, the other loads.
        /// </summary>
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void An_image_without_the_statistics_sequence_number_loads_as_before_and_a_cut_over_it_is_rejected(bool withBase)
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder) { OverwriteInPlace = true };
                Model a = Perturbed(11), g = Perturbed(23), b = Perturbed(37);
                ParameterSet baseA = RowsOf(Perturbed(5));
                int modelBytes = ModelFile.SizeOf(a);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                Assert.Equal(0, store.Save(a, Counters(50), withBase ? baseA : null, 2));
                byte[] image = File.ReadAllBytes(flash.SlotPath(0));
                Assert.Equal(CheckpointStore.FlagStatisticsSequence | (withBase ? CheckpointStore.FlagBaseRows : 0), LittleEndian.GetU16(image, 6));
                byte[] old = Session10Image(image, modelBytes, withBase);
                Assert.Equal(3647 + (withBase ? CheckpointStore.BaseRowsBytes(baseA) : 0), old.Length); // session 10's figures
                File.Delete(flash.SlotPath(0));
                File.WriteAllBytes(flash.SlotPath(0), old);

                var counters = new FirmwareCounters();
                var booted = new CheckpointStore(flash, modelBytes, Features, Classes);
                Assert.Equal(ModelFile.Save(a), ModelFile.Save(booted.LoadLatest(counters, -1, false, Features, Classes)));
                Assert.Equal(0, booted.RejectionCount);
                Assert.True(booted.LoadedStatistics);
                Assert.Equal(50, counters.Samples);
                AssertOwnStatistics(counters, "the session 10 image");
                Assert.Equal(old.Length, booted.LastBytes);
                Assert.Equal(withBase, booted.LoadedBaseRows);
                Assert.Null(booted.BaseRowsProblem);
                if (withBase)
                {
                    var into = new ParameterSet(a.Network);
                    Assert.Null(booted.CopyBaseRows(2, into));
                    AssertSameRows(baseA, into);
                }

                // This firmware's next saves: slot 1 whole, then slot 0 (the old image) cut right after the first CRC.
                Assert.Equal(1, booted.Save(g, Counters(100), withBase ? baseA : null, 2));
                flash.CutAfterBytes = CheckpointStore.ImageSize(modelBytes, Features, Classes) - 8 - CheckpointStore.StatisticsBytes(Features, Classes);
                Assert.Throws<PowerCutException>(() => booted.Save(b, Counters(200), withBase ? baseA : null, 2));
                counters = new FirmwareCounters();
                var afterCut = new CheckpointStore(flash, modelBytes, Features, Classes);
                Assert.Equal(ModelFile.Save(g), ModelFile.Save(afterCut.LoadLatest(counters, -1, false, Features, Classes)));
                AssertOwnStatistics(counters, "after the cut");
                Assert.Equal(100, counters.Samples);
                // What follows the old section's CRC: the end of the slot, or the old base section's length field.
                Assert.Equal(withBase ? "slot 0: statistics section left by checkpoint " + (CheckpointStore.BaseRowsBytes(baseA) - 8) + " (a cut write), this is 3"
                    : "slot 0: statistics section truncated: needs 3651 bytes, has 3647", afterCut.Rejection(0));
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>Two slots in RAM; reads allocate nothing.</summary>
        private sealed class ArrayFlash : IFlashStore
        {
            private readonly byte[][] slots = new byte[2][];
            private readonly int[] lengths = new int[2];
            public ArrayFlash(int capacity) { slots[0] = new byte[capacity]; slots[1] = new byte[capacity]; }
            public int SlotCount => 2;
            public int SlotCapacity => slots[0].Length;
            public int Read(int slot, int offset, byte[] buffer, int count)
            {
                int n = Math.Max(0, Math.Min(count, lengths[slot] - offset));
                Array.Copy(slots[slot], offset, buffer, 0, n);
                return n;
            }
            public void Write(int slot, int offset, byte[] data, int count)
            {
                Array.Copy(data, 0, slots[slot], offset, count);
                lengths[slot] = offset + count;
            }
        }

        /// <summary>A flash that flips one bit of the next image at a byte offset (a garbled write the read-back must catch).</summary>
        private sealed class FlipFlash : IFlashStore
        {
            private readonly IFlashStore inner;
            public int FlipAt = -1;
            public FlipFlash(IFlashStore inner) { this.inner = inner; }
            public int SlotCount => inner.SlotCount;
            public int SlotCapacity => inner.SlotCapacity;
            public int Read(int slot, int offset, byte[] buffer, int count) => inner.Read(slot, offset, buffer, count);
            public void Write(int slot, int offset, byte[] data, int count)
            {
                if (FlipAt >= offset && FlipAt < offset + count)
                {
                    var copy = (byte[])data.Clone();
                    copy[FlipAt - offset] ^= 0x04;
                    FlipAt = -1;
                    inner.Write(slot, offset, copy, count);
                    return;
                }
                inner.Write(slot, offset, data, count);
            }
        }

        [Fact]
        public void A_garbled_byte_in_the_written_base_section_fails_the_read_back_and_the_older_slot_stays_newest()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FlipFlash(new FileFlashStore(folder));
                Model good = Perturbed(23), next = Perturbed(37);
                int modelBytes = ModelFile.SizeOf(good);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                Assert.Equal(0, store.Save(good, Counters(100), RowsOf(good), 3));
                flash.FlipAt = CheckpointStore.ImageSize(modelBytes, Features, Classes) + 500;
                Assert.Throws<FlashVerifyException>(() => store.Save(next, Counters(200), RowsOf(next), 4));
                Assert.Equal(0, store.LastSlot);
                Assert.Equal(1u, store.LastSequence);
            }
            finally { Directory.Delete(folder, true); }
        }
    }
}
