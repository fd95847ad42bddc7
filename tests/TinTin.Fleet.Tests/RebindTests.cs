using System;
using System.Collections.Generic;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// Issue 15: after a re-bind (reset, restore, reboot) a board's update still describes the board's own model to the
    /// aggregator. The aggregator fills every channel an update leaves out from its copy of the update's base version; a
    /// board whose baseline were the parameters it loaded (which learned after that version) would have the aggregator
    /// substitute the version's rows for the board's own.
    /// </summary>
    public class RebindTests
    {
        private static readonly FleetConfig Config = FleetConfig.Demo(2);

        /// <summary>Sparse learning as the board does it: a few channels' masters move, the int8 weights follow.</summary>
        private static void LearnChannels(Network n, int layer, params int[] channels)
        {
            var set = new ParameterSet(n);
            set.CopyFrom(n);
            int row = set.RowLength[layer];
            foreach (int c in channels)
            {
                for (int i = c * row; i < (c + 1) * row; i++) set.Master[layer][i] = (short)(set.Master[layer][i] / 2 + 1500);
                set.Bias[layer][c] += 777;
            }
            set.CopyTo(n);
        }

        private static Network CopyOf(Network n)
        {
            var set = new ParameterSet(n);
            set.CopyFrom(n);
            Network copy = FleetNets.Create(99);
            set.CopyTo(copy);
            return copy;
        }

        /// <summary>An aggregator (merging only on request) that has handled these messages in order (a null board: a merge then).</summary>
        private static FleetAggregator Aggregator(IEnumerable<(string Board, byte[] Message)> messages)
        {
            var aggregator = new FleetAggregator(Config, AggregatorTests.Version0(FleetNets.Create()), 0);
            foreach (var (board, message) in messages)
            {
                if (board == null) { Assert.NotNull(aggregator.MergeNow()); continue; }
                AggregatorResult r = aggregator.HandleUpdate(board, message);
                Assert.True(r.Accepted, r.Error);
            }
            return aggregator;
        }

        /// <summary>
        /// Two boards, v1 merged and taken by both; board1 learns channels, publishes, learns more. From there, the same
        /// parameters either go on in the same member (no re-bind) or in a new network and member bound after a restore
        /// (ContinueFrom the previous member, ResetBaseline to the restored checkpoint's base, v1), or after a power cut
        /// (no previous member: Resume from the checkpoint's counters, ResetBaseline(1)).
        /// </summary>
        private static (List<(string, byte[])> History, FleetMember Member, Network Network, uint Sequence) BoardAfterATake()
        {
            var a = AggregatorTests.Board(Config, 0, 1);
            var b = AggregatorTests.Board(Config, 1, 2);
            var history = new List<(string, byte[])> { ("board1", Update(a.Member, 30, 20)), ("board2", Update(b.Member, 10, 5)) };
            byte[] v1 = Aggregator(history).MergeNow();
            history.Add((null, null));
            Assert.True(a.Member.Receive(v1, v1.Length), a.Member.LastError);
            Assert.True(a.Member.ApplyStaged());
            Assert.Equal(1u, a.Member.BaseVersion);
            LearnChannels(a.Network, 0, 0, 3);
            history.Add(("board1", Update(a.Member, 40, 28)));
            LearnChannels(a.Network, 1, 1);
            return (history, a.Member, a.Network, a.Member.UpdateSequence);
        }

        [Fact]
        public void AfterARestoreTheAggregatorsMergeEqualsTheMergeWithoutTheRebind()
        {
            var (history, member, network, _) = BoardAfterATake();

            // The restored checkpoint holds the board's parameters as they are now; its base is v1.
            Network restored = CopyOf(network);
            var rebound = new FleetMember(restored, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
            rebound.ContinueFrom(member);
            rebound.ResetBaseline(1);
            Assert.False(rebound.SendsEveryChannel);

            // The same learning after the fork, then each publishes: the bytes and the merge are the same.
            LearnChannels(network, 0, 5);
            LearnChannels(restored, 0, 5);
            byte[] without = Update(member, 50, 35);
            byte[] with = Update(rebound, 50, 35);
            Assert.Equal(without, with);
            FleetAggregator plain = Aggregator(history), afterRebind = Aggregator(history);
            Assert.True(plain.HandleUpdate("board1", without).Accepted);
            Assert.True(afterRebind.HandleUpdate("board1", with).Accepted);
            byte[] expected = plain.MergeNow(), merged = afterRebind.MergeNow();
            Assert.NotNull(expected);
            Assert.Equal(expected, merged);
            // Only the channels board1 trained since v1 went out; the rest are v1's, which are board1's too.
            AssertAggregatorHoldsTheBoardsModel(afterRebind, restored);
        }

        [Fact]
        public void AfterRestoringACheckpointFromBeforeTheLastTakeTheBaseBeforeItIsUsed()
        {
            var (history, member, network, _) = BoardAfterATake();
            // A checkpoint written before the take of v1 (base 0): the board's parameters then were its own, trained from v0.
            Network restored = AggregatorTests.Board(Config, 0, 1).Network;
            var rebound = new FleetMember(restored, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
            rebound.ContinueFrom(member);
            rebound.ResetBaseline(0);
            Assert.False(rebound.SendsEveryChannel);
            LearnChannels(restored, 1, 0);
            FleetAggregator aggregator = Aggregator(history);
            Assert.True(aggregator.HandleUpdate("board1", Update(rebound, 60, 40)).Accepted);
            Assert.Equal(0u, aggregator.Boards["board1"].Latest.BaseVersion);
            AssertAggregatorHoldsTheBoardsModel(aggregator, restored);
        }

        [Fact]
        public void AfterAPowerCutTheBoardSendsEveryChannelUntilItTakesAModel()
        {
            var (history, member, network, sequence) = BoardAfterATake();
            // Nothing of the previous member survives: the counters come from the checkpoint, the base v1's rows are gone.
            Network booted = CopyOf(network);
            var fresh = new FleetMember(booted, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
            fresh.Resume(sequence, 0, 1);
            fresh.ResetBaseline(1);
            Assert.True(fresh.SendsEveryChannel);
            LearnChannels(booted, 0, 5);
            FleetAggregator aggregator = Aggregator(history);
            Assert.True(aggregator.HandleUpdate("board1", Update(fresh, 50, 35)).Accepted);
            FleetUpdate latest = aggregator.Boards["board1"].Latest;
            Assert.Equal(latest.Shape.Channels[0] + latest.Shape.Channels[1], latest.ChannelsSent);
            AssertAggregatorHoldsTheBoardsModel(aggregator, booted);

            // Taking a merged model makes the baseline that version's own rows again: differences only.
            byte[] v2 = aggregator.MergeNow();
            Assert.True(fresh.Receive(v2, v2.Length), fresh.LastError);
            Assert.True(fresh.ApplyStaged());
            Assert.False(fresh.SendsEveryChannel);
            LearnChannels(booted, 1, 1);
            Assert.True(aggregator.HandleUpdate("board1", Update(fresh, 51, 36)).Accepted);
            Assert.Equal(1, aggregator.Boards["board1"].Latest.ChannelsSent);
            AssertAggregatorHoldsTheBoardsModel(aggregator, booted);
        }

        /// <summary>
        /// Issue 15, challenger mode: a board that never takes a merged model keeps base version 0, so after a power cut
        /// no take ever made its baseline exact again and every update carried every channel, indefinitely. Version 0's
        /// rows are the embedded default model, which the board holds (its challenger network is loaded from it):
        /// ResetBaseline(0, rows) makes the baseline exact again, and the update after the boot carries only the channels
        /// the board trained, the same bytes as the update the board would have sent without the power cut.
        /// </summary>
        [Fact]
        public void AfterAPowerCutABoardThatNeverTookAModelRebasesOnVersion0sRows()
        {
            Network version0 = FleetNets.Create();
            var a = (Network: FleetNets.Create(), Member: (FleetMember)null); // starts from version 0 and never takes a model
            a.Member = new FleetMember(a.Network, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
            LearnChannels(a.Network, 0, 2);
            var history = new List<(string, byte[])> { ("board1", Update(a.Member, 30, 20)) };
            Network booted = CopyOf(a.Network);
            LearnChannels(a.Network, 1, 1);
            LearnChannels(booted, 1, 1);
            byte[] withoutCut = Update(a.Member, 40, 28);

            var before = new FleetMember(booted, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
            before.Resume(a.Member.UpdateSequence - 1, 0, 0);
            before.ResetBaseline(0);
            Assert.True(before.SendsEveryChannel); // the code before: every channel
            byte[] everyChannel = Update(before, 40, 28);

            var fresh = new FleetMember(booted, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
            fresh.Resume(a.Member.UpdateSequence - 1, 0, 0);
            fresh.ResetBaseline(0, version0);
            Assert.False(fresh.SendsEveryChannel);
            byte[] afterCut = Update(fresh, 40, 28);
            Assert.Equal(withoutCut, afterCut);
            Assert.True(afterCut.Length < everyChannel.Length, afterCut.Length + " B, every channel " + everyChannel.Length + " B");
            Assert.Equal(FleetMessage.MaxUpdateBytes(fresh.Shape), everyChannel.Length);
            FleetAggregator aggregator = Aggregator(history);
            Assert.True(aggregator.HandleUpdate("board1", afterCut).Accepted);
            AssertAggregatorHoldsTheBoardsModel(aggregator, booted);
            Assert.Throws<ArgumentException>(() => fresh.ResetBaseline(0, Network.CreateMlp(new[] { 6, 8, 2 }, 3, -1, false)));

            // A take-mode board keeps no second copy of the default model: version 0's rows come from its model file, read
            // straight into the member's baseline (no model built), the same bytes again.
            byte[] file = ModelFile.Save(new Model(version0, null));
            var fromFile = new FleetMember(booted, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
            fromFile.Resume(a.Member.UpdateSequence - 1, 0, 0);
            Assert.False(fromFile.HoldsBaseRows(0)); // bound at a boot: no previous member's rows
            fromFile.ResetBaseline(0, file);
            Assert.False(fromFile.SendsEveryChannel);
            Assert.Equal(withoutCut, Update(fromFile, 40, 28));

            // A file that is not a model of this shape, or is damaged, changes nothing: the member still sends every channel.
            byte[] corrupt = (byte[])file.Clone();
            corrupt[corrupt.Length / 2] ^= 0x10;
            foreach (byte[] bad in new[] { ModelFile.Save(new Model(Network.CreateMlp(new[] { 6, 8, 2 }, 3, -1, false), null)), corrupt, file.AsSpan(0, file.Length - 1).ToArray() })
            {
                var refused = new FleetMember(booted, Config.Boards[0].Key, Config.FleetKey, Config.MaxMessageBytes, 64);
                refused.Resume(a.Member.UpdateSequence - 1, 0, 0);
                refused.ResetBaseline(0);
                Assert.Throws<ModelFormatException>(() => refused.ResetBaseline(0, bad));
                Assert.True(refused.SendsEveryChannel);
                Assert.Equal(everyChannel, Update(refused, 40, 28));
            }
        }

        /// <summary>
        /// The aggregator's view of board1 (its latest update over its base version) is the board's own model: every channel
        /// the update carries is the board's int8 row and bias, every other channel is the base's row and the board's master row.
        /// </summary>
        internal static void AssertAggregatorHoldsTheBoardsModel(FleetAggregator aggregator, Network board)
        {
            FleetUpdate u = aggregator.Boards["board1"].Latest;
            ParameterSet basis = aggregator.ModelOf(u.BaseVersion); // null: no longer kept, then every channel must be sent
            int l = 0;
            foreach (Layer layer in board.Layers)
            {
                if (layer is not ParameterLayer p) continue;
                int row = p.RowLength;
                for (int c = 0; c < p.Channels; c++)
                {
                    if (u.Sent[l][c])
                    {
                        Assert.Equal(p.WeightExponent, u.WeightExponent[l]);
                        Assert.True(p.Weights.AsSpan(c * row, row).SequenceEqual(u.Weights[l].AsSpan(c * row, row)), $"layer {l} channel {c}: sent row is not the board's");
                        Assert.Equal(p.Bias[c], u.Bias[l][c]);
                    }
                    else
                    {
                        Assert.True(basis != null, $"layer {l} channel {c}: not sent, and the aggregator no longer keeps base v{u.BaseVersion}");
                        Assert.Equal(p.MasterExponent, basis.MasterExponent[l]);
                        Assert.True(p.MasterWeights.AsSpan(c * row, row).SequenceEqual(basis.Master[l].AsSpan(c * row, row)),
                            $"layer {l} channel {c}: not sent, and the base v{u.BaseVersion}'s row is not the board's (a foreign row substituted)");
                        Assert.Equal(p.Bias[c], basis.Bias[l][c]);
                    }
                }
                l++;
            }
        }
    }
}
