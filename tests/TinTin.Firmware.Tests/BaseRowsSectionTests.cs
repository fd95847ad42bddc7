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

        private static FirmwareCounters Counters(long samples)
        {
            var c = new FirmwareCounters { Samples = samples, Labelled = 10, FleetBaseVersion = 3 };
            c.SizeStatistics(Features, Classes);
            c.InputSamples = (uint)samples;
            return c;
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
        /// A power cut at every byte of a checkpoint with base rows: up to the statistics section's CRC the previous
        /// checkpoint loads with its rows; inside the base section the new slot loads (its model, counters and statistics
        /// are whole and pass their CRCs) without rows (the reason says why; every channel until a take); once written, the
        /// new one with its rows. Never nothing, never a crash.
        /// </summary>
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_cut_at_every_byte_of_the_base_section_loads_a_whole_model_and_rows_only_when_whole(bool overwriteInPlace)
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
                int statisticsEnd = CheckpointStore.ImageSize(modelBytes, Features, Classes);
                int imageBytes = statisticsEnd + CheckpointStore.BaseRowsBytes(nextBase);
                // Every byte around the section's head and tail, every 7th inside the rows, every 13th before.
                for (int cut = 0; cut <= imageBytes; cut += cut < statisticsEnd - 8 ? 13 : cut < statisticsEnd + 40 || cut > imageBytes - 40 ? 1 : 7)
                {
                    File.WriteAllBytes(flash.SlotPath(0), slot0);
                    File.WriteAllBytes(flash.SlotPath(1), slot1);
                    var booted = new CheckpointStore(flash, modelBytes, Features, Classes);
                    Assert.NotNull(booted.LoadLatest(new FirmwareCounters(), -1, false));
                    flash.CutAfterBytes = cut < imageBytes ? cut : -1;
                    try { booted.Save(next, Counters(200), nextBase, 4); }
                    catch (PowerCutException) { }
                    flash.CutAfterBytes = -1;

                    var afterCut = new CheckpointStore(flash, modelBytes, Features, Classes);
                    var counters = new FirmwareCounters();
                    Model loaded = afterCut.LoadLatest(counters, -1, false, Features, Classes);
                    Assert.True(loaded != null, "nothing loads after a cut at byte " + cut);
                    var into = new ParameterSet(loaded.Network);
                    if (cut < statisticsEnd)
                    {
                        Assert.Equal(ModelFile.Save(good), ModelFile.Save(loaded));
                        Assert.Null(afterCut.CopyBaseRows(3, into));
                        AssertSameRows(goodBase, into);
                    }
                    else if (cut < imageBytes)
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
