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
        private static Model LoadDefault() => ModelFile.Load(DefaultModel.Bytes(), DefaultModel.Bytes().Length, -1, false);

        /// <summary>A model whose weights differ from the default (so "which checkpoint loaded" is visible).</summary>
        private static Model Perturbed(int amount)
        {
            Model m = LoadDefault();
            var dense = (DenseLayer)m.Network.Layers[0];
            for (int i = 0; i < dense.MasterWeights.Length; i += 3) dense.MasterWeights[i] = (short)(dense.MasterWeights[i] / 2 + amount);
            dense.RefreshInt8Weights();
            return m;
        }

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
                var counters = new FirmwareCounters { Samples = 1000, Updates = 17, Labelled = 40, Correct = 31 };
                var store = new CheckpointStore(flash, ModelFile.SizeOf(good));
                if (bothSlotsValidBefore) store.Save(older, new FirmwareCounters { Samples = 500 });
                store.Save(good, counters);
                uint goodSequence = store.LastSequence;
                byte[] goodBytes = ModelFile.Save(good);
                byte[] slot0 = File.ReadAllBytes(flash.SlotPath(0));
                byte[] slot1 = File.Exists(flash.SlotPath(1)) ? File.ReadAllBytes(flash.SlotPath(1)) : null;
                int imageBytes = CheckpointStore.ImageSize(goodBytes.Length);

                for (int cut = 0; cut <= imageBytes; cut++)
                {
                    // restore the flash as it was before the write
                    File.WriteAllBytes(flash.SlotPath(0), slot0);
                    if (slot1 != null) File.WriteAllBytes(flash.SlotPath(1), slot1);
                    else if (File.Exists(flash.SlotPath(1))) File.Delete(flash.SlotPath(1));

                    // boot, then write the next checkpoint with the power cut after `cut` bytes
                    var booted = new CheckpointStore(flash, goodBytes.Length);
                    Assert.NotNull(booted.LoadLatest(new FirmwareCounters(), -1, false));
                    flash.CutAfterBytes = cut < imageBytes ? cut : -1;
                    bool completed = true;
                    try { booted.Save(next, new FirmwareCounters { Samples = 2000 }); }
                    catch (PowerCutException) { completed = false; }
                    Assert.Equal(cut == imageBytes, completed);

                    // power back: the newest valid state must load, exactly
                    var restored = new FirmwareCounters();
                    var afterCut = new CheckpointStore(flash, goodBytes.Length);
                    Model loaded = afterCut.LoadLatest(restored, -1, false);
                    Assert.True(loaded != null, "nothing loadable after a cut at byte " + cut);
                    if (completed)
                    {
                        Assert.Equal(goodSequence + 1, afterCut.LastSequence);
                        Assert.Equal(ModelFile.Save(next), ModelFile.Save(loaded));
                        Assert.Equal(2000, restored.Samples);
                    }
                    else
                    {
                        Assert.Equal(goodSequence, afterCut.LastSequence);
                        Assert.Equal(goodBytes, ModelFile.Save(loaded));
                        Assert.Equal(1000, restored.Samples);
                        Assert.Equal(17, restored.Updates);
                        Assert.Equal(31, restored.Correct);
                    }
                }
            }
            finally { Directory.Delete(folder, true); }
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
            int end = bytes.Length - 4;
            LittleEndian.PutU32(bytes, end, Crc32.Compute(bytes, 0, end));
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
                var store = new CheckpointStore(flash, modelBytes);
                store.Save(older, new FirmwareCounters { Samples = 10 });
                int newest = store.Save(newer, new FirmwareCounters { Samples = 20 });
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
