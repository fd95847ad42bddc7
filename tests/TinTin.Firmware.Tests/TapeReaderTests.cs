using System;
using System.Collections.Generic;
using System.Linq;
using TinTin.Firmware.Replay;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// The replay tape as the generated program holds it (integer chunks, packed decisions) read back by the
    /// replay's TapeReader: the same rows and decisions, and no allocation per chunk once the reader exists.
    /// </summary>
    public class TapeReaderTests
    {
        private sealed class Chunks : TapeValues
        {
            private readonly List<int[]> chunks;
            public Chunks(List<int[]> chunks) { this.chunks = chunks; }
            public override int ChunkCount => chunks.Count;
            public override int LongestChunk => chunks.Select(c => c.Length).DefaultIfEmpty(0).Max();
            protected override void Write(int index) { foreach (int v in chunks[index]) Put(v); }
        }

        [Fact]
        public void The_host_and_the_replay_agree_on_the_tape_layout()
        {
            Assert.Equal(TapeValues.ValuesPerRow, NanoReplay.ValuesPerRow);
            Assert.Equal(TapeValues.DecisionsPerValue, NanoReplay.DecisionsPerValue);
        }

        [Theory]
        [InlineData("")]
        [InlineData("1")]
        [InlineData("0")]
        [InlineData("011010001110010100101100011101")]            // exactly one value
        [InlineData("0110100011100101001011000111010")]           // one more: a second value with one decision
        public void Packed_decisions_read_back_in_order(string decided)
        {
            var reader = new TapeReader(new Chunks(NanoReplay.DecisionChunks(decided)));
            string read = string.Concat(decided.Select(_ => reader.NextDecision() ? '1' : '0'));
            Assert.Equal(decided, read);
            Assert.Throws<InvalidOperationException>(() => reader.NextDecision());
        }

        [Fact]
        public void Many_decisions_span_chunks_and_allocate_nothing_while_read()
        {
            var random = new Random(3);
            string decided = string.Concat(Enumerable.Range(0, 1000).Select(_ => random.Next(20) == 0 ? '1' : '0'));
            List<int[]> chunks = NanoReplay.DecisionChunks(decided);
            Assert.True(chunks.Count > 3);
            var reader = new TapeReader(new Chunks(chunks));
            var read = new bool[decided.Length];
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < read.Length; i++) read[i] = reader.NextDecision();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(decided, string.Concat(read.Select(d => d ? '1' : '0')));
            Assert.Equal(0, allocated);
        }

        [Fact]
        public void A_decision_that_is_not_0_or_1_is_an_error_naming_it()
        {
            var e = Assert.Throws<ArgumentException>(() => NanoReplay.DecisionChunks("01x"));
            Assert.Contains("decision 2 is 'x'", e.Message);
        }

        [Fact]
        public void Recorded_rows_read_back_as_the_hosts_replay_source_gives_them()
        {
            var options = new VirtualBoardOptions { MaxSamples = 21 };
            List<int[]> chunks = NanoReplay.RowChunks(options, out int total, out bool hasPressure, out string name);
            Assert.Equal(3, chunks.Count); // 8 + 8 + 5 rows
            var reader = new TapeReader(new Chunks(chunks));
            var source = TinTin.Sensors.ReplaySource.Open(TinTin.Reference.RepositoryPaths.Data("occupancy", "datatest2.txt"), options.Columns);
            var sample = new TinTin.Sensors.EnvironmentSample();
            long first = 0;
            var read = new long[21 * TapeValues.ValuesPerRow];
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < read.Length; i++) read[i] = reader.NextInteger();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(reader.AtEnd);
            Assert.Equal(0, allocated);
            for (int row = 0; row < 21; row++)
            {
                source.Read(sample);
                if (row == 0) first = sample.TimestampMs;
                long[] expected = { sample.TimestampMs - first, sample.TemperatureCentiC, sample.HumidityCentiPercent, sample.HasPressure ? sample.PressurePa : 0, sample.Label };
                Assert.Equal(expected, read.Skip(row * TapeValues.ValuesPerRow).Take(TapeValues.ValuesPerRow).ToArray());
            }
            Assert.True(reader.AtEnd);
            Assert.Throws<InvalidOperationException>(() => reader.NextInteger());
        }
    }
}
