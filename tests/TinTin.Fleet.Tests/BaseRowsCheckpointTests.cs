using System;
using System.Collections.Generic;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Fleet;
using TinTin.FleetHost;
using TinTin.Reference;
using TinTin.VirtualBoard;
using Xunit;
using Xunit.Abstractions;
using static TinTin.Fleet.Tests.FirmwareFleetTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// Issue 15, session 10: the checkpoint keeps the fleet base's rows (CheckpointStore's base section), so a board
    /// rebooted at a base above 0 (a take-mode board after a take, a board switched to challenger mode after takes) diffs
    /// against them again instead of sending every channel until its next take (for good on a challenger board).
    /// </summary>
    public class BaseRowsCheckpointTests
    {
        private static readonly FleetConfig Config = FleetConfig.Demo(2);
        private readonly ITestOutputHelper output;

        public BaseRowsCheckpointTests(ITestOutputHelper output) { this.output = output; }

        /// <summary>A take-mode board (KeepOwnHead off, trial of one label so a take is kept at once) whose settings a test may change before a reboot.</summary>
        internal static VirtualFleetBoard Board(FakeTransport transport, out FleetSettings settings)
        {
            settings = new FleetSettings { BoardKey = Config.Boards[0].Key, FleetKey = Config.FleetKey, PublishEveryLabels = 8, StatsEverySamples = 0, KeepOwnHead = false, TrialSamples = 1 };
            return FirmwareBoards.On(transport, settings);
        }

        internal static Network Copy(Network n)
        {
            Network copy = ModelFile.Load(VirtualBoardRunner.EmbeddedModel().Bytes, VirtualBoardRunner.EmbeddedModel().Bytes.Length, 0, false).Network;
            Snapshot(n).CopyTo(copy);
            return copy;
        }

        internal static List<ProtocolMessage> Lines(VirtualFleetBoard b, int from, string kind) =>
            b.SerialLines.Skip(from).Select(l => { try { return ProtocolParser.Parse(l); } catch (ProtocolException) { return null; } })
                .Where(m => m != null && m.Kind == kind).ToList();

        /// <summary>The channels of `own` whose rows (masters, bias, exponents) differ from `basis`'s.</summary>
        private static int Differing(ParameterSet own, ParameterSet basis)
        {
            int differing = 0;
            for (int l = 0; l < own.LayerCount; l++)
                for (int ch = 0; ch < own.Channels[l]; ch++)
                {
                    bool same = own.Bias[l][ch] == basis.Bias[l][ch] && own.MasterExponent[l] == basis.MasterExponent[l] && own.BiasExponent[l] == basis.BiasExponent[l]
                        && own.Master[l].AsSpan(ch * own.RowLength[l], own.RowLength[l]).SequenceEqual(basis.Master[l].AsSpan(ch * own.RowLength[l], own.RowLength[l]));
                    if (!same) differing++;
                }
            return differing;
        }

        /// <summary>
        /// The board joins, learns, publishes; the aggregator merges v1; the board takes it, learns on and publishes again,
        /// then saves: a checkpoint at base 1. Returns the aggregator and how many messages it has seen.
        /// </summary>
        private static (FleetAggregator, int) TakeV1AndSave(VirtualFleetBoard b, FakeTransport t)
        {
            FleetAggregator aggregator = DefaultAggregator();
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            int delivered = Deliver(t, aggregator, 0, "before the take");
            t.Incoming.Enqueue(aggregator.MergeNow());
            b.Step();
            Assert.Contains(Lines(b, 0, "fleet"), m => m.Get("event") == "taken");
            Assert.Equal(1u, b.Member.BaseVersion);
            LearnAndPublish(b);
            delivered = Deliver(t, aggregator, delivered, "after the take");
            b.App.HandleLine("save");
            Assert.Equal(1, b.Counters.FleetBaseVersion);
            return (aggregator, delivered);
        }

        /// <summary>After the reboot: learns and publishes; the update goes to the aggregator, whose view of the board must be the board's model. Returns the update.</summary>
        private static byte[] PublishAfterBoot(VirtualFleetBoard b, FakeTransport t, FleetAggregator aggregator, int delivered, string when)
        {
            b.App.HandleLine("fleet join");
            Network atPublish = null;
            t.OnPublish = m => { if (m[5] == FleetMessage.KindUpdate) atPublish = Copy(b.Network); };
            LearnAndPublish(b);
            byte[] update = t.Published.Skip(delivered).Last(m => m[5] == FleetMessage.KindUpdate);
            Deliver(t, aggregator, delivered, when);
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, atPublish);
            return update;
        }

        [Theory]
        [InlineData("take")]
        [InlineData("challenger")] // switched to challenger mode after a take: it never takes again
        public void ABoardRebootedAtABaseAbove0SendsOnlyTheChannelsThatDifferFromItsBase(string mode)
        {
            var t = new FakeTransport();
            using var b = Board(t, out FleetSettings settings);
            var (aggregator, delivered) = TakeV1AndSave(b, t);
            int image = b.App.Checkpoints.LastBytes;
            var v1 = Snapshot(ModelFile.Load(VirtualBoardRunner.EmbeddedModel().Bytes, VirtualBoardRunner.EmbeddedModel().Bytes.Length, 0, false).Network);
            v1.CopyFrom(aggregator.ModelOf(1));
            if (mode == "challenger") { settings.Challenger = true; settings.KeepOwnHead = true; }
            int linesBefore = b.SerialLines.Count;
            b.Reboot();
            Assert.Equal("flash", b.App.ModelSource);
            Assert.True(b.App.Checkpoints.LoadedBaseRows);
            Assert.False(b.Member.SendsEveryChannel);
            Assert.Equal(1u, b.Member.BaseVersion);
            Assert.Empty(Lines(b, linesBefore, "err"));

            Network atPublish = null;
            b.App.HandleLine("fleet join");
            t.OnPublish = m => { if (m[5] == FleetMessage.KindUpdate) atPublish = Copy(b.Network); };
            LearnAndPublish(b);
            byte[] update = t.Published.Skip(delivered).Last(m => m[5] == FleetMessage.KindUpdate);
            Deliver(t, aggregator, delivered, "after the reboot");
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, atPublish);
            ParameterSet own = Snapshot(atPublish);
            int differing = Differing(own, v1), channels = own.Channels.Sum();
            Assert.Equal(differing, aggregator.Boards["board1"].Latest.ChannelsSent);
            Assert.True(differing < channels, differing + " of " + channels + " channels differ");
            int everyChannel = FleetMessage.MaxUpdateBytes(own);
            Assert.True(update.Length < everyChannel, update.Length + " B, every channel " + everyChannel + " B");
            output.WriteLine($"{mode} board rebooted at base v1: update {update.Length} B ({differing} of {channels} channels), every channel {everyChannel} B; checkpoint image {image} B (base section {CheckpointStore.BaseRowsBytes(own)} B)");
        }

        /// <summary>
        /// A power cut between the take and the next checkpoint: the boot loads the checkpoint written just before the take
        /// (base 0, the board's own parameters then), diffs against version 0's rows, and the aggregator's view is the board's.
        /// </summary>
        [Fact]
        public void APowerCutBetweenTheTakeAndTheNextCheckpointBootsTheCheckpointBeforeTheTakeWithItsOwnBase()
        {
            var t = new FakeTransport();
            using var b = Board(t, out _);
            FleetAggregator aggregator = DefaultAggregator();
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            int delivered = Deliver(t, aggregator, 0, "before the take");
            t.Incoming.Enqueue(aggregator.MergeNow());
            long checkpoints = b.Counters.Checkpoints;
            b.Step();
            Assert.Equal(1u, b.Member.BaseVersion);
            Assert.Equal(checkpoints + 1, b.Counters.Checkpoints); // the one before the take
            b.Reboot(); // cut before any checkpoint after the take
            Assert.Equal(0u, b.Member.BaseVersion);
            Assert.False(b.Member.SendsEveryChannel);
            Assert.Equal(1u, b.Member.HighestVersion);
            PublishAfterBoot(b, t, aggregator, delivered, "after the cut");
        }

        /// <summary>Where the newest slot's base section starts, and its length field B.</summary>
        private static (byte[] image, int length, int at) NewestImage(VirtualFleetBoard b)
        {
            var image = new byte[b.Flash.SlotCapacity];
            int length = b.Flash.Read(b.App.Checkpoints.LastSlot, 0, image, image.Length);
            Assert.Equal(CheckpointStore.FlagBaseRows, LittleEndian.GetU16(image, 6) & CheckpointStore.FlagBaseRows);
            int modelBytes = (int)LittleEndian.GetU32(image, 12);
            int at = CheckpointStore.HeaderBytes + modelBytes + 8 * LittleEndian.GetU16(image, 16) + 4 + LittleEndian.GetU16(image, 18) + 4;
            Assert.Equal(CheckpointStore.FlagStatisticsSequence, LittleEndian.GetU16(image, 6) & CheckpointStore.FlagStatisticsSequence);
            at += 4; // the image's sequence number after the statistics' CRC
            Assert.Equal(length, at + 4 + (int)LittleEndian.GetU32(image, at) + 4);
            return (image, length, at);
        }

        /// <summary>
        /// A base section that is cut, corrupt or of another shape: the slot still loads (its model, counters and statistics
        /// passed their own CRCs), one err line says why, and the board sends every channel until its next take; the
        /// aggregator accepts those updates and its view is the board's model. A checkpoint from before the section (the
        /// flag cleared, the section gone: what the firmware before wrote at base 1) loads the same way.
        /// </summary>
        [Theory]
        [InlineData("cut", "truncated")]
        [InlineData("corrupt", "CRC-32_mismatch")]
        [InlineData("shape", "parameter_layers")]
        [InlineData("version", "base_rows_of_version_7")]
        [InlineData("older", "holds_no_base_rows")]
        public void ABadOrMissingBaseSectionLoadsTheSlotAndTheBoardSendsEveryChannelUntilATake(string damage, string reason)
        {
            var t = new FakeTransport();
            using var b = Board(t, out _);
            var (aggregator, delivered) = TakeV1AndSave(b, t);
            int slot = b.App.Checkpoints.LastSlot;
            var (image, length, at) = NewestImage(b);
            byte[] model = image.AsSpan(CheckpointStore.HeaderBytes, (int)LittleEndian.GetU32(image, 12)).ToArray();
            switch (damage)
            {
                case "cut": length -= 100; break;
                case "corrupt": image[at + 40] ^= 0x10; break;
                case "shape": LittleEndian.PutU16(image, at + 6, 2); Recrc(image, length); break;
                case "version": LittleEndian.PutU32(image, at + 8, 7); Recrc(image, length); break;
                case "older": // as session 9 wrote it: no base section, no sequence number after the statistics' CRC
                    LittleEndian.PutU16(image, 6, LittleEndian.GetU16(image, 6) & ~(CheckpointStore.FlagBaseRows | CheckpointStore.FlagStatisticsSequence));
                    int firstCrc = CheckpointStore.HeaderBytes + model.Length + 8 * LittleEndian.GetU16(image, 16);
                    LittleEndian.PutU32(image, firstCrc, Crc32.Compute(image, 0, firstCrc));
                    LittleEndian.PutU32(image, at - 8, Crc32.Compute(image, 0, at - 8));
                    length = at - 4;
                    break;
            }
            b.Flash.Write(slot, 0, image, length);
            int linesBefore = b.SerialLines.Count;
            b.Reboot();
            Assert.Equal("flash", b.App.ModelSource);
            Assert.Equal(slot, b.App.Checkpoints.LastSlot);
            Assert.Equal(model, ModelFile.Save(b.App.Model));
            Assert.Equal(1u, b.Member.BaseVersion);
            Assert.True(b.Member.SendsEveryChannel);
            var errors = Lines(b, linesBefore, "err");
            Assert.Single(errors);
            Assert.Equal("fleet", errors[0].Get("code"));
            Assert.StartsWith("every_channel_until_a_take", errors[0].Get("msg"));
            output.WriteLine(damage + ": " + errors[0].Get("msg"));
            Assert.Contains(reason, errors[0].Get("msg"));
            byte[] update = PublishAfterBoot(b, t, aggregator, delivered, "after the " + damage + " boot");
            Assert.Equal(FleetMessage.MaxUpdateBytes(b.Member.Shape), update.Length);

            // The next checkpoint keeps the (inexact) base without rows; after a take they come back.
            b.App.HandleLine("save");
            Assert.Equal(0, LittleEndian.GetU16(NewestHeader(b), 6) & CheckpointStore.FlagBaseRows);
        }

        private static byte[] NewestHeader(VirtualFleetBoard b)
        {
            var header = new byte[CheckpointStore.HeaderBytes];
            b.Flash.Read(b.App.Checkpoints.LastSlot, 0, header, header.Length);
            return header;
        }

        /// <summary>Rewrites the image's last CRC (the base section's) over every byte before it.</summary>
        private static void Recrc(byte[] image, int length) => LittleEndian.PutU32(image, length - 4, Crc32.Compute(image, 0, length - 4));

        /// <summary>
        /// Firmware from before the section reads an image up to the statistics section's CRC and ignores the header's other
        /// flags: that prefix of a new image is exactly the image it would have written (same fields, both CRCs hold). The
        /// image's sequence number follows that CRC (flag bit 2, session 11), then the base section.
        /// </summary>
        [Fact]
        public void TheImageUpToTheStatisticsCrcIsTheLayoutOlderFirmwareReads()
        {
            var t = new FakeTransport();
            using var b = Board(t, out _);
            TakeV1AndSave(b, t);
            var (image, length, at) = NewestImage(b);
            int modelBytes = (int)LittleEndian.GetU32(image, 12);
            int firstCrc = CheckpointStore.HeaderBytes + modelBytes + 8 * LittleEndian.GetU16(image, 16);
            Assert.Equal(Crc32.Compute(image, 0, firstCrc), LittleEndian.GetU32(image, firstCrc));
            Assert.Equal(Crc32.Compute(image, 0, at - 8), LittleEndian.GetU32(image, at - 8));
            Assert.Equal(LittleEndian.GetU32(image, 8), LittleEndian.GetU32(image, at - 4));
            Assert.Equal(CheckpointStore.ImageSize(modelBytes, b.Network.InputLength, b.Network.ClassCount), at);
            Assert.Equal(at + CheckpointStore.BaseRowsBytes(b.Member.Shape), length);
            Assert.Equal(1, LittleEndian.GetU16(image, 4)); // the format version older firmware checks
        }

        /// <summary>
        /// The aggregator holds the base a rebooted board's sparse update names as long as the board's latest update is
        /// based on it; one that no longer holds it (never published it, or forgot it) refuses the update with the reason,
        /// never fills the left-out channels from another version.
        /// </summary>
        [Fact]
        public void AnAggregatorWithoutTheBaseVersionRefusesTheSparseUpdateWithItsReason()
        {
            var t = new FakeTransport();
            using var b = Board(t, out _);
            var (aggregator, delivered) = TakeV1AndSave(b, t);
            b.Reboot();
            Assert.False(b.Member.SendsEveryChannel);
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            byte[] update = t.Published.Skip(delivered).Last(m => m[5] == FleetMessage.KindUpdate);
            FleetAggregator other = DefaultAggregator(); // holds only version 0
            AggregatorResult refused = other.HandleUpdate("board1", update);
            Assert.False(refused.Accepted);
            Assert.Contains("based on version 1, which this aggregator never published", refused.Error);
            for (int i = 0; i < FleetAggregator.KeptVersions + 2; i++) Assert.NotNull(aggregator.MergeNow());
            Assert.NotNull(aggregator.ModelOf(1)); // the board's latest accepted update is based on v1: kept
            Assert.True(aggregator.HandleUpdate("board1", update).Accepted);
        }
    }
}
