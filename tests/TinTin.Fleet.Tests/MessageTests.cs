using System;
using FsCheck;
using FsCheck.Xunit;
using System.Linq;
using TinTin.Core;
using Xunit;

namespace TinTin.Fleet.Tests
{
    public class MessageTests
    {
        private static (byte[] Message, int Length, ParameterSet Merged) MergedModel(uint version, byte[] key = null, uint seed = 21)
        {
            Network source = FleetNets.Create(seed);
            FleetNets.Train(source, (int)seed, 5);
            var merged = new ParameterSet(source);
            merged.CopyFrom(source);
            var buffer = new byte[FleetMessage.MergedBytes(merged)];
            int length = FleetMessage.WriteMerged(buffer, merged, version, 3, 120, new HmacSha256(key ?? FleetNets.FleetKey));
            return (buffer, length, merged);
        }

        private static FleetMember Member(Network network) =>
            new FleetMember(network, FleetNets.BoardKey, FleetNets.FleetKey, FleetMessage.DefaultMaxBytes, 64);

        private static ParameterSet Snapshot(Network n) { var s = new ParameterSet(n); s.CopyFrom(n); return s; }

        /// <summary>Every parameter array and exponent of two parameter sets, bit for bit.</summary>
        internal static void AssertSame(ParameterSet expected, ParameterSet actual)
        {
            for (int l = 0; l < expected.LayerCount; l++)
            {
                Assert.Equal(expected.Master[l], actual.Master[l]);
                Assert.Equal(expected.Bias[l], actual.Bias[l]);
                Assert.Equal(expected.MasterExponent[l], actual.MasterExponent[l]);
                Assert.Equal(expected.BiasExponent[l], actual.BiasExponent[l]);
                Assert.Equal(expected.Int8Shift[l], actual.Int8Shift[l]);
            }
        }

        [Fact]
        public void AMergedModelRoundTripsBitForBit()
        {
            var (message, length, merged) = MergedModel(4);
            Assert.Equal(FleetMessage.MergedBytes(merged), length);
            var read = new ParameterSet(merged.Channels, merged.RowLength);
            var reader = new FleetMessageReader(FleetMessage.DefaultMaxBytes);
            Assert.True(reader.ReadMerged(message, length, new HmacSha256(FleetNets.FleetKey), read), reader.Error);
            Assert.Equal(4u, reader.Version);
            Assert.Equal(3u, reader.Sequence);
            Assert.Equal(120u, reader.Labelled);
            merged.DeriveInt8Shifts();
            AssertSame(merged, read);
        }

        [Fact]
        public void AnUpdateCarriesOnlyTheTrainedChannelsAsInt8()
        {
            Network board = FleetNets.Create();
            ParameterSet baseline = Snapshot(board);
            var dense = (DenseLayer)board.Layers[0];
            board.SetAllTrainable(false);
            dense.ChannelTrainable[3] = true;
            dense.ChannelTrainable[9] = true;
            board.ApplySelection();
            FleetNets.Train(board, 4, 10);
            var key = new HmacSha256(FleetNets.BoardKey);
            var buffer = new byte[FleetMessage.MaxUpdateBytes(baseline)];
            int length = FleetMessage.WriteUpdate(buffer, board, baseline, 7, 12, 55, 44, key);
            var update = new FleetUpdate(baseline);
            var reader = new FleetMessageReader(FleetMessage.DefaultMaxBytes);
            Assert.True(reader.ReadUpdate(buffer, length, key, update), reader.Error);
            Assert.Equal(new[] { 3, 9 }, System.Linq.Enumerable.Range(0, 16).Where(c => update.Sent[0][c]).ToArray());
            Assert.Equal(0, System.Linq.Enumerable.Count(update.Sent[1], s => s));
            Assert.Equal((7u, 12u, 55u, 44u), (update.BaseVersion, update.Sequence, update.Labelled, update.Correct));
            Assert.Equal(dense.WeightExponent, update.WeightExponent[0]);
            for (int i = 0; i < 6; i++) Assert.Equal(dense.Weights[3 * 6 + i], update.Weights[0][3 * 6 + i]);
            Assert.Equal(dense.Bias[9], update.Bias[0][9]);
            Assert.True(length == FleetMessage.HeaderBytes + 2 + 2 * 8 + 2 * (2 + 6 + 4) + HmacSha256.TagBytes, "sparse update of " + length + " bytes");
        }

        [Fact]
        public void ABoardTakesAVerifiedModelOnlyAtTheSafePoint()
        {
            Network board = FleetNets.Create(1);
            FleetMember member = Member(board);
            var (message, length, merged) = MergedModel(1);
            ParameterSet before = Snapshot(board);
            Assert.True(member.Receive(message, length), member.LastError);
            AssertSame(before, Snapshot(board)); // staged, not applied
            Assert.True(member.ApplyStaged());
            merged.DeriveInt8Shifts();
            AssertSame(merged, Snapshot(board));
            Assert.Equal(1u, member.BaseVersion);
        }

