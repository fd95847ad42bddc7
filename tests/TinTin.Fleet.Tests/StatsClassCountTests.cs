using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The statistics message's class counts (FleetMessage kind 3: u16 classes, u32 labelled[classes]): the board counts its
    /// newly labelled samples per class, the aggregator verifies and keeps them (also in its state file) and the label
    /// kernel (FleetAggregator.LabelKernelWidth) reads them.
    /// </summary>
    public sealed class StatsClassCountTests : IDisposable
    {
        private readonly string dir = Directory.CreateTempSubdirectory("tintin-classcounts-").FullName;
        public void Dispose() => Directory.Delete(dir, true);

        private static FleetMember Member(FleetConfig config, int index) =>
            new FleetMember(FleetNets.Create(), config.Boards[index].Key, config.FleetKey, config.MaxMessageBytes, 64) { BoardId = config.Boards[index].Id };

        /// <summary>n inputs observed, then the labels (class, newly labelled samples), then the board's statistics message.</summary>
        private static byte[] Stats(FleetMember m, int n, params (int Class, int Samples)[] labels)
        {
            var x = new sbyte[6];
            for (int k = 0; k < n; k++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (sbyte)(i + k % 5);
                m.ObserveInput(x);
            }
            foreach (var (cls, samples) in labels) m.CountLabels(cls, samples);
            int length = m.WriteStats(-6, 0);
            return m.StatsBuffer.AsSpan(0, length).ToArray();
        }

        /// <summary>Statistics written and signed with the board's own key, with any class counts (a board whose bytes say something inconsistent).</summary>
        private static byte[] Signed(FleetConfig config, uint samples, uint[] classLabelled)
        {
            var buffer = new byte[FleetMessage.StatsBytes(6, classLabelled.Length)];
            var sums = new long[] { 10, 20, 30, 40, 50, 60 };
            int length = FleetMessage.WriteStats(buffer, sums, samples, classLabelled, -6, 0,
                AggregatorTests.Version0(FleetNets.Create()).Fingerprint(), 9, 0, new HmacSha256(config.Boards[0].Key));
            Assert.Equal(buffer.Length, length);
            return buffer;
        }

        /// <summary>The message cut to length bytes before its tag, with its total length fixed and signed again: authentic, but short.</summary>
        private static byte[] ResignedShort(FleetConfig config, byte[] message, int signedBytes)
        {
            var cut = new byte[signedBytes + HmacSha256.TagBytes];
            Array.Copy(message, cut, signedBytes);
            LittleEndian.PutU32(cut, 28, (uint)cut.Length);
            new HmacSha256(config.Boards[0].Key).Compute(cut, 0, signedBytes, cut, signedBytes);
            return cut;
        }

        [Fact]
        public void TheMessageCarriesTheBoardsClassCountsAndTheAggregatorKeepsThem()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0);
            FleetMember board = Member(config, 0);
            byte[] message = Stats(board, 40, (1, 7), (0, 5), (1, 3), (5, 9), (-1, 9), (0, -4));
            // 32 header + 4 + 2·6 means + 2 + 4·2 counts + 32 tag.
            Assert.Equal(90, message.Length);
            Assert.Equal(2, LittleEndian.GetU16(message, 48));
            Assert.Equal(5u, LittleEndian.GetU32(message, 50));
            Assert.Equal(10u, LittleEndian.GetU32(message, 54));
            Assert.True(aggregator.HandleUpdate("board1", message).Accepted);
            Assert.Equal(new uint[] { 5, 10 }, aggregator.Boards["board1"].Stats.ClassLabelled);
            // The counts go on (over every sample so far) in the next message, and after a rebind (ContinueFrom).
            FleetMember rebound = Member(config, 0);
            rebound.ContinueFrom(board);
            Assert.True(aggregator.HandleUpdate("board1", Stats(rebound, 10, (0, 2))).Accepted);
            Assert.Equal(new uint[] { 7, 10 }, aggregator.Boards["board1"].Stats.ClassLabelled);
        }

        [Fact]
        public void CountingLabelsAllocatesNothing()
        {
            FleetMember board = Member(FleetConfig.Demo(1), 0);
            long fewest = Allocations.FewestBytes(() => { for (int k = 0; k < 1000; k++) board.CountLabels(k & 1, 3); });
            Assert.Equal(0, fewest);
            Assert.True(board.LabelledOfClass(0) >= 1500 && board.LabelledOfClass(0) == board.LabelledOfClass(1));
        }

        [Fact]
        public void ForgedTruncatedOrInconsistentClassCountsAreRefusedAndChangeNothing()
        {
            FleetConfig config = FleetConfig.Demo(1);
            var log = new StringWriter();
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0, log);
            byte[] good = Signed(config, 20, new uint[] { 12, 8 });
            Assert.True(aggregator.HandleUpdate("board1", good).Accepted);
            BoardRecord record = aggregator.Boards["board1"];

            void Refused(byte[] payload, string expected)
            {
                AggregatorResult r = aggregator.HandleUpdate("board1", payload);
                Assert.False(r.Accepted, "accepted: " + expected);
                Assert.Contains(expected, r.Error);
                Assert.Equal(new uint[] { 12, 8 }, record.Stats.ClassLabelled);
                Assert.Equal(9u, record.Stats.Sequence);
            }

            // Any bit of the class-count section flipped: the HMAC fails.
            int countsAt = FleetMessage.StatsClassesAt(6);
            for (int bit = countsAt * 8; bit < (good.Length - HmacSha256.TagBytes) * 8; bit++)
            {
                byte[] forged = (byte[])good.Clone();
                forged[bit / 8] ^= (byte)(1 << (bit % 8));
                Refused(forged, "HMAC");
            }
            // Authentic but truncated inside the counts (or without them: the older 80-byte format).
            int signedBytes = good.Length - HmacSha256.TagBytes;
            for (int cut = countsAt; cut < signedBytes; cut++)
                Refused(ResignedShort(config, good, cut), cut < countsAt + 2 ? "ends before its class counts" : "classes need");
            // Authentic but inconsistent: more labelled samples than samples, or another class count than the model's.
            Refused(Signed(config, 20, new uint[] { 12, 9 }), "more than their 20 samples");
            Refused(Signed(config, 20, new uint[] { uint.MaxValue, 2 }), "more than their 20 samples");
            Refused(Signed(config, 20, new uint[] { 1, 2, 3 }), "3 class counts, the fleet model has 2 classes");
            Refused(Signed(config, 20, new uint[] { 1 }), "1 class counts, the fleet model has 2 classes");
            Assert.Equal(1, record.StatsMessages);
        }

        [Fact]
        public void TheLabelKernelReadsTheVerifiedCountsAndTheStateFileKeepsThem()
        {
            FleetConfig config = FleetConfig.Demo(3);
            string path = Path.Combine(dir, "fleet.state");
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0) { LabelKernelWidth = 300, LabelPriorStrength = 8 };
            aggregator.UseStateFile(path);
            // No statistics yet: every board has the pooled share (0 samples): kernel 1024.
            Assert.Equal(1024, aggregator.LabelKernelOf("board1", "board2"));
            Assert.True(aggregator.HandleUpdate("board1", Stats(Member(config, 0), 100, (0, 30), (1, 10))).Accepted);
            Assert.True(aggregator.HandleUpdate("board2", Stats(Member(config, 1), 100, (0, 4), (1, 36))).Accepted);
            // Pooled 46/80 = 575 ‰; board1 (10·1000 + 8·575)/48 = 304, board2 (36·1000 + 8·575)/48 = 845, board3 (none) 575.
            long pooled = 46 * 1000 / 80;
            long share1 = LabelPriorKernel.SharePerMille(10, 40, pooled, 8), share2 = LabelPriorKernel.SharePerMille(36, 40, pooled, 8);
            Assert.Equal(304, share1);
            Assert.Equal(845, share2);
            Assert.Equal(0, aggregator.LabelKernelOf("board1", "board2"));                // 541 ‰ apart, over P 300
            Assert.Equal(LabelPriorKernel.Of(share1, pooled, 300), aggregator.LabelKernelOf("board1", "board3"));
            Assert.Equal(1024 * (300 - 271) / 300, aggregator.LabelKernelOf("board1", "board3"));
            Assert.Equal(1024, aggregator.LabelKernelOf("board2", "board2"));

            // A restart: the stored signed messages yield the same counts and the same kernel.
            var restarted = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0) { LabelKernelWidth = 300, LabelPriorStrength = 8 };
            restarted.UseStateFile(path);
            Assert.Equal(new uint[] { 30, 10 }, restarted.Boards["board1"].Stats.ClassLabelled);
            Assert.Equal(new uint[] { 4, 36 }, restarted.Boards["board2"].Stats.ClassLabelled);
            Assert.False(restarted.Boards["board3"].HasStats);
            Assert.Equal(aggregator.LabelKernelOf("board1", "board3"), restarted.LabelKernelOf("board1", "board3"));
        }

        [Fact]
        public void APerBoardMergeWeightsContributorsByTheLabelKernel()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var log = new StringWriter();
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2, log) { LabelKernelWidth = 300 };
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            Assert.True(aggregator.HandleUpdate("board1", Stats(a.Member, 100, (0, 40))).Accepted);
            Assert.True(aggregator.HandleUpdate("board2", Stats(b.Member, 100, (1, 40))).Accepted);
            int length = a.Member.WriteUpdate(30, 20);
            aggregator.HandleUpdate("board1", a.Member.UpdateBuffer.AsSpan(0, length).ToArray());
            length = b.Member.WriteUpdate(10, 5);
            AggregatorResult r = aggregator.HandleUpdate("board2", b.Member.UpdateBuffer.AsSpan(0, length).ToArray());
            Assert.True(r.Accepted, r.Error);
            // Label shares 80 ‰ and 920 ‰ (K 8 towards 500 ‰): kernel 0, so each board's merge holds only its own labels.
            Assert.NotNull(r.PerBoard);
            Assert.Equal(2, r.PerBoard.Count);
            Assert.Contains("for board1: 1 boards, 30 weighted labelled samples", log.ToString());
            Assert.Contains("for board2: 1 boards, 10 weighted labelled samples", log.ToString());
        }
        /// <summary>
        /// A state file written before the class counts holds 80-byte statistics messages: the aggregator keeps its
        /// version counter, updates and models and drops only those statistics (the board's next message replaces them),
        /// instead of refusing the file (which would start the counter again at 0 and every board would refuse its models).
        /// An older-format message that fails its HMAC still refuses the whole file.
        /// </summary>
        [Fact]
        public void AStateFileWithOlderFormatStatisticsLoadsWithoutThem()
        {
            FleetConfig config = FleetConfig.Demo(2);
            string path = Path.Combine(dir, "fleet.state");
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2);
            aggregator.UseStateFile(path);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            byte[] stats = Stats(Member(config, 0), 100, (0, 30), (1, 10));
            Assert.True(aggregator.HandleUpdate("board1", stats).Accepted);
            int length = a.Member.WriteUpdate(30, 20);
            Assert.True(aggregator.HandleUpdate("board1", a.Member.UpdateBuffer.AsSpan(0, length).ToArray()).Accepted);
            length = b.Member.WriteUpdate(10, 5);
            Assert.NotNull(aggregator.HandleUpdate("board2", b.Member.UpdateBuffer.AsSpan(0, length).ToArray()).Merged);
            Assert.Equal(1u, aggregator.Version);

            // The file as a build before the class counts wrote it: board1's statistics without them, signed by board1.
            byte[] older = ResignedShort(config, stats, FleetMessage.StatsClassesAt(6));
            Assert.Equal(80, older.Length);
            File.WriteAllBytes(path, ReplaceInStateFile(File.ReadAllBytes(path), stats, older));

            var log = new StringWriter();
            var restarted = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2, log);
            restarted.UseStateFile(path);
            Assert.Equal(1u, restarted.Version);
            Assert.True(restarted.Boards["board1"].HasUpdate);
            Assert.False(restarted.Boards["board1"].HasStats);
            Assert.Contains("board 'board1''s last statistics are of the older format without class counts: dropped", log.ToString());
            byte[] newer = Stats(Member(config, 0), 100, (0, 3), (1, 1));
            Assert.True(restarted.HandleUpdate("board1", newer).Accepted);
            Assert.NotNull(restarted.MergeNow()); // the snapshot, written when a version is published, now holds them

            // An older-format message that is not authentic is not the older format: the file is refused and left as it is.
            byte[] forged = (byte[])older.Clone();
            forged[FleetMessage.HeaderBytes + 5] ^= 1;
            byte[] bad = ReplaceInStateFile(File.ReadAllBytes(path), newer, forged);
            File.WriteAllBytes(path, bad);
            var refused = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2);
            InvalidDataException e = Assert.Throws<InvalidDataException>(() => refused.UseStateFile(path));
            Assert.Contains("board 'board1''s last statistics", e.Message);
            Assert.Equal(bad, File.ReadAllBytes(path));
        }

        /// <summary>The state file with one stored message replaced (its length prefix, the payload length and the CRC-32 fixed).</summary>
        private static byte[] ReplaceInStateFile(byte[] file, byte[] message, byte[] replacement)
        {
            int at = file.AsSpan().IndexOf(message);
            Assert.True(at > 0, "message not found in the state file");
            Assert.Equal(message.Length, BitConverter.ToInt32(file, at - 4));
            var patched = new byte[file.Length - message.Length + replacement.Length];
            Array.Copy(file, patched, at - 4);
            BitConverter.TryWriteBytes(patched.AsSpan(at - 4), replacement.Length);
            Array.Copy(replacement, 0, patched, at, replacement.Length);
            Array.Copy(file, at + message.Length, patched, at + replacement.Length, file.Length - at - message.Length - 4);
            BitConverter.TryWriteBytes(patched.AsSpan(8), (uint)(patched.Length - 16));
            BitConverter.TryWriteBytes(patched.AsSpan(patched.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(patched.AsSpan(0, patched.Length - 4)));
            return patched;
        }
    }
}
