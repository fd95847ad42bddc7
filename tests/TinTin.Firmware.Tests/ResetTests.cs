using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// Forgetting is deliberate and recoverable (docs/PROTOCOL.md): `reset` only asks, `reset
    /// confirm` goes back to the default model but keeps the learned checkpoint in flash until
    /// newly learned checkpoints replace it, and `restore` brings it back — also after a reboot.
    /// </summary>
    public class ResetTests
    {
        /// <summary>A board that has learned and saved: returns the learned model's bytes.</summary>
        private static byte[] Learn(TestBoard board)
        {
            board.App.Start();
            board.Steps(150);
            board.App.HandleLine("label 1 600");
            board.Steps(5);
            board.App.HandleLine("label 0 120");
            board.App.HandleLine("save");
            byte[] learned = ModelFile.Save(board.App.Model);
            Assert.NotEqual(DefaultModel.Bytes(), learned);
            return learned;
        }

        [Fact]
        public void Reset_alone_changes_nothing_and_says_how_to_confirm()
        {
            using var board = new TestBoard();
            byte[] learned = Learn(board);
            int writes = board.Flash.Writes, before = board.Lines.Count;
            board.App.HandleLine("reset");
            ProtocolMessage ok = board.Messages(before).Single();
            Assert.Equal("ok", ok.Kind);
            Assert.Equal("0", ok.Get("confirmed"));
            Assert.Contains("reset_confirm", ok.Get("msg"));
            Assert.Equal(learned, ModelFile.Save(board.App.Model));
            Assert.Equal(writes, board.Flash.Writes);
            board.App.HandleLine("reset now");
            Assert.Equal("bad_argument", board.Messages(before + 1).Single().Get("code"));
            Assert.Equal(learned, ModelFile.Save(board.App.Model));
        }

        [Fact]
        public void Reset_confirm_keeps_the_learned_checkpoint_through_saves_and_a_reboot_and_restore_brings_it_back()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                byte[] learned;
                long updates;
                using (var board = new TestBoard(folder))
                {
                    learned = Learn(board);
                    updates = board.App.Counters.Updates;
                    board.App.HandleLine("reset confirm");
                    Assert.Equal(DefaultModel.Bytes(), ModelFile.Save(board.App.Model));
                    Assert.True(board.App.Checkpoints.KeptSlot >= 0);
                    // saves without new learning never touch the kept slot
                    for (int i = 0; i < 3; i++) board.App.HandleLine("save");
                    Assert.True(board.App.Checkpoints.KeptSlot >= 0);
                }
                using (var rebooted = new TestBoard(folder))
                {
                    rebooted.App.Start();
                    Assert.Equal(DefaultModel.Bytes(), ModelFile.Save(rebooted.App.Model)); // the reset was persisted
                    int before = rebooted.Lines.Count;
                    rebooted.App.HandleLine("restore");
                    Assert.Contains(rebooted.Messages(before), m => m.Kind == "ok" && m.Get("cmd") == "restore");
                    Assert.Contains(rebooted.Messages(before), m => m.Kind == "ckpt");
                    Assert.Equal(learned, ModelFile.Save(rebooted.App.Model));
                    Assert.Equal(updates, rebooted.App.Counters.Updates);
                    Assert.Equal(2, rebooted.App.Counters.Boots);
                }
                using (var third = new TestBoard(folder))
                {
                    third.App.Start();
                    Assert.Equal("flash", third.App.ModelSource);
                    Assert.Equal(learned, ModelFile.Save(third.App.Model)); // the restore was persisted
                }
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void A_power_cut_while_the_reset_is_saved_keeps_the_learned_model()
        {
            string folder = TestBoard.NewFolder();
            try
            {
                byte[] learned;
                using (var board = new TestBoard(folder))
                {
                    learned = Learn(board);
                    board.Flash.CutAfterBytes = 40;
                    board.App.HandleLine("reset confirm");
                }
                using var rebooted = new TestBoard(folder);
                rebooted.App.Start();
                Assert.Equal(learned, ModelFile.Save(rebooted.App.Model));
            }
            finally { Directory.Delete(folder, true); }
        }

        [Fact]
        public void New_learning_after_a_reset_replaces_the_kept_model_and_restore_then_says_so()
        {
            using var board = new TestBoard();
            Learn(board);
            board.App.HandleLine("reset confirm");
            board.Steps(150);
            board.App.HandleLine("label 0 600");
            Assert.True(board.App.Learner.Updates > 0);
            board.App.HandleLine("save");
            Assert.Equal(-1, board.App.Checkpoints.KeptSlot);
            byte[] relearned = ModelFile.Save(board.App.Model);
            int before = board.Lines.Count;
            board.App.HandleLine("restore");
            ProtocolMessage err = board.Messages(before).Single();
            Assert.Equal("nothing_kept", err.Get("code"));
            Assert.Equal(relearned, ModelFile.Save(board.App.Model));
        }

        [Fact]
        public void Restore_without_a_reset_is_an_error_that_changes_nothing()
        {
            using var board = new TestBoard();
            byte[] learned = Learn(board);
            int before = board.Lines.Count;
            board.App.HandleLine("restore");
            Assert.Equal("nothing_kept", board.Messages(before).Single().Get("code"));
            Assert.Equal(learned, ModelFile.Save(board.App.Model));
        }
    }
}
