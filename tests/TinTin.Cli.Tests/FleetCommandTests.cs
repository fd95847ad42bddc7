using System.IO;
using System.Text.Json;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Cli.Tests
{
    public class FleetCommandTests
    {
        [Fact]
        public void SimulateJsonListsEveryBoardWithIsolatedAndFleetAccuracyAndBytes()
        {
            CliResult r = CliRunner.Run("fleet", "simulate", "--boards", "3", "--max-samples", "600", "--publish-every", "16", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            JsonElement boards = doc.RootElement.GetProperty("boards");
            Assert.Equal(3, boards.GetArrayLength());
            foreach (JsonElement b in boards.EnumerateArray())
            {
                Assert.StartsWith("board", b.GetProperty("name").GetString());
                Assert.InRange(b.GetProperty("isolated_accuracy").GetDouble(), 0.3, 1.0);
                Assert.InRange(b.GetProperty("fleet_accuracy").GetDouble(), 0.3, 1.0);
                Assert.True(b.GetProperty("labelled").GetInt64() >= 0);
                Assert.True(b.GetProperty("bytes_sent").GetInt64() >= 0);
            }
            // The busiest labeller has labels and so sent at least one update.
            Assert.True(boards[0].GetProperty("bytes_sent").GetInt64() > 0);
        }

        [Fact]
        public void SimulateRefusesBadOptionsWithUsage()
        {
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--boards", "1").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--publish-every", "0").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--layout", "diagonal").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--seed", "-1").ExitCode);
        }

        [Fact]
        public void ServeRefusesABadBrokerUriOrCaFileByName()
        {
            CliResult r = CliRunner.Run("fleet", "serve", "--broker", "http://127.0.0.1:1883");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("mqtts://HOST:PORT", r.ToString());
            r = CliRunner.Run("fleet", "serve", "--broker", "mqtt://127.0.0.1:1883", "--ca-file", "ca.pem");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("--ca-file needs --broker mqtts://", r.ToString());
            r = CliRunner.Run("fleet", "serve", "--broker", "mqtts://127.0.0.1:8883", "--ca-file", "/nonexistent/ca.pem");
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("CA file not found: /nonexistent/ca.pem", r.ToString());
        }

        [Fact]
        public void ServeRunsTheEmbeddedBrokerForAWhileAndStops()
        {
            int port = EmbeddedBroker.FreeLoopbackPort();
            CliResult r = CliRunner.Run("fleet", "serve", "--port", port.ToString(), "--boards", "2", "--duration-s", "0.5");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("embedded MQTT broker on mqtt://127.0.0.1:" + port, r.Out);
            Assert.Contains("aggregator stopped: 0 merges", r.Out);
        }

        [Fact]
        public void ServeNamesAnUnreachableBrokerAndAMissingConfig()
        {
            int port = EmbeddedBroker.FreeLoopbackPort();
            CliResult r = CliRunner.Run("fleet", "serve", "--broker", "mqtt://127.0.0.1:" + port, "--duration-s", "0.1");
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("cannot reach the broker", r.Error);
            Assert.Equal(1, CliRunner.Run("fleet", "serve", "--broker", "http://x").ExitCode);
            Assert.Equal(2, CliRunner.Run("fleet", "serve", "--config", "/nonexistent/fleet.json").ExitCode);
        }

        [Fact]
        public void ServeWritesADemoConfigThatLoadsBack()
        {
            string path = Path.GetTempFileName();
            CliResult r = CliRunner.Run("fleet", "serve", "--boards", "3", "--write-config", path);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(3, FleetConfig.Load(path).Boards.Count);
            File.Delete(path);
        }
    }
}
