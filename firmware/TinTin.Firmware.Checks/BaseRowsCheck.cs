using System;
using TinTin.Core;
using TinTin.Fleet;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// The checkpoint's base rows (issue 15, session 10) on the host and on nanoCLR (a test compares the outputs line for
    /// line, and measures on nanoclr32 the heap <see cref="Rebase"/> takes): a board at base v1 (the embedded model with
    /// changed rows, as a take leaves it) learns on, checkpoints with v1's rows into a 16 KB RAM flash, boots from it and
    /// rebases its fleet member on the rows read from the checkpoint (FleetMember.ResetBaseline(1, store)); its update
    /// carries only the channels it learned since. Then a damaged section: the slot still loads, the rows do not, and the
    /// update carries every channel. Prints "R …" lines, then "E done"; an exception that escapes prints "X …".
    /// </summary>
    public sealed class BaseRowsCheck
    {
        private const int Features = 6, Classes = 2, SlotBytes = 16 * 1024;
        private readonly RamFlash flash = new RamFlash(SlotBytes);
        private int modelBytes, savedBytes;
        private CheckpointStore booted;
        private FleetMember member;

        public static void Run(ILineOutput output)
        {
            try
            {
                BaseRowsCheck check = new BaseRowsCheck();
                check.SaveAtBase1();
                check.Boot();
                check.Report(output, "rebooted", check.Rebase());
                check.Damage(check.savedBytes - 200);
                check.Boot();
                check.Report(output, "damaged", check.Rebase());
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        /// <summary>The board's model after a take of v1 and some learning, checkpointed with v1's rows.</summary>
        public void SaveAtBase1()
        {
            byte[] file = DefaultModel.Bytes();
            Model board = ModelFile.Load(file, file.Length, 0, false);
            modelBytes = ModelFile.SizeOf(board);
            ParameterSet v1 = new ParameterSet(board.Network);
            v1.CopyFrom(board.Network);
            for (int l = 0; l < v1.LayerCount; l++)
            {
                short[] m = v1.Master[l];
                for (int i = 0; i < m.Length; i += 5) m[i] = (short)(m[i] / 2 + 3);
                v1.Bias[l][0] += 7;
            }
            v1.CopyTo(board.Network);
            // Learned since the take: two channels of the first layer, one of the last.
            ParameterSet learned = new ParameterSet(board.Network);
            learned.CopyFrom(v1);
            int row = learned.RowLength[0];
            for (int i = 0; i < row; i++) { learned.Master[0][i] += 2; learned.Master[0][3 * row + i] -= 1; }
            learned.Bias[learned.LayerCount - 1][1] -= 11;
            learned.CopyTo(board.Network);
            FirmwareCounters counters = new FirmwareCounters();
            counters.SizeStatistics(Features, Classes);
            counters.FleetBaseVersion = 1;
            CheckpointStore store = new CheckpointStore(flash, modelBytes, Features, Classes);
            store.Save(board, counters, v1, 1);
            savedBytes = store.LastBytes;
        }

        /// <summary>A boot: the newest checkpoint and a new fleet member on its network (as FleetLink.Bind makes one).</summary>
        public void Boot()
        {
            booted = new CheckpointStore(flash, modelBytes, Features, Classes);
            Model loaded = booted.LoadLatest(new FirmwareCounters(), 0, false, Features, Classes);
            byte[] boardKey = new byte[32], fleetKey = new byte[32];
            for (int i = 0; i < 32; i++) { boardKey[i] = (byte)(i + 1); fleetKey[i] = (byte)(101 + i); }
            member = new FleetMember(loaded.Network, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            member.Resume(0, 0, 1);
        }

        /// <summary>The member's baseline from the checkpoint's rows (FleetLink.Bind at base 1); null, or why not.</summary>
        public string Rebase() { return member.ResetBaseline(1, booted); }

        /// <summary>Flips one byte of the newest slot at `at` (inside the base section).</summary>
        public void Damage(int at)
        {
            int slot = booted.LastSlot;
            byte[] image = new byte[savedBytes];
            flash.Read(slot, 0, image, savedBytes);
            image[at] = (byte)(image[at] ^ 0x20);
            flash.Write(slot, 0, image, savedBytes);
        }

        public void Report(ILineOutput output, string when, string why)
        {
            int bytes = member.WriteUpdate(9, 7);
            uint crc = Crc32.Compute(member.UpdateBuffer, 0, bytes);
            output.Line(ReplayLines.Result, when + " image=" + savedBytes + " loaded=" + booted.LastBytes + " rows=" + (booted.LoadedBaseRows ? 1 : 0)
                + " every=" + (member.SendsEveryChannel ? 1 : 0) + " update=" + bytes + " max=" + FleetMessage.MaxUpdateBytes(member.Shape)
                + " crc=" + crc.ToString() + " why=" + (why == null ? "-" : why));
        }
    }
}
