using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// Issue 15: the aggregator's signed receipt (FleetMessage kind 4) for every refused update or statistics message and
    /// every accepted update, addressed to the board whose topic the message came on. These tests read the receipt with
    /// FleetMessageReader; the board acting on it is ReceiptBoardTests.
    /// </summary>
    public class ReceiptTests
    {
        internal static readonly FleetMessageReader Reader = new FleetMessageReader(FleetMessage.DefaultMaxBytes);

        /// <summary>Reads a receipt as a board would (fleet key, addressed to boardId), failing the test if it does not verify.</summary>
        internal static FleetMessageReader Read(FleetConfig config, byte[] receipt, string boardId)
        {
            Assert.NotNull(receipt);
            var reader = new FleetMessageReader(FleetMessage.DefaultMaxBytes);
            Assert.True(reader.ReadReceipt(receipt, receipt.Length, new HmacSha256(config.FleetKey)), reader.Error);
            Assert.True(reader.IsFor(receipt, FleetMessage.BoardIdBytes(boardId)), "addressed to " + reader.RecipientText(receipt));
            return reader;
        }

        private static byte[] TagPrefix(byte[] message) => message.AsSpan(message.Length - HmacSha256.TagBytes, FleetMessage.ReceiptTagBytes).ToArray();
        private static byte[] EchoedTag(FleetMessageReader r, byte[] receipt) => receipt.AsSpan(r.ReceiptTagAt, FleetMessage.ReceiptTagBytes).ToArray();

        [Fact]
        public void AnAcceptedUpdateGetsASmallSignedReceiptForItsBoardAndAcceptedStatisticsGetNone()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = Board(config, 0, 1);
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 1);
            byte[] update = Update(a.Member, 30, 20);
            AggregatorResult r = aggregator.HandleUpdate("board1", update);
            Assert.True(r.Accepted, r.Error);
            Assert.NotNull(r.Merged); // merge every 1: the receipt names the version this update made
            Assert.Equal(FleetMessage.ReceiptBytes("board1".Length), r.Receipt.Length);
            Assert.Equal(83, r.Receipt.Length);
            FleetMessageReader read = Read(config, r.Receipt, "board1");
            Assert.Equal((FleetMessage.KindUpdate, FleetMessage.ReceiptAccepted), (read.ReceiptKind, read.ReceiptCode));
            Assert.Equal(a.Member.UpdateSequence, read.Sequence);
            Assert.Equal(a.Member.UpdateSequence, read.Labelled); // the last accepted is this one
            Assert.Equal(1u, read.Version);
            Assert.Equal(TagPrefix(update), EchoedTag(read, r.Receipt));
            Assert.False(read.IsFor(r.Receipt, FleetMessage.BoardIdBytes("board2")));

            AggregatorResult stats = aggregator.HandleUpdate("board1", StatsOf(a.Member, 0, 4, 1));
            Assert.True(stats.Accepted, stats.Error);
            Assert.Null(stats.Receipt);
            Assert.Equal(1, aggregator.Boards["board1"].ReceiptsSent);
            Assert.Equal(aggregator.ModelsFor("board1") + 1, aggregator.MessagesFor("board1"));

            aggregator.Receipts = false; // an aggregator before receipts
            Assert.Null(aggregator.HandleUpdate("board1", Update(a.Member, 31, 20)).Receipt);
            Assert.Null(aggregator.HandleUpdate("board1", Update(a.Member, 31, 20).AsSpan(0, 50).ToArray()).Receipt);
        }

        [Fact]
        public void EveryRefusalGetsAReceiptNamingWhy()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = Board(config, 0, 1);
            var b = Board(config, 1, 2);
            a.Member.BoardId = "board1";
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            byte[] first = Update(a.Member, 30, 20);
            Assert.True(aggregator.HandleUpdate("board1", first).Accepted);
            byte[] second = Update(a.Member, 31, 20);
            Assert.True(aggregator.HandleUpdate("board1", second).Accepted);

            // Replayed: the receipt carries the last accepted sequence.
            AggregatorResult replayed = aggregator.HandleUpdate("board1", first);
            FleetMessageReader r = Read(config, replayed.Receipt, "board1");
            Assert.Equal((FleetMessage.KindUpdate, FleetMessage.ReceiptReplayed, 1u, 2u), (r.ReceiptKind, r.ReceiptCode, r.Sequence, r.Labelled));
            Assert.Equal(TagPrefix(first), EchoedTag(r, replayed.Receipt));

            // board1's bytes on board2's topic: board2's key fails them; board2 gets the receipt (and will not match its tag).
            AggregatorResult foreign = aggregator.HandleUpdate("board2", Update(a.Member, 32, 20));
            r = Read(config, foreign.Receipt, "board2");
            Assert.Equal(FleetMessage.ReceiptBadTag, r.ReceiptCode);
            Assert.Equal(0u, r.Labelled);

            // Truncated: malformed; so short it has no sequence or tag: zeros.
            byte[] third = Update(a.Member, 33, 20);
            r = Read(config, aggregator.HandleUpdate("board1", third.AsSpan(0, third.Length - 1).ToArray()).Receipt, "board1");
            Assert.Equal((FleetMessage.ReceiptMalformed, 2u), (r.ReceiptCode, r.Labelled));
            byte[] stub = aggregator.HandleUpdate("board1", third.AsSpan(0, 10).ToArray()).Receipt;
            r = Read(config, stub, "board1");
            Assert.Equal((FleetMessage.ReceiptMalformed, 0u), (r.ReceiptCode, r.Sequence));
            Assert.Equal(new byte[FleetMessage.ReceiptTagBytes], EchoedTag(r, stub));

            // Statistics replayed: the statistics' own last accepted sequence.
            byte[] stats1 = StatsOf(a.Member, 0, 4, 1);
            Assert.True(aggregator.HandleUpdate("board1", stats1).Accepted);
            Assert.True(aggregator.HandleUpdate("board1", StatsOf(a.Member, 0, 4, 1)).Accepted);
            r = Read(config, aggregator.HandleUpdate("board1", stats1).Receipt, "board1");
            Assert.Equal((FleetMessage.KindStats, FleetMessage.ReceiptReplayed, 1u, 2u), (r.ReceiptKind, r.ReceiptCode, r.Sequence, r.Labelled));

            // A base never published.
            Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, 10, 5)).Accepted);
            byte[] v1 = aggregator.MergeNow();
            Assert.True(a.Member.Receive(v1, v1.Length), a.Member.LastError);
            Assert.True(a.Member.ApplyStaged());
            var fresh = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            r = Read(config, fresh.HandleUpdate("board1", Update(a.Member, 40, 30)).Receipt, "board1");
            Assert.Equal((FleetMessage.ReceiptUnknownBase, 0u), (r.ReceiptCode, r.Version));

            // Over the aggregator's limit (a board configured for a larger one).
            FleetConfig small = FleetConfig.Demo(2);
            small.MaxMessageBytes = 256;
            var limited = new FleetAggregator(small, Version0(FleetNets.Create()), 0);
            Network n = FleetNets.Create();
            var big = new FleetMember(n, small.Boards[0].Key, small.FleetKey, FleetMessage.DefaultMaxBytes, 64);
            FleetNets.Train(n, 3, 8);
            big.ResetBaseline(0); // every channel: 318 B on 6-16-2
            byte[] oversized = Update(big, 30, 20);
            Assert.True(oversized.Length > 256);
            r = Read(small, limited.HandleUpdate("board1", oversized).Receipt, "board1");
            Assert.Equal(FleetMessage.ReceiptTooLarge, r.ReceiptCode);

            // An unknown board has no key and no topic: no receipt.
            Assert.Null(aggregator.HandleUpdate("intruder", first).Receipt);
        }

        /// <summary>
        /// board1 (a) takes v1, then board2 (b) keeps updating until v1 has left the aggregator's window (KeptVersions + 2
        /// more merges) while a verifies nothing newer; labelled counts board2's updates on.
        /// </summary>
        internal static FleetAggregator AggregatorThatDroppedBoard1sBase(FleetConfig config, out (Network Network, FleetMember Member) a,
            out (Network Network, FleetMember Member) b, ref uint labelled)
        {
            a = Board(config, 0, 1);
            b = Board(config, 1, 2);
            a.Member.BoardId = "board1";
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, labelled++, 5)).Accepted);
            byte[] v1 = aggregator.MergeNow();
            Assert.True(a.Member.Receive(v1, v1.Length));
            Assert.True(a.Member.ApplyStaged());
            for (int i = 0; i <= FleetAggregator.KeptVersions + 1; i++)
            {
                Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, labelled++, 5)).Accepted);
                Assert.NotNull(aggregator.MergeNow());
            }
            Assert.Null(aggregator.ModelOf(1));
            return aggregator;
        }

        /// <summary>A board that took v1 and verified nothing newer sends a sparse update after v1 left the aggregator's window: "base gone".</summary>
        [Fact]
        public void ASparseUpdateOnADroppedBaseGetsABaseGoneReceipt()
        {
            FleetConfig config = FleetConfig.Demo(2);
            uint labelled = 10;
            FleetAggregator aggregator = AggregatorThatDroppedBoard1sBase(config, out var a, out _, ref labelled);
            Assert.False(a.Member.SendsEveryChannel); // it verified no newer model: it cannot tell
            AggregatorResult r = aggregator.HandleUpdate("board1", Update(a.Member, 30, 20));
            Assert.False(r.Accepted);
            FleetMessageReader read = Read(config, r.Receipt, "board1");
            Assert.Equal(FleetMessage.ReceiptBaseGone, read.ReceiptCode);
            Assert.Equal(aggregator.Version, read.Version);
        }

        /// <summary>After a restart from its state file the aggregator still answers a board whose sequence went back with its last accepted one.</summary>
        [Fact]
        public void AfterARestartTheReceiptCarriesTheLastAcceptedSequenceFromTheStateFile()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = Board(config, 0, 1);
            string dir = Directory.CreateTempSubdirectory("tintin-receipt-").FullName;
            try
            {
                string state = Path.Combine(dir, "fleet.state");
                var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
                aggregator.UseStateFile(state);
                for (uint k = 0; k < 5; k++) Assert.True(aggregator.HandleUpdate("board1", Update(a.Member, 30 + k, 20)).Accepted);
                for (int k = 0; k < 3; k++) Assert.True(aggregator.HandleUpdate("board1", StatsOf(a.Member, 0, 4, 1)).Accepted);

                var restarted = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
                restarted.UseStateFile(state);
                // The same board re-flashed: its counters start again.
                var reflashed = Board(config, 0, 1);
                FleetMessageReader r = Read(config, restarted.HandleUpdate("board1", Update(reflashed.Member, 30, 20)).Receipt, "board1");
                Assert.Equal((FleetMessage.ReceiptReplayed, 1u, 5u), (r.ReceiptCode, r.Sequence, r.Labelled));
                r = Read(config, restarted.HandleUpdate("board1", StatsOf(reflashed.Member, 0, 4, 1)).Receipt, "board1");
                Assert.Equal((FleetMessage.KindStats, FleetMessage.ReceiptReplayed, 1u, 3u), (r.ReceiptKind, r.ReceiptCode, r.Sequence, r.Labelled));
            }
            finally { Directory.Delete(dir, true); }
        }

        [Fact]
        public void TheReaderRefusesForgedCutPaddedOversizedAndUnknownReceipts()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = Board(config, 0, 1);
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            byte[] receipt = aggregator.HandleUpdate("board1", Update(a.Member, 30, 20)).Receipt;
            var key = new HmacSha256(config.FleetKey);
            var reader = new FleetMessageReader(FleetMessage.DefaultMaxBytes);
            Assert.True(reader.ReadReceipt(receipt, receipt.Length, key), reader.Error);
            for (int bit = 0; bit < 8 * receipt.Length; bit++)
            {
                byte[] flipped = (byte[])receipt.Clone();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.False(reader.ReadReceipt(flipped, flipped.Length, key), "bit " + bit);
            }
            for (int n = 0; n < receipt.Length; n++) Assert.False(reader.ReadReceipt(receipt, n, key), "cut to " + n);
            Assert.False(reader.ReadReceipt(receipt.Concat(new byte[1]).ToArray(), receipt.Length + 1, key));
            Assert.False(reader.ReadReceipt(receipt, receipt.Length, new HmacSha256(config.Boards[0].Key)));
            byte[] huge = new byte[FleetMessage.MaxReceiptBytes + 1];
            receipt.CopyTo(huge, 0);
            Assert.False(reader.ReadReceipt(huge, huge.Length, key));
            Assert.Contains("over the " + FleetMessage.MaxReceiptBytes, reader.Error);

            // Signed, but of a layout this build does not read: an unknown outcome, another answered kind, a merged model.
            byte[] update = Update(a.Member, 31, 20);
            var buffer = new byte[FleetMessage.ReceiptBytes(6)];
            FleetMessage.WriteReceipt(buffer, update, update.Length, FleetMessage.ReceiptLastCode, 0, 0, 0, FleetMessage.BoardIdBytes("board1"), key);
            Assert.True(reader.ReadReceipt(buffer, buffer.Length, key), reader.Error);
            Assert.Throws<ArgumentException>(() => FleetMessage.WriteReceipt(buffer, update, update.Length, FleetMessage.ReceiptLastCode + 1, 0, 0, 0, FleetMessage.BoardIdBytes("board1"), key));
            byte[] Resigned(Action<byte[]> change)
            {
                byte[] m = (byte[])buffer.Clone();
                change(m);
                key.Compute(m, 0, m.Length - HmacSha256.TagBytes, m, m.Length - HmacSha256.TagBytes);
                return m;
            }
            Assert.False(reader.ReadReceipt(Resigned(m => m[33] = FleetMessage.ReceiptLastCode + 1), buffer.Length, key));
            Assert.Contains("unknown outcome", reader.Error);
            Assert.False(reader.ReadReceipt(Resigned(m => m[32] = FleetMessage.KindMerged), buffer.Length, key));
            Assert.Contains("not an update or statistics", reader.Error);
            Assert.False(reader.ReadReceipt(Resigned(m => m[6] = 0), buffer.Length, key));
            Assert.False(reader.ReadReceipt(Resigned(m => m[34] = 1), buffer.Length, key));
            Assert.Contains("reserved", reader.Error);
            byte[] model = new FleetAggregator(config, Version0(FleetNets.Create()), 1).HandleUpdate("board1", update).Merged;
            Assert.False(reader.ReadReceipt(model, model.Length, key));
        }
    }
}
