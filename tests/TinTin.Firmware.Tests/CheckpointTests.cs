using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    public class CheckpointTests
    {
        internal static Model LoadDefault() => ModelFile.Load(DefaultModel.Bytes(), DefaultModel.Bytes().Length, -1, false);

        /// <summary>A model whose weights differ from the default (so "which checkpoint loaded" is visible).</summary>
        internal static Model Perturbed(int amount)
        {
            Model m = LoadDefault();
            var dense = (DenseLayer)m.Network.Layers[0];
            for (int i = 0; i < dense.MasterWeights.Length; i += 3) dense.MasterWeights[i] = (short)(dense.MasterWeights[i] / 2 + amount);
            dense.RefreshInt8Weights();
            return m;
        }

        /// <summary>
        /// A power cut after every byte of a checkpoint (truncating or in-place flash, one or two valid slots before): the
        /// previous checkpoint loads, model, counters and statistics exact, unless the slot holds the whole new image (in
        /// place, a cut after the last byte that differs from what the slot held is no cut). With two slots the overwritten
        /// one held an image with other statistics: in place, a cut right after the new first CRC leaves that image's
        /// statistics section and CRC behind, which pass the CRC (session 11: its sequence number rejects it).
        /// </summary>
        [Theory]
        [InlineData(false, false)]
        [InlineData(false, true)]
        [InlineData(true, false)]
        [InlineData(true, true)]
        public void A_write_cut_at_every_byte_leaves_the_last_good_checkpoint_loadable(bool overwriteInPlace, bool bothSlotsValidBefore)
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder) { OverwriteInPlace = overwriteInPlace };
                Model older = Perturbed(11), good = Perturbed(23), next = Perturbed(37);
                var counters = WithStatistics(new FirmwareCounters { Samples = 1000, Updates = 17, Labelled = 40, Correct = 31 }, 25, 15);
                var store = new CheckpointStore(flash, ModelFile.SizeOf(good), Features, Classes);
                if (bothSlotsValidBefore) store.Save(older, WithStatistics(new FirmwareCounters { Samples = 500, Labelled = 10 }, 6, 4));
                store.Save(good, counters);
                uint goodSequence = store.LastSequence;
                byte[] goodBytes = ModelFile.Save(good);
                byte[] slot0 = File.ReadAllBytes(flash.SlotPath(0));
                byte[] slot1 = File.Exists(flash.SlotPath(1)) ? File.ReadAllBytes(flash.SlotPath(1)) : null;
                int imageBytes = CheckpointStore.ImageSize(goodBytes.Length, Features, Classes);
                Assert.Equal(imageBytes, new FileInfo(flash.SlotPath(store.LastSlot)).Length);
                int nextSlot = 1 - store.LastSlot;
                byte[] nextImage = null; // what the uncut save writes (cut = imageBytes, the loop's last run)
                int staleCuts = 0;

                for (int cut = imageBytes; cut >= 0; cut--)
                {
                    // restore the flash as it was before the write
                    File.WriteAllBytes(flash.SlotPath(0), slot0);
                    if (slot1 != null) File.WriteAllBytes(flash.SlotPath(1), slot1);
                    else if (File.Exists(flash.SlotPath(1))) File.Delete(flash.SlotPath(1));
                    byte[] before = File.Exists(flash.SlotPath(nextSlot)) ? File.ReadAllBytes(flash.SlotPath(nextSlot)) : new byte[0];

                    // boot, then write the next checkpoint with the power cut after `cut` bytes
                    var booted = new CheckpointStore(flash, goodBytes.Length);
                    Assert.NotNull(booted.LoadLatest(new FirmwareCounters(), -1, false));
                    flash.CutAfterBytes = cut < imageBytes ? cut : -1;
                    bool completed = true;
                    try { booted.Save(next, WithStatistics(new FirmwareCounters { Samples = 2000, Labelled = 50 }, 30, 20)); }
                    catch (PowerCutException) { completed = false; }
                    Assert.Equal(cut == imageBytes, completed);
                    if (completed) nextImage = File.ReadAllBytes(flash.SlotPath(nextSlot));
                    // In place the slot keeps what it held after the cut: whole when those bytes are the new image's.
                    int same = cut;
                    if (overwriteInPlace) while (same < imageBytes && same < before.Length && before[same] == nextImage[same]) same++;
                    bool whole = same == imageBytes;
                    int statisticsCrcEnd = imageBytes - 4, firstCrcEnd = statisticsCrcEnd - 4 - CheckpointStore.StatisticsBytes(Features, Classes);
                    // The stale case: the new header, model and counters before the older image's whole section and CRC.
                    byte[] held = Spliced(nextImage, before, cut);
                    bool stale = overwriteInPlace && !whole && cut >= firstCrcEnd && cut < statisticsCrcEnd - 4 && held.Length >= statisticsCrcEnd
                        && Crc32.Compute(held, 0, statisticsCrcEnd - 4) == LittleEndian.GetU32(held, statisticsCrcEnd - 4);
                    if (stale) staleCuts++;

                    // power back: the newest valid state must load, exactly
                    var restored = new FirmwareCounters();
                    var afterCut = new CheckpointStore(flash, goodBytes.Length);
                    Model loaded = afterCut.LoadLatest(restored, -1, false);
                    Assert.True(loaded != null, "nothing loadable after a cut at byte " + cut);
                    if (stale) Assert.Equal("slot " + nextSlot + ": statistics section left by checkpoint 1 (a cut write), this is 3", afterCut.Rejection(0));
                    if (whole)
                    {
                        Assert.Equal(goodSequence + 1, afterCut.LastSequence);
                        Assert.Equal(ModelFile.Save(next), ModelFile.Save(loaded));
                        Assert.Equal(2000, restored.Samples);
                        Assert.Equal(new uint[] { 30, 20 }, restored.ClassLabelled);
                        Assert.Equal(2000u, restored.InputSamples);
                    }
                    else
                    {
                        Assert.Equal(goodSequence, afterCut.LastSequence);
                        Assert.Equal(goodBytes, ModelFile.Save(loaded));
                        Assert.Equal(1000, restored.Samples);
                        Assert.Equal(17, restored.Updates);
                        Assert.Equal(31, restored.Correct);
                        Assert.Equal(new uint[] { 25, 15 }, restored.ClassLabelled);
                        Assert.Equal(1000u, restored.InputSamples);
                        Assert.Equal(counters.InputSums, restored.InputSums);
                        Assert.True(afterCut.LoadedStatistics);
                    }
                }
                // Two valid slots in place: the cuts from the first CRC's end through the section's head (C and F are
                // the same in both images) left a section whose CRC holds; other layouts leave none.
                Assert.Equal(overwriteInPlace && bothSlotsValidBefore ? 5 : 0, staleCuts);
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>The slot's bytes after a cut at `cut` on flash written in place: the new image's first `cut` bytes, then what the slot held.</summary>
        internal static byte[] Spliced(byte[] written, byte[] before, int cut)
        {
            var slot = new byte[Math.Max(cut, before.Length)];
            Array.Copy(before, slot, before.Length);
            Array.Copy(written, slot, cut);
            return slot;
        }

        private const int Features = 6, Classes = 2; // the default model's input length and class count

        /// <summary>Counters with the statistics section's values: class counts c0, c1 and input sums over Samples samples.</summary>
        private static FirmwareCounters WithStatistics(FirmwareCounters c, uint c0, uint c1)
        {
            c.SizeStatistics(Features, Classes);
            c.ClassLabelled[0] = c0;
            c.ClassLabelled[1] = c1;
            c.InputSamples = (uint)c.Samples;
            for (int i = 0; i < Features; i++) c.InputSums[i] = (i - 2) * 1_000_003L * c.Samples;
            return c;
        }

        /// <summary>Recomputes both CRCs of an image with a statistics section of `statisticsBytes` (header field 18 set to it), the image's sequence number after them (header flag bit 2).</summary>
        private static byte[] Reseal(byte[] image, int modelBytes, int statisticsBytes)
        {
            int end = CheckpointStore.HeaderBytes + modelBytes + 8 * FirmwareCounters.Count;
            Assert.Equal(CheckpointStore.FlagStatisticsSequence, LittleEndian.GetU16(image, 6) & CheckpointStore.FlagStatisticsSequence);
            var sealedImage = new byte[end + 4 + statisticsBytes + 4 + 4];
            Array.Copy(image, sealedImage, Math.Min(image.Length, end + 4 + statisticsBytes));
            LittleEndian.PutU16(sealedImage, 18, statisticsBytes);
            LittleEndian.PutU32(sealedImage, end, Crc32.Compute(sealedImage, 0, end));
            LittleEndian.PutU32(sealedImage, end + 4 + statisticsBytes, Crc32.Compute(sealedImage, 0, end + 4 + statisticsBytes));
            LittleEndian.PutU32(sealedImage, end + 8 + statisticsBytes, LittleEndian.GetU32(image, 8));
            return sealedImage;
        }

        /// <summary>
        /// Issue 15: a checkpoint whose statistics section (class counts, input statistics) is cut, corrupt, of another
        /// shape, shorter than its shape needs, or counting more labelled samples than the counters is rejected like any
        /// corrupt slot, with the reason in the rejection text; the older slot loads, with its own counts.
        /// </summary>
        [Theory]
        [InlineData("cut", "slot {0}: statistics section truncated: needs 3647 bytes, has 3589")]
        [InlineData("flip", "slot {0}: statistics section CRC-32 mismatch")]
        [InlineData("classes", "slot {0}: statistics section: 3 classes and 6 features, the model has 2 and 6")]
        [InlineData("short", "slot {0}: statistics section: 60 bytes, 2 classes and 6 features need 64")]
        [InlineData("head", "slot {0}: statistics section: 6 bytes, shorter than its 8-byte head")]
        [InlineData("counts", "slot {0}: statistics section: the class counts add up to 61 labelled samples, more than the 40 the counters hold")]
        public void A_checkpoint_whose_statistics_section_is_cut_or_corrupt_is_rejected_and_the_older_slot_loads(string damage, string reason)
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                Model older = Perturbed(11), newer = Perturbed(23);
                int modelBytes = ModelFile.SizeOf(newer);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                store.Save(older, WithStatistics(new FirmwareCounters { Samples = 500, Labelled = 10 }, 6, 4));
                int newest = store.Save(newer, WithStatistics(new FirmwareCounters { Samples = 1000, Labelled = 40 }, 25, 15));
                byte[] image = File.ReadAllBytes(flash.SlotPath(newest));
                int statisticsAt = CheckpointStore.HeaderBytes + modelBytes + 8 * FirmwareCounters.Count + 4;
                int statisticsBytes = CheckpointStore.StatisticsBytes(Features, Classes);
                Assert.Equal(statisticsBytes, LittleEndian.GetU16(image, 18));
                // The default model's image: header, model, 18 counters, CRC, section, its CRC, the sequence number: 3,651 B
                // (3,579 B before the section, 3,647 B before the number).
                Assert.Equal(3411 + 20 + 8 * 18 + 4 + 64 + 4 + 4, image.Length);
                switch (damage)
                {
                    case "cut": image = image.AsSpan(0, statisticsAt + 10).ToArray(); break;
                    case "flip": image[statisticsAt + 20] ^= 0x08; break;
                    case "classes": LittleEndian.PutU16(image, statisticsAt, 3); image = Reseal(image, modelBytes, statisticsBytes); break;
                    case "short": image = Reseal(image, modelBytes, statisticsBytes - 4); break;
                    case "head": image = Reseal(image, modelBytes, 6); break;
                    case "counts": LittleEndian.PutU32(image, statisticsAt + 8, 46); image = Reseal(image, modelBytes, statisticsBytes); break;
                }
                File.WriteAllBytes(flash.SlotPath(newest), image);

                var counters = new FirmwareCounters();
                var reloaded = new CheckpointStore(flash, modelBytes, Features, Classes);
                Model loaded = reloaded.LoadLatest(counters, -1, false, Features, Classes);
                Assert.Equal(ModelFile.Save(older), ModelFile.Save(loaded));
                Assert.Equal(1 - newest, reloaded.LastSlot);
                Assert.Equal((500L, 10L), (counters.Samples, counters.Labelled));
                Assert.Equal(new uint[] { 6, 4 }, counters.ClassLabelled);
                Assert.Equal(1, reloaded.RejectionCount);
                Assert.Equal(string.Format(reason, newest), reloaded.Rejection(0));
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>
        /// Issue 15 follow-up (session 11): image B written in place over image A and cut right after B's first CRC leaves
        /// B's header, model and counters before A's statistics section and CRC, and that CRC holds (a CRC-32 run on over
        /// data and its own valid CRC always reaches the same state). The sequence number after the section rejects the
        /// slot as the cut write it is: the other slot loads with its own statistics, never B's model with A's counts;
        /// the next save overwrites the rejected slot, and once whole it loads.
        /// </summary>
        [Fact]
        public void A_stale_statistics_section_behind_a_write_cut_in_place_is_rejected_and_the_older_slot_loads()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder) { OverwriteInPlace = true };
                Model a = Perturbed(11), g = Perturbed(23), b = Perturbed(37);
                int modelBytes = ModelFile.SizeOf(g);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                Assert.Equal(0, store.Save(a, WithStatistics(new FirmwareCounters { Samples = 500, Labelled = 10 }, 6, 4)));
                Assert.Equal(1, store.Save(g, WithStatistics(new FirmwareCounters { Samples = 1000, Labelled = 40 }, 25, 15)));
                int firstCrcEnd = CheckpointStore.HeaderBytes + modelBytes + 8 * FirmwareCounters.Count + 4;
                int statisticsCrcAt = firstCrcEnd + CheckpointStore.StatisticsBytes(Features, Classes);
                flash.CutAfterBytes = firstCrcEnd;
                Assert.Throws<PowerCutException>(() => store.Save(b, WithStatistics(new FirmwareCounters { Samples = 2000, Labelled = 50 }, 30, 20)));

                byte[] slot0 = File.ReadAllBytes(flash.SlotPath(0));
                Assert.Equal(3u, LittleEndian.GetU32(slot0, 8));                      // B's header
                Assert.Equal(Crc32.Compute(slot0, 0, firstCrcEnd - 4), LittleEndian.GetU32(slot0, firstCrcEnd - 4));
                Assert.Equal(Crc32.Compute(slot0, 0, statisticsCrcAt), LittleEndian.GetU32(slot0, statisticsCrcAt)); // A's section passes
                Assert.Equal(6u, LittleEndian.GetU32(slot0, firstCrcEnd + 8));         // A's class counts
                Assert.Equal(1u, LittleEndian.GetU32(slot0, statisticsCrcAt + 4));    // A's number

                var counters = new FirmwareCounters();
                var reloaded = new CheckpointStore(flash, modelBytes, Features, Classes);
                Model loaded = reloaded.LoadLatest(counters, -1, false, Features, Classes);
                Assert.Equal(ModelFile.Save(g), ModelFile.Save(loaded));
                Assert.Equal((1, 2u), (reloaded.LastSlot, reloaded.LastSequence));
                Assert.Equal((1000L, 40L, 1000u), (counters.Samples, counters.Labelled, counters.InputSamples));
                Assert.Equal(new uint[] { 25, 15 }, counters.ClassLabelled);
                Assert.Equal(1, reloaded.RejectionCount);
                Assert.Equal("slot 0: statistics section left by checkpoint 1 (a cut write), this is 3", reloaded.Rejection(0));
                using (var board = new TestBoard(folder)) // the firmware's boot: G, and one err line naming the cut
                {
                    board.App.Start();
                    Assert.Equal("flash", board.App.ModelSource);
                    Assert.Equal(ModelFile.Save(g), ModelFile.Save(board.App.Model));
                    Assert.Equal(new uint[] { 25, 15 }, board.App.Counters.ClassLabelled);
                    var errs = board.Messages().Where(m => m.Kind == "err").ToList();
                    Assert.Single(errs);
                    Assert.Equal(("flash", "skipped_checkpoint_slot_0:_statistics_section_left_by_checkpoint_1__a_cut_write___this_is_3"), (errs[0].Get("code"), errs[0].Get("msg")));
                }

                Assert.Equal(0, reloaded.Save(b, WithStatistics(new FirmwareCounters { Samples = 2000, Labelled = 50 }, 30, 20)));
                counters = new FirmwareCounters();
                var rebooted = new CheckpointStore(flash, modelBytes, Features, Classes);
                Assert.Equal(ModelFile.Save(b), ModelFile.Save(rebooted.LoadLatest(counters, -1, false, Features, Classes)));
                Assert.Equal((2000L, 2000u), (counters.Samples, counters.InputSamples));
                Assert.Equal(new uint[] { 30, 20 }, counters.ClassLabelled);
                Assert.Equal(0, rebooted.RejectionCount);
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>
        /// The statistics section comes after the first CRC: firmware from before it, which checks magic, version, model
        /// size and the CRC over header, model and counters (and ignores the reserved field 18), still accepts the image;
        /// and this firmware loads an image from before the section with every counter and the statistics at 0.
        /// </summary>
        [Fact]
        public void An_image_with_the_statistics_section_passes_the_older_firmwares_checks_and_an_older_image_loads()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                Model m = Perturbed(7);
                int modelBytes = ModelFile.SizeOf(m);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                int slot = store.Save(m, WithStatistics(new FirmwareCounters { Samples = 300, Labelled = 12, Correct = 9 }, 5, 7));
                byte[] image = File.ReadAllBytes(flash.SlotPath(slot));
                int end = CheckpointStore.HeaderBytes + modelBytes + 8 * FirmwareCounters.Count;
                // What the firmware of main 06d94c5 checks (CheckpointStore.Validate there).
                Assert.Equal(CheckpointStore.Magic, LittleEndian.GetU32(image, 0));
                Assert.Equal(1, LittleEndian.GetU16(image, 4));
                Assert.Equal((uint)modelBytes, LittleEndian.GetU32(image, 12));
                Assert.Equal(FirmwareCounters.Count, LittleEndian.GetU16(image, 16));
                Assert.Equal(Crc32.Compute(image, 0, end), LittleEndian.GetU32(image, end));

                // The same checkpoint as that firmware wrote it: no section, a reserved 0.
                byte[] older = image.AsSpan(0, end + 4).ToArray();
                LittleEndian.PutU16(older, 6, 0);  // nor flag bit 2 (the sequence number after the section)
                LittleEndian.PutU16(older, 18, 0);
                LittleEndian.PutU32(older, end, Crc32.Compute(older, 0, end));
                File.WriteAllBytes(flash.SlotPath(slot), older);
                var counters = WithStatistics(new FirmwareCounters(), 99, 99);
                var reloaded = new CheckpointStore(flash, modelBytes, Features, Classes);
                Assert.Equal(ModelFile.Save(m), ModelFile.Save(reloaded.LoadLatest(counters, -1, false, Features, Classes)));
                Assert.False(reloaded.LoadedStatistics);
                Assert.Equal((300L, 12L, 9L), (counters.Samples, counters.Labelled, counters.Correct));
                Assert.Equal(new uint[2], counters.ClassLabelled);
                Assert.Equal(0u, counters.InputSamples);
                Assert.Equal(new long[Features], counters.InputSums);
                Assert.Equal(0, reloaded.RejectionCount);
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void CheckpointStore_ImageSize_of_a_model_file_reads_its_input_length_and_class_count()
        {
            byte[] bytes = DefaultModel.Bytes();
            Assert.Equal(CheckpointStore.ImageSize(bytes.Length, 6, 2), CheckpointStore.ImageSize(bytes));
            Assert.Equal(3647 + 4, CheckpointStore.ImageSize(bytes)); // + the sequence number after the statistics' CRC (session 11)
            byte[] small = File.ReadAllBytes(TinTin.Reference.RepositoryPaths.Data("models", "occupancy-6-16-2.ttm"));
            Assert.Equal(CheckpointStore.ImageSize(small.Length, 6, 2), CheckpointStore.ImageSize(small));
            Assert.Contains("truncated", Assert.Throws<ModelFormatException>(() => CheckpointStore.ImageSize(new byte[5])).Message);
            byte[] corrupt = (byte[])bytes.Clone();
            corrupt[40] ^= 1;
            Assert.Contains("CRC-32", Assert.Throws<ModelFormatException>(() => CheckpointStore.ImageSize(corrupt)).Message);
        }

        [Fact]
        public void A_cut_during_the_very_first_checkpoint_boots_the_default_model()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                Model m = Perturbed(5);
                for (int cut = 0; cut < CheckpointStore.ImageSize(ModelFile.SizeOf(m)); cut += 7)
                {
                    flash.Erase();
                    flash.CutAfterBytes = cut;
                    Assert.Throws<PowerCutException>(() => new CheckpointStore(flash, ModelFile.SizeOf(m)).Save(m, new FirmwareCounters()));
                    Assert.Null(new CheckpointStore(flash, ModelFile.SizeOf(m)).LoadLatest(new FirmwareCounters(), -1, false));
                }
                using var board = new TestBoard(folder);
                board.App.Start();
                Assert.Equal("default", board.App.ModelSource);
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void HoldsData_is_false_on_empty_flash_and_true_once_a_slot_is_written_even_a_garbled_one()
        {
            // The firmware keeps the default model it parsed at boot only when HoldsData is false (nothing can load).
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                var store = new CheckpointStore(flash, ModelFile.SizeOf(LoadDefault()));
                Assert.False(store.HoldsData());
                Assert.Null(store.LoadLatest(new FirmwareCounters(), -1, false));
                store.Save(Perturbed(1), new FirmwareCounters { Samples = 1 });
                Assert.True(store.HoldsData());
                byte[] bytes = File.ReadAllBytes(flash.SlotPath(0));
                bytes[bytes.Length / 2] ^= 0x40;
                File.WriteAllBytes(flash.SlotPath(0), bytes);
                var reloaded = new CheckpointStore(flash, bytes.Length - CheckpointStore.ImageSize(0));
                Assert.True(reloaded.HoldsData()); // garbled, but only LoadLatest decides whether it loads
                Assert.Null(reloaded.LoadLatest(new FirmwareCounters(), -1, false));
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void Saves_alternate_slots_and_corruption_falls_back_to_the_other_slot()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                var store = new CheckpointStore(flash, ModelFile.SizeOf(LoadDefault()));
                int a = store.Save(Perturbed(1), new FirmwareCounters { Samples = 1 });
                int b = store.Save(Perturbed(2), new FirmwareCounters { Samples = 2 });
                int c = store.Save(Perturbed(3), new FirmwareCounters { Samples = 3 });
                Assert.Equal(new[] { 0, 1, 0 }, new[] { a, b, c });
                byte[] bytes = File.ReadAllBytes(flash.SlotPath(0));
                bytes[bytes.Length / 2] ^= 0x40; // a flipped bit in the newest image
                File.WriteAllBytes(flash.SlotPath(0), bytes);
                var counters = new FirmwareCounters();
                var reloaded = new CheckpointStore(flash, bytes.Length - CheckpointStore.ImageSize(0));
                Model m = reloaded.LoadLatest(counters, -1, false);
                Assert.NotNull(m);
                Assert.Equal(2, counters.Samples);
                Assert.Equal(1, reloaded.InvalidSlotsSeen);
                Assert.Contains("CRC", reloaded.LastRejection);
                Assert.Equal(0, reloaded.Save(Perturbed(4), counters)); // overwrites the bad slot, not the good one
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void A_rebooted_board_resumes_from_its_checkpoint_and_a_cut_checkpoint_keeps_the_previous_one()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                byte[] learned;
                long updates;
                using (var board = new TestBoard(folder))
                {
                    board.App.Start();
                    board.Steps(150);
                    board.App.HandleLine("label 1 600");
                    board.Steps(5);
                    board.App.HandleLine("label 0 120");
                    board.App.HandleLine("save");
                    Assert.Contains(board.Messages(), m => m.Kind == "ckpt");
                    learned = ModelFile.Save(board.App.Model);
                    updates = board.App.Counters.Updates;
                    Assert.True(updates >= 1);
                    Assert.NotEqual(DefaultModel.Bytes(), learned);

                    // learn more, then lose power in the middle of the next checkpoint
                    board.App.HandleLine("label 1 300");
                    board.Flash.CutAfterBytes = 100;
                    int before = board.Lines.Count;
                    board.App.HandleLine("save");
                    ProtocolMessage err = board.Messages(before).Single(m => m.Kind == "err");
                    Assert.Equal("flash", err.Get("code"));
                }
                using (var rebooted = new TestBoard(folder))
                {
                    rebooted.App.Start();
                    ProtocolMessage hello = rebooted.Messages().First(m => m.Kind == "hello");
                    Assert.Equal("flash", hello.Get("source"));
                    Assert.Equal(learned, ModelFile.Save(rebooted.App.Model));
                    Assert.Equal(updates, rebooted.App.Counters.Updates);
                    Assert.Equal(2, rebooted.App.Counters.Boots);
                    rebooted.App.HandleLine("reset confirm");
                    Assert.Equal(DefaultModel.Bytes(), ModelFile.Save(rebooted.App.Model));
                }
                using (var third = new TestBoard(folder))
                {
                    third.App.Start();
                    Assert.Equal(DefaultModel.Bytes(), ModelFile.Save(third.App.Model)); // the reset was persisted
                }
            }
            finally { Directory.Delete(folder, true); }
        }

        /// <summary>Changes a slot's bytes with f, then recomputes the checkpoint CRC so only the content is wrong.</summary>
        private static void RewriteSlot(FileFlashStore flash, int slot, Action<byte[]> f)
        {
            byte[] bytes = File.ReadAllBytes(flash.SlotPath(slot));
            f(bytes);
            int statisticsBytes = LittleEndian.GetU16(bytes, 18);
            int end = statisticsBytes > 0 ? bytes.Length - 4 - statisticsBytes - 4 : bytes.Length - 4;
            LittleEndian.PutU32(bytes, end, Crc32.Compute(bytes, 0, end));
            if (statisticsBytes > 0) LittleEndian.PutU32(bytes, bytes.Length - 4, Crc32.Compute(bytes, 0, bytes.Length - 4));
            File.WriteAllBytes(flash.SlotPath(slot), bytes);
        }

        [Fact]
        public void A_write_that_silently_stores_garbage_does_not_count_and_a_cut_after_it_keeps_the_learned_model()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                Model learned = Perturbed(23), later = Perturbed(41), latest = Perturbed(57);
                int modelBytes = ModelFile.SizeOf(learned);
                var store = new CheckpointStore(flash, modelBytes);
                Assert.Equal(0, store.Save(learned, new FirmwareCounters { Samples = 100 }));

                flash.GarbleNextWrites = 1;
                var e = Assert.Throws<FlashVerifyException>(() => store.Save(later, new FirmwareCounters { Samples = 200 }));
                Assert.Contains("slot 1", e.Message);
                Assert.Equal(0, store.LastSlot);  // the garbled slot does not count
                Assert.Equal(1u, store.LastSequence);

                flash.CutAfterBytes = 50;         // the next save is cut: it must go to the garbled slot again
                Assert.Throws<PowerCutException>(() => store.Save(latest, new FirmwareCounters { Samples = 300 }));

                var counters = new FirmwareCounters();
                Model loaded = new CheckpointStore(flash, modelBytes).LoadLatest(counters, -1, false);
                Assert.NotNull(loaded);
                Assert.Equal(ModelFile.Save(learned), ModelFile.Save(loaded));
                Assert.Equal(100, counters.Samples);
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void The_board_reports_a_garbled_checkpoint_write_as_a_flash_error_and_boots_what_it_learned()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                byte[] learned;
                using (var board = new TestBoard(folder))
                {
                    board.App.Start();
                    board.Steps(150);
                    board.App.HandleLine("label 1 600");
                    board.App.HandleLine("save");
                    learned = ModelFile.Save(board.App.Model);
                    board.App.HandleLine("label 0 120");
                    board.Flash.GarbleNextWrites = 1;
                    int before = board.Lines.Count;
                    board.App.HandleLine("save");
                    ProtocolMessage err = board.Messages(before).Single(m => m.Kind == "err");
                    Assert.Equal("flash", err.Get("code"));
                    Assert.DoesNotContain(board.Messages(before), m => m.Kind == "ckpt");
                    board.Flash.CutAfterBytes = 30;
                    board.App.HandleLine("save");
                }
                using var rebooted = new TestBoard(folder);
                rebooted.App.Start();
                Assert.Equal("flash", rebooted.App.ModelSource);
                Assert.Equal(learned, ModelFile.Save(rebooted.App.Model));
            }
            finally { Directory.Delete(folder, true); }
        }

        [Theory]
        [InlineData("model-crc")]
        [InlineData("classes")]
        public void A_newest_slot_with_valid_CRCs_but_a_rejected_model_falls_back_to_the_older_slot(string damage)
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                Model older = Perturbed(11), newer = Perturbed(29);
                int modelBytes = ModelFile.SizeOf(older);
                var store = new CheckpointStore(flash, modelBytes);
                store.Save(older, new FirmwareCounters { Samples = 10 });
                int newest = store.Save(newer, new FirmwareCounters { Samples = 20 });
                RewriteSlot(flash, newest, bytes =>
                {
                    if (damage == "model-crc") bytes[CheckpointStore.HeaderBytes + modelBytes / 2] ^= 1; // the model's own CRC now fails
                    else
                    {
                        // a well-formed model file of the same size but for another firmware: change its class count
                        byte[] model = bytes.AsSpan(CheckpointStore.HeaderBytes, modelBytes).ToArray();
                        Model m = ModelFile.Load(model, model.Length, -1, false);
                        Assert.Equal(2, m.Network.ClassCount);
                    }
                });
                var counters = new FirmwareCounters();
                var reloaded = new CheckpointStore(flash, modelBytes);
                int classes = damage == "classes" ? 3 : 2;
                Model loaded = reloaded.LoadLatest(counters, -1, false, older.Network.InputLength, classes);
                if (damage == "classes")
                {
                    Assert.Null(loaded); // both slots hold 2-class models: both are rejected, each with a reason
                    Assert.Equal(2, reloaded.RejectionCount);
                    Assert.Contains("slot " + newest, reloaded.Rejection(0));
                    Assert.Contains("slot " + (1 - newest), reloaded.Rejection(1));
                    return;
                }
                Assert.NotNull(loaded);
                Assert.Equal(ModelFile.Save(older), ModelFile.Save(loaded));
                Assert.Equal(10, counters.Samples);
                Assert.Equal(1, reloaded.RejectionCount);
                Assert.StartsWith("slot " + newest + ": model rejected", reloaded.Rejection(0));
                Assert.Equal(newest, reloaded.Save(Perturbed(3), counters)); // the rejected slot is the one overwritten
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void At_boot_every_rejected_slot_gets_an_err_line()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                var flash = new FileFlashStore(folder);
                Model older = Perturbed(11), newer = Perturbed(29);
                int modelBytes = ModelFile.SizeOf(older);
                var store = new CheckpointStore(flash, modelBytes, Features, Classes);
                store.Save(older, WithStatistics(new FirmwareCounters { Samples = 10 }, 0, 0));
                int newest = store.Save(newer, WithStatistics(new FirmwareCounters { Samples = 20 }, 0, 0));
                RewriteSlot(flash, newest, bytes => bytes[CheckpointStore.HeaderBytes + 30] ^= 0x10);
                using (var board = new TestBoard(folder))
                {
                    board.App.Start();
                    Assert.Equal("flash", board.App.ModelSource);
                    Assert.Equal(ModelFile.Save(older), ModelFile.Save(board.App.Model));
                    var errs = board.Messages().Where(m => m.Kind == "err").ToList();
                    Assert.Single(errs);
                    Assert.Equal("flash", errs[0].Get("code"));
                    Assert.Contains("slot_" + newest, errs[0].Get("msg"));
                }
                // now both slots are bad: two err lines, and the default model
                byte[] b = File.ReadAllBytes(flash.SlotPath(1 - newest));
                b[b.Length - 1] ^= 0xFF;
                File.WriteAllBytes(flash.SlotPath(1 - newest), b);
                using (var board = new TestBoard(folder))
                {
                    board.App.Start();
                    Assert.Equal("default", board.App.ModelSource);
                    Assert.Equal(2, board.Messages().Count(m => m.Kind == "err" && m.Get("code") == "flash"));
                }
            }
            finally { Directory.Delete(folder, true); }
        }
    }
}
