using System.Linq;
using System.Text.Json;
using TinTin.Core;
using TinTin.Fleet;
using TinTin.FleetHost;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>`tintin fleet bench`: what its JSON must say whatever the timings (no timing asserts), and its refusals.</summary>
    public class FleetBenchTests
    {
        private static ParameterSet EmbeddedShape()
        {
            PreparedModel prepared = VirtualBoardRunner.EmbeddedModel();
            return new ParameterSet(ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false).Network);
        }

        [Fact]
        public void OneMergePublishesOneModelAndThePerBoardMergeOneModelPerBoardOfTheProtocolsSize()
        {
            CliResult r = CliRunner.Run("fleet", "bench", "--boards", "2,4", "--repeats", "1", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            ParameterSet shape = EmbeddedShape();
            int parameters = Enumerable.Range(0, shape.LayerCount).Sum(l => shape.Channels[l] * (shape.RowLength[l] + 1));
            Assert.Equal(parameters, doc.RootElement.GetProperty("parameters").GetInt32());
            JsonElement[] rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToArray();
            Assert.Equal(new[] { (2, "one"), (2, "per-board"), (4, "one"), (4, "per-board") },
                rows.Select(row => (row.GetProperty("boards").GetInt32(), row.GetProperty("merge").GetString())).ToArray());
            foreach (JsonElement row in rows)
            {
                int boards = row.GetProperty("boards").GetInt32();
                bool perBoard = row.GetProperty("merge").GetString() == "per-board";
                int messages = row.GetProperty("messages_per_round").GetInt32();
                long bytes = row.GetProperty("bytes_per_round").GetInt64();
                // Each per-board model is addressed to its board ("board1".."board4": six bytes) inside the signed bytes.
                int size = perBoard ? FleetMessage.AddressedMergedBytes(shape, "board1".Length) : FleetMessage.MergedBytes(shape);
                Assert.Equal(perBoard ? boards : 1, messages);
                Assert.Equal(size, row.GetProperty("message_bytes_min").GetInt32());
                Assert.Equal(size, row.GetProperty("message_bytes_max").GetInt32());
                Assert.Equal((long)messages * size, bytes);
                Assert.Equal((double)bytes / boards, row.GetProperty("bytes_per_board").GetDouble(), 6);
                Assert.Equal(1, row.GetProperty("rounds").GetInt32());
                // One merge weighs every board in; a per-board model has at least its own board, at most every board.
                double contributors = row.GetProperty("contributors_mean").GetDouble();
                if (perBoard) Assert.InRange(contributors, 1.0, boards);
                else Assert.Equal(boards, contributors);
                Assert.Equal(FleetAggregator.KeptVersions * (perBoard ? boards : 1), row.GetProperty("kept_versions").GetInt32());
                Assert.True(row.GetProperty("merge_allocated_bytes").GetInt64() > 0);
                Assert.True(row.GetProperty("merge_ms_min").GetDouble() <= row.GetProperty("merge_ms_median").GetDouble());
                Assert.Equal(0, row.GetProperty("state_file_bytes").GetInt64());
                // retained_bytes is the whole process's heap (GC.GetTotalMemory): other tests run beside this one in this process.
                Assert.Equal(JsonValueKind.Number, row.GetProperty("retained_bytes").ValueKind);
                Assert.Equal(0, row.GetProperty("broker_round_ms_median").GetDouble());
            }
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("broker").ValueKind);
        }

        /// <summary>--broker: the rounds also run over the embedded broker, every board an MQTT client (the command checks each round reached every board).</summary>
        [Fact]
        public void WithBrokerEveryRoundReachesEveryBoardOverMqtt()
        {
            CliResult r = CliRunner.Run("fleet", "bench", "--boards", "3", "--repeats", "1", "--broker", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            Assert.Equal("embedded", doc.RootElement.GetProperty("broker").GetString());
            JsonElement[] rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToArray();
            Assert.Equal(2, rows.Length);
            foreach (JsonElement row in rows)
            {
                Assert.True(row.GetProperty("broker_round_ms_median").GetDouble() > 0); // measured, not a bound
                Assert.True(row.GetProperty("broker_round_ms_min").GetDouble() <= row.GetProperty("broker_round_ms_median").GetDouble());
            }
        }

        [Fact]
        public void WithStateTheStateFileIsWrittenAndMeasured()
        {
            CliResult r = CliRunner.Run("fleet", "bench", "--boards", "3", "--repeats", "1", "--merge", "per-board", "--state", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            JsonElement row = doc.RootElement.GetProperty("rows").EnumerateArray().Single();
            Assert.Equal("per-board", row.GetProperty("merge").GetString());
            Assert.Equal(3, row.GetProperty("messages_per_round").GetInt32());
            // It holds at least every board's update and statistics and its latest model.
            Assert.True(row.GetProperty("state_file_bytes").GetInt64() > row.GetProperty("bytes_per_round").GetInt64());
        }

        [Fact]
        public void TheTableNamesEveryFleetSizeAndMerge()
        {
            CliResult r = CliRunner.Run("fleet", "bench", "--boards", "2", "--repeats", "1");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("T100", r.Out);
            Assert.Contains("merge ms med", r.Out);
            Assert.Single(r.Out.Split('\n'), line => line.TrimStart().StartsWith("2 one"));
            Assert.Single(r.Out.Split('\n'), line => line.TrimStart().StartsWith("2 per-board"));
        }

        [Theory]
        [InlineData("--boards", "1", "--boards")]
        [InlineData("--boards", "x", "--boards")]
        [InlineData("--boards", "4,,16", "--boards")]
        [InlineData("--boards", "4,4", "--boards")]
        [InlineData("--boards", "2049", "at most 2048 contributions")]
        [InlineData("--repeats", "0", "--repeats")]
        public void BadInputIsRefusedNamingTheOption(string option, string value, string expected)
        {
            CliResult r = CliRunner.Run("fleet", "bench", option, value);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(expected, r.ToString());
        }

        [Fact]
        public void AMissingModelFileIsAnInputError()
        {
            CliResult r = CliRunner.Run("fleet", "bench", "--boards", "2", "--model", "/nonexistent/model.ttm");
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("model", r.ToString());
        }
    }
}
