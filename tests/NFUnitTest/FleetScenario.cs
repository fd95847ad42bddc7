using System;
using System.Collections;
using TinTin.Core;
using TinTin.Fleet;

namespace TinTin.NFUnitTest
{
    /// <summary>
    /// The fleet code's golden scenario, shared word for word by the host generator
    /// (tests/TinTin.NanoBuild.Tests, FleetGoldenGenerator) and the on-device tests (FleetGoldenTests),
    /// so nanoCLR runs the same calls as the host: SHA-256 and HMAC-SHA256, the integer merge of two
    /// models, the signed merged and update messages, a FleetMember refusing forged, truncated,
    /// replayed and foreign messages, taking a merged model and rolling it back bit for bit.
    /// Everything it records is a GoldenSection (kind, name, values). Nano-subset C#.
    /// </summary>
    public static class FleetScenario
    {
        public const string Hash = "hash";
        public const string Merge = "merge";
        public const string Message = "message";
        public const string Member = "member";
        public const string Agreement = "agreement";
        public const string Stats = "stats";

        /// <summary>Layer sizes of the fleet's model (the firmware's default shape).</summary>
        public static readonly int[] Sizes = new int[] { 6, 16, 2 };

        public static ArrayList Run()
        {
            ArrayList trace = new ArrayList();
            RunHashes(trace);

            Network a = Network.CreateMlp(Sizes, 11, -1, false);
            Network b = Network.CreateMlp(Sizes, 12, -1, false);
            ParameterSet setA = new ParameterSet(a);
            ParameterSet setB = new ParameterSet(b);
            setA.CopyFrom(a);
            setB.CopyFrom(b);

            // Merge: a weighted 3, b weighted 5, every channel, in the shared exponent.
            ParameterSet merged = new ParameterSet(a);
            ModelMerger merger = new ModelMerger(setA);
            merger.Begin();
            for (int l = 0; l < setA.LayerCount; l++)
            {
                merger.Declare(l, setA.MasterExponent[l], setA.BiasExponent[l]);
                merger.Declare(l, setB.MasterExponent[l], setB.BiasExponent[l]);
            }
            merger.Fix();
            for (int l = 0; l < setA.LayerCount; l++)
            {
                int row = setA.RowLength[l];
                for (int c = 0; c < setA.Channels[l]; c++)
                {
                    merger.AddRow(l, c, setA.Master[l], c * row, setA.MasterExponent[l], setA.Bias[l][c], setA.BiasExponent[l], 3);
                    merger.AddRow(l, c, setB.Master[l], c * row, setB.MasterExponent[l], setB.Bias[l][c], setB.BiasExponent[l], 5);
                }
            }
            merger.Finish(merged);
            RecordSet(trace, Merge, "merged", merged);

            // Messages: the merged model signed with the fleet key, and board a's update after training.
            byte[] fleetKey = Bytes(32, 0xF1);
            byte[] boardKey = Bytes(32, 0xB0);
            byte[] message = new byte[FleetMessage.MergedBytes(merged)];
            int length = FleetMessage.WriteMerged(message, merged, 3, 2, 8, new HmacSha256(fleetKey));
            trace.Add(new GoldenSection(Message, "merged.bytes", Ints(message, length)));

            FleetMember member = new FleetMember(a, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            member.TrialSamples = 8;
            Train(a, 4);
            int updateLength = member.WriteUpdate(40, 30);
            trace.Add(new GoldenSection(Message, "update.bytes", Ints(member.UpdateBuffer, updateLength)));

            // Refusals, then the genuine message; then the same version again (a replay).
            byte[] forged = Copy(message, length);
            forged[length / 2] ^= 0x10;
            byte[] foreignKey = new byte[length];
            FleetMessage.WriteMerged(foreignKey, merged, 3, 2, 8, new HmacSha256(boardKey));
            int[] outcomes = new int[6];
            outcomes[0] = member.Receive(forged, length) ? 1 : 0;
            outcomes[1] = member.Receive(message, length - 1) ? 1 : 0;
            outcomes[2] = member.Receive(foreignKey, length) ? 1 : 0;
            outcomes[3] = member.Receive(member.UpdateBuffer, updateLength) ? 1 : 0; // an update is not a merged model
            outcomes[4] = member.Receive(message, length) ? 1 : 0;
            outcomes[5] = member.Receive(message, length) ? 1 : 0;
            trace.Add(new GoldenSection(Member, "receive.outcomes", outcomes));
            trace.Add(new GoldenSection(Member, "receive.rejected", new int[] { member.Rejected, (int)(long)member.HighestVersion }));

            // Take it at a safe point (blended with the board's 40 labels), then a trial that fails: back to the checkpoint.
            ParameterSet own = new ParameterSet(a);
            own.CopyFrom(a);
            member.RecordLabelled(16, 14);
            bool taken = member.ApplyStaged(40, null, 0);
            ParameterSet blended = new ParameterSet(a);
            blended.CopyFrom(a);
            RecordSet(trace, Member, "blended", blended);
            int trial = member.RecordLabelled(8, 2);
            ParameterSet after = new ParameterSet(a);
            after.CopyFrom(a);
            RecordSet(trace, Member, "after-rollback", after);
            trace.Add(new GoldenSection(Member, "trial", new int[] { taken ? 1 : 0, trial, (int)(long)member.BaseVersion, member.WaitLabels, SameAs(own, after) ? 1 : 0 }));
            RunAgreement(trace, boardKey, fleetKey);
            RunStats(trace, boardKey, fleetKey);
            return trace;
        }

        /// <summary>
        /// The agreement check (FleetMember.AgreementBudget): the same merged model offered to the same board
        /// with an ample budget, a tight budget with halvings (a smaller step), and budget 0 all or nothing
        /// (declined), judged on a 24-sample history ring, a third of it labelled.
        /// </summary>
        private static void RunAgreement(ArrayList trace, byte[] boardKey, byte[] fleetKey)
        {
            Network board = Network.CreateMlp(Sizes, 21, -1, false);
            Train(board, 6);
            Network other = Network.CreateMlp(Sizes, 22, -1, false);
            Train(other, 3);
            ParameterSet fleetModel = new ParameterSet(other);
            fleetModel.CopyFrom(other);
            byte[] message = new byte[FleetMessage.MergedBytes(fleetModel)];
            int length = FleetMessage.WriteMerged(message, fleetModel, 1, 3, 200, new HmacSha256(fleetKey));
            HistoryRing history = new HistoryRing(24, Sizes[0]);
            XorShift32 random = new XorShift32(7);
            sbyte[] x = new sbyte[Sizes[0]];
            for (int k = 0; k < 30; k++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (sbyte)((int)(long)(random.Next() % 201) - 100);
                history.Add(x, 1000 * k, 0);
                if (k % 3 == 0)
                {
                    int slot = history.NewestSlot();
                    history.SetLabel(slot, x[0] + x[1] > 0 ? 1 : 0);
                    history.SetState(slot, LabelState.Used);
                }
            }
            ParameterSet own = new ParameterSet(board);
            own.CopyFrom(board);
            int ampleChanged = 0;
            for (int variant = 0; variant < 3; variant++)
            {
                own.CopyTo(board);
                FleetMember member = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
                member.KeepOwnHead = true;
                member.OwnWeightFactor = 2;
                member.HistoryTolerance = -1;
                member.AgreementBudget = variant == 0 ? 1000 : variant == 1 ? ampleChanged / 3 : 0;
                member.AgreementHalvings = variant == 1 ? 4 : 0;
                member.ReserveAgreement(history.Capacity);
                int received = member.Receive(message, length) ? 1 : 0;
                int taken = member.ApplyStaged(40, null, history, -6) ? 1 : 0;
                if (variant == 0) ampleChanged = member.LastChanged;
                trace.Add(new GoldenSection(Agreement, "agreement.variant" + variant, new int[] { received, taken, member.AgreementBudget, member.LastChanged, member.LastHalvings, member.Narrowed, member.AgreementDeclined, member.InTrial ? 1 : 0, SameAs(own, Snapshot(board)) ? 1 : 0 }));
                if (variant == 1) RecordSet(trace, Agreement, "agreement.step", Snapshot(board));
            }
        }

        /// <summary>
        /// The board's input statistics (FleetMember.ObserveInput, WriteStats: FleetMessage kind 3) over 100 then 128 inputs
        /// with a per-feature offset and its labelled samples per class (FleetMember.CountLabels: 7 then 9 of class 1, 5 of
        /// class 0; a class outside the model ignored), and merged models addressed to it and to another board (the other refused).
        /// </summary>
        private static void RunStats(ArrayList trace, byte[] boardKey, byte[] fleetKey)
        {
            Network board = Network.CreateMlp(Sizes, 31, -1, false);
            FleetMember member = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            member.BoardId = "board1";
            XorShift32 random = new XorShift32(5);
            sbyte[] x = new sbyte[Sizes[0]];
            for (int k = 0; k < 128; k++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (sbyte)((int)(long)(random.Next() % 181) - 100 + 3 * i);
                member.ObserveInput(x);
                if (k == 40) { member.CountLabels(1, 7); member.CountLabels(0, 5); member.CountLabels(2, 30); }
                if (k == 110) member.CountLabels(1, 2);
                if (k == 99)
                {
                    int first = member.WriteStats(-6, 12);
                    trace.Add(new GoldenSection(Stats, "stats.bytes", Ints(member.StatsBuffer, first)));
                }
            }
            int second = member.WriteStats(-6, 20);
            byte[] message = member.StatsBuffer;
            trace.Add(new GoldenSection(Stats, "stats.second", new int[] { second, (int)(long)LittleEndian.GetU32(message, 16), (int)(long)LittleEndian.GetU32(message, 20),
                (int)(long)Crc32.Compute(message, 0, second), member.StatsPublished, (int)(long)member.InputSamples }));

            Network other = Network.CreateMlp(Sizes, 32, -1, false);
            ParameterSet model = Snapshot(other);
            byte[] toSelf = new byte[FleetMessage.AddressedMergedBytes(model, 6)];
            int selfLength = FleetMessage.WriteMerged(toSelf, model, 5, 2, 50, FleetMessage.BoardIdBytes("board1"), new HmacSha256(fleetKey));
            byte[] toOther = new byte[FleetMessage.AddressedMergedBytes(model, 6)];
            int otherLength = FleetMessage.WriteMerged(toOther, model, 6, 2, 50, FleetMessage.BoardIdBytes("board2"), new HmacSha256(fleetKey));
            int refusedOther = member.Receive(toOther, otherLength) ? 1 : 0;
            int takenSelf = member.Receive(toSelf, selfLength) ? 1 : 0;
            trace.Add(new GoldenSection(Stats, "addressed", new int[] { refusedOther, takenSelf, (int)(long)member.HighestVersion, member.Rejected, selfLength,
                (int)(long)Crc32.Compute(toSelf, 0, selfLength), toSelf[selfLength - 33], toSelf[6] }));

            // A member bound anew after a reset or restore (ContinueFrom) and one after a boot (Resume from a checkpoint's
            // reservation): both sequences and the highest version go on, so the version-5 model is refused as a replay.
            member.WriteUpdate(4, 3);
            FleetMember rebound = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            rebound.BoardId = "board1";
            rebound.ContinueFrom(member);
            int reboundRefused = rebound.Receive(toSelf, selfLength) ? 0 : 1;
            rebound.WriteStats(-6, 20);
            int reboundUpdate = rebound.WriteUpdate(8, 6);
            FleetMember booted = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            booted.BoardId = "board1";
            booted.Resume(1025, 1026, 5);
            int bootedRefused = booted.Receive(toSelf, selfLength) ? 0 : 1;
            int bootedStats = booted.WriteStats(-6, 20);
            trace.Add(new GoldenSection(Stats, "rebind", new int[] { reboundRefused, (int)(long)rebound.StatsSequence, (int)(long)rebound.UpdateSequence,
                (int)(long)rebound.InputSamples, (int)(long)rebound.HighestVersion, (int)(long)Crc32.Compute(rebound.UpdateBuffer, 0, reboundUpdate),
                bootedRefused, (int)(long)booted.StatsSequence, (int)(long)booted.UpdateSequence, (int)(long)booted.HighestVersion,
                (int)(long)Crc32.Compute(booted.StatsBuffer, 0, bootedStats) }));

            // The board's parameters now differ from its base (version 0) in one channel. Bound anew after a restore
            // (ContinueFrom, then the restored checkpoint's base version): the previous member's rows of that version are
            // the baseline, one channel goes out. After a boot (no previous member) that version's rows are gone: every channel.
            ParameterSet learned = Snapshot(board);
            for (int i = 2 * Sizes[0]; i < 3 * Sizes[0]; i++) learned.Master[0][i] = (short)(learned.Master[0][i] / 2 + 1000);
            learned.CopyTo(board);
            FleetMember restored = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            restored.ContinueFrom(member);
            restored.ResetBaseline(0);
            int restoredUpdate = restored.WriteUpdate(9, 7);
            FleetMember fromFlash = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            fromFlash.ResetBaseline(0);
            int flashUpdate = fromFlash.WriteUpdate(9, 7);
            trace.Add(new GoldenSection(Stats, "rebase", new int[] { restored.SendsEveryChannel ? 1 : 0, restoredUpdate,
                (int)(long)Crc32.Compute(restored.UpdateBuffer, 0, restoredUpdate), fromFlash.SendsEveryChannel ? 1 : 0, flashUpdate,
                (int)(long)Crc32.Compute(fromFlash.UpdateBuffer, 0, flashUpdate), FleetMessage.MaxUpdateBytes(restored.Shape) }));

            // After a boot (issue 15, session 9): the statistics go on from a checkpoint's (ResumeStatistics, SetClassCounts:
            // the same samples, means and class counts as the member before the boot), and a board whose base is version 0
            // takes that version's rows from the default model (ResetBaseline(0, rows): one channel, as after the restore).
            long[] sums = new long[Sizes[0]];
            uint samples = member.CopyInputSums(sums);
            uint[] counts = new uint[] { member.LabelledOfClass(0), member.LabelledOfClass(1) };
            FleetMember resumed = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            resumed.BoardId = "board1";
            resumed.Resume(1025, 1026, 5);
            resumed.ResumeStatistics(samples, sums);
            resumed.SetClassCounts(counts);
            int resumedStats = resumed.WriteStats(-6, 20);
            FleetMember rebased = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            rebased.ResetBaseline(0, Network.CreateMlp(Sizes, 31, -1, false));
            int rebasedUpdate = rebased.WriteUpdate(9, 7);
            // A take-mode board keeps no second model: version 0's rows read from the default model's file into the baseline
            // (ResetBaseline(0, file), no model built) give the same update.
            FleetMember fromFile = new FleetMember(board, boardKey, fleetKey, FleetMessage.DefaultMaxBytes, 16);
            fromFile.ResetBaseline(0, ModelFile.Save(new Model(Network.CreateMlp(Sizes, 31, -1, false), null)));
            int fileUpdate = fromFile.WriteUpdate(9, 7);
            trace.Add(new GoldenSection(Stats, "persist", new int[] { resumedStats, (int)(long)resumed.InputSamples, (int)(long)resumed.LabelledOfClass(0),
                (int)(long)resumed.LabelledOfClass(1), (int)(long)Crc32.Compute(resumed.StatsBuffer, 0, resumedStats),
                (int)(long)Crc32.Compute(resumed.StatsBuffer, 20, resumedStats - 20 - HmacSha256.TagBytes), (int)(long)Crc32.Compute(message, 20, second - 20 - HmacSha256.TagBytes),
                rebased.SendsEveryChannel ? 1 : 0, rebasedUpdate, (int)(long)Crc32.Compute(rebased.UpdateBuffer, 0, rebasedUpdate),
                fromFile.SendsEveryChannel ? 1 : 0, fileUpdate, (int)(long)Crc32.Compute(fromFile.UpdateBuffer, 0, fileUpdate) }));
        }

        private static ParameterSet Snapshot(Network network)
        {
            ParameterSet set = new ParameterSet(network);
            set.CopyFrom(network);
            return set;
        }

        private static void RunHashes(ArrayList trace)
        {
            Sha256 sha = new Sha256();
            byte[] digest = new byte[Sha256.HashBytes];
            int[] lengths = new int[] { 0, 3, 55, 56, 64, 1000 };
            for (int k = 0; k < lengths.Length; k++)
            {
                byte[] data = Bytes(lengths[k], 0x61);
                sha.Reset();
                sha.Update(data, 0, data.Length);
                sha.Final(digest, 0);
                trace.Add(new GoldenSection(Hash, "sha256.len" + lengths[k], Ints(digest, digest.Length)));
            }
            int[] keyLengths = new int[] { 20, 64, 131 };
            for (int k = 0; k < keyLengths.Length; k++)
            {
                HmacSha256 hmac = new HmacSha256(Bytes(keyLengths[k], 0x0B));
                byte[] data = Bytes(50 + k * 100, 0xDD);
                hmac.Compute(data, 0, data.Length, digest, 0);
                int ok = hmac.Verify(data, 0, data.Length, digest, 0) ? 1 : 0;
                data[0] ^= 1;
                int forged = hmac.Verify(data, 0, data.Length, digest, 0) ? 1 : 0;
                int[] values = new int[digest.Length + 2];
                for (int i = 0; i < digest.Length; i++) values[i] = digest[i];
                values[digest.Length] = ok;
                values[digest.Length + 1] = forged;
                trace.Add(new GoldenSection(Hash, "hmac.key" + keyLengths[k], values));
            }
        }

        /// <summary>A few SGD steps on fixed inputs, all channels trainable: board a's own learning.</summary>
        private static void Train(Network network, int steps)
        {
            network.SetAllTrainable(true);
            ShiftSum lr = ShiftSum.FromRatio(1, 16, 3);
            XorShift32 random = new XorShift32(99);
            QTensor input = network.Input;
            for (int s = 0; s < steps; s++)
            {
                for (int i = 0; i < input.Data.Length; i++) input.Data[i] = (sbyte)((int)(long)(random.Next() % 201) - 100);
                input.Exponent = -6;
                network.Forward();
                network.Backward(s % 2);
                network.Step(lr, null);
            }
        }

        private static void RecordSet(ArrayList trace, string kind, string name, ParameterSet set)
        {
            for (int l = 0; l < set.LayerCount; l++)
            {
                short[] master = set.Master[l];
                int[] values = new int[master.Length + set.Channels[l] + 3];
                for (int i = 0; i < master.Length; i++) values[i] = master[i];
                for (int c = 0; c < set.Channels[l]; c++) values[master.Length + c] = set.Bias[l][c];
                values[values.Length - 3] = set.MasterExponent[l];
                values[values.Length - 2] = set.Int8Shift[l];
                values[values.Length - 1] = set.BiasExponent[l];
                trace.Add(new GoldenSection(kind, name + ".layer" + l, values));
            }
        }

        private static bool SameAs(ParameterSet x, ParameterSet y)
        {
            for (int l = 0; l < x.LayerCount; l++)
            {
                if (x.MasterExponent[l] != y.MasterExponent[l] || x.BiasExponent[l] != y.BiasExponent[l] || x.Int8Shift[l] != y.Int8Shift[l]) return false;
                for (int i = 0; i < x.Master[l].Length; i++) if (x.Master[l][i] != y.Master[l][i]) return false;
                for (int c = 0; c < x.Channels[l]; c++) if (x.Bias[l][c] != y.Bias[l][c]) return false;
            }
            return true;
        }

        /// <summary>length bytes: first, first+1, ... (wrapping at 256).</summary>
        private static byte[] Bytes(int length, int first)
        {
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) data[i] = (byte)((first + i) & 0xFF);
            return data;
        }

        private static byte[] Copy(byte[] data, int length)
        {
            byte[] copy = new byte[length];
            Array.Copy(data, copy, length);
            return copy;
        }

        private static int[] Ints(byte[] data, int length)
        {
            int[] values = new int[length];
            for (int i = 0; i < length; i++) values[i] = data[i];
            return values;
        }
    }
}