        [Fact]
        public void ForgedTruncatedReplayedOversizedAndForeignModelsAreRefusedAndChangeNothing()
        {
            Network board = FleetNets.Create(1);
            FleetMember member = Member(board);
            var (good, length, _) = MergedModel(5);
            Assert.True(member.Receive(good, length));
            Assert.True(member.ApplyStaged());
            ParameterSet accepted = Snapshot(board);

            // Forged: any flipped bit, content or tag.
            for (int i = 0; i < length; i += 7)
            {
                var forged = (byte[])MergedModel(6).Message.Clone();
                forged[i] ^= 0x10;
                Assert.False(member.Receive(forged, forged.Length));
            }
            // Signed with another key.
            var other = MergedModel(6, System.Text.Encoding.ASCII.GetBytes("not-the-fleet-key"));
            Assert.False(member.Receive(other.Message, other.Length));
            Assert.Contains("HMAC", member.LastError);
            // Truncated at every length.
            var next = MergedModel(6);
            for (int cut = 0; cut < next.Length; cut++)
                Assert.False(member.Receive(next.Message[..cut], cut));
            // Replayed: the same version again, and an older one, both properly signed.
            Assert.False(member.Receive(good, length));
            Assert.Contains("not newer", member.LastError);
            var old = MergedModel(3);
            Assert.False(member.Receive(old.Message, old.Length));
            // Oversized.
            var big = new byte[FleetMessage.DefaultMaxBytes + 1];
            Array.Copy(next.Message, big, next.Length);
            Assert.False(member.Receive(big, big.Length));
            Assert.Contains("limit", member.LastError);
            // Another shape, properly signed.
            Network wide = Network.CreateMlp(new[] { 6, 8, 2 }, 3, -1, false);
            var wideSet = new ParameterSet(wide); wideSet.CopyFrom(wide);
            var wideMessage = new byte[FleetMessage.MergedBytes(wideSet)];
            int wideLength = FleetMessage.WriteMerged(wideMessage, wideSet, 9, 1, 1, new HmacSha256(FleetNets.FleetKey));
            Assert.False(member.Receive(wideMessage, wideLength));
            Assert.Contains("shape", member.LastError);

            Assert.False(member.HasStaged);
            Assert.False(member.ApplyStaged());
            AssertSame(accepted, Snapshot(board));
            Assert.Equal(5u, member.HighestVersion);
            // The genuine next version is still taken.
            Assert.True(member.Receive(next.Message, next.Length), member.LastError);
        }

        /// <summary>Any changed bytes in a signed model, any truncation, any noise: refused (or, unchanged, taken), never a throw, nothing staged from a refused one.</summary>
        [Property(MaxTest = 1000)]
        public bool MutatedTruncatedAndRandomMessagesAreRefusedWithoutThrowing(NonEmptyArray<Tuple<ushort, byte>> changes, ushort cutSeed, bool cut, byte[] noise)
        {
            Network board = FleetNets.Create(1);
            FleetMember member = Member(board);
            var (good, length, _) = MergedModel(8);
            byte[] data = (byte[])good.Clone();
            foreach (var (at, value) in changes.Get) data[at % length] = value;
            int len = cut ? cutSeed % (length + 1) : length;
            bool unchanged = len == length && data.AsSpan(0, length).SequenceEqual(good.AsSpan(0, length));
            bool taken = member.Receive(data, len);
            var reader = new FleetMessageReader(FleetMessage.DefaultMaxBytes);
            reader.ReadUpdate(data, len, new HmacSha256(FleetNets.BoardKey), new FleetUpdate(new ParameterSet(board)));
            noise ??= Array.Empty<byte>();
            bool noiseTaken = member.Receive(noise, noise.Length);
            return taken == unchanged && member.HasStaged == unchanged && !noiseTaken;
        }

        [Fact]
        public void AMergeThatLowersAccuracyIsRolledBackBitForBitAndAGoodOneIsKept()
        {
            Network board = FleetNets.Create(1);
            FleetNets.Train(board, 1, 10);
            FleetMember member = Member(board);
            member.TrialSamples = 20;
            member.RecordLabelled(40, 36); // 90 % before the merge
            ParameterSet own = Snapshot(board);

            var first = MergedModel(1);
            Assert.True(member.Receive(first.Message, first.Length));
            Assert.True(member.ApplyStaged());
            Assert.True(member.InTrial);
            var second = MergedModel(2);
            Assert.True(member.Receive(second.Message, second.Length));
            Assert.False(member.ApplyStaged()); // one trial at a time
            Assert.Equal(FleetTrial.None, member.RecordLabelled(4, 2)); // too few labels to decide early
            Assert.Equal(FleetTrial.RolledBack, member.RecordLabelled(6, 3)); // 5 of 8 right: 90 % of 20 is out of reach, no need to wait for 20
            AssertSame(own, Snapshot(board));
            Assert.Equal(0u, member.BaseVersion); // its updates are again relative to its own default

            Assert.Equal(18, member.WaitLabels); // after a rollback the board waits TrialSamples labels (2 of the batch came after it)
            Assert.False(member.ApplyStaged());
            member.RecordLabelled(20, 18);
            Assert.True(member.ApplyStaged()); // version 2 waited for the trial and the wait to end
            Assert.Equal(FleetTrial.Kept, member.RecordLabelled(20, 19));
            Assert.Equal(2u, member.BaseVersion);
            Assert.Equal((2, 1, 1), (member.Accepted, member.Kept, member.RolledBack));
        }

        [Fact]
        public void ANewBoardWithoutLabelledHistoryKeepsTheMergeWithoutATrial()
        {
            Network board = FleetNets.Create(1);
            FleetMember member = Member(board);
            var m = MergedModel(1);
            Assert.True(member.Receive(m.Message, m.Length));
            Assert.True(member.ApplyStaged());
            Assert.False(member.InTrial);
        }

        [Fact]
        public void ABoardDeclinesAMergedModelThatPredictsItsOwnStoredLabelsWorseAndBlendsAGoodOne()
        {
            Network board = FleetNets.Create(1);
            FleetNets.Train(board, 1, 60);
            FleetMember member = Member(board);
            var replay = new ReplayBuffer(64, 6, 2, 3);
            var random = new Random(4);
            var sample = FleetNets.Create(9);
            for (int k = 0; k < 200; k++)
            {
                int label = FleetNets.Fill(sample, random, 0);
                replay.Add(sample.Input.Data, 0, label);
            }
            ParameterSet own = Snapshot(board);
            // A model that says the opposite: the last layer negated.
            var opposite = new ParameterSet(board);
            opposite.CopyFrom(own);
            for (int i = 0; i < opposite.Master[1].Length; i++) opposite.Master[1][i] = (short)-opposite.Master[1][i];
            for (int c = 0; c < 2; c++) opposite.Bias[1][c] = -opposite.Bias[1][c];
            var bad = new byte[FleetMessage.MergedBytes(opposite)];
            int badLength = FleetMessage.WriteMerged(bad, opposite, 1, 3, 1000, new HmacSha256(FleetNets.FleetKey));
            Assert.True(member.Receive(bad, badLength));
            Assert.False(member.ApplyStaged(10, replay, -7));
            Assert.Equal(1, member.Declined);
            AssertSame(own, Snapshot(board));
            Assert.Equal(0u, member.BaseVersion);

            // The board's own model, signed by the fleet: the blend equals it and is taken.
            var same = new byte[FleetMessage.MergedBytes(own)];
            int length = FleetMessage.WriteMerged(same, own, 2, 1, 300, new HmacSha256(FleetNets.FleetKey));
            Assert.True(member.Receive(same, length));
            Assert.True(member.ApplyStaged(100, replay, -7));
            Assert.Equal(2u, member.BaseVersion);
            for (int l = 0; l < own.LayerCount; l++)
                Assert.Equal(FleetNets.RealWeights(FleetNets.Create(1).Also(n => own.CopyTo(n)), l), FleetNets.RealWeights(board, l));
        }

        [Theory]
        [InlineData(1, 0.75)]   // own 100 labels against the others' 300: a quarter own
        [InlineData(2, 0.60)]   // own labels counted twice: 200 against 300
        [InlineData(3, 0.50)]
        public void TheOwnWeightFactorKeepsMoreOfTheBoardsOwnModelInTheBlend(int factor, double fleetShare)
        {
            Network board = FleetNets.Create(1);
            FleetNets.Train(board, 1, 30);
            FleetMember member = Member(board);
            member.OwnWeightFactor = factor;
            ParameterSet own = Snapshot(board);
            var fleet = new ParameterSet(board);
            fleet.CopyFrom(own);
            int step = 1 << 18;
            fleet.Bias[0][0] += step;
            var message = new byte[FleetMessage.MergedBytes(fleet)];
            int length = FleetMessage.WriteMerged(message, fleet, 1, 3, 400, new HmacSha256(FleetNets.FleetKey));
            Assert.True(member.Receive(message, length));
            Assert.True(member.ApplyStaged(100, null, 0));
            ParameterSet blended = Snapshot(board);
            double Real(ParameterSet p) => p.Bias[0][0] * Math.Pow(2, p.BiasExponent[0]);
            double moved = (Real(blended) - Real(own)) / (step * Math.Pow(2, own.BiasExponent[0]));
            Assert.InRange(moved, fleetShare - 0.01, fleetShare + 0.01);
        }
    }
}
