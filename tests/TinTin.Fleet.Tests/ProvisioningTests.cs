using System;
using TinTin.Firmware;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>The board's fleet provisioning file (FleetProvisioning): what it accepts, and an error naming the field for everything else.</summary>
    public class ProvisioningTests
    {
        private const string BoardKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        private const string FleetKey = "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF000102030405060708090A0B0C0D0E0F";

        private static string Good(string extra = "") =>
            "# board 7 in the hall\r\nbroker_host = 192.168.1.20\nfleet=hall\nboard_id=board7\nboard_password=s3cret pass\n" +
            "board_key=" + BoardKey + "\nfleet_key=" + FleetKey + "\npublish_every=16\njoin_at_start=0\n" + extra;

        [Fact]
        public void AGoodFileGivesEveryField()
        {
            var p = new FleetProvisioning();
            Assert.True(p.Parse(Good()), p.Error);
            Assert.Equal("192.168.1.20", p.BrokerHost);
            Assert.Equal(1883, p.BrokerPort);
            Assert.Equal("hall", p.Fleet);
            Assert.Equal("board7", p.BoardId);
            Assert.Equal("s3cret pass", p.BoardPassword);
            Assert.Equal(Convert.FromHexString(BoardKey), p.BoardKey);
            Assert.Equal(Convert.FromHexString(FleetKey), p.FleetKey);
            FleetSettings s = p.ToSettings();
            Assert.Equal(16, s.PublishEveryLabels);
            Assert.False(s.JoinAtStart);
            Assert.Equal(p.BoardKey, s.BoardKey);
            Assert.Equal("board7", s.BoardId);          // an addressed model for another board is refused
            Assert.Equal(64, s.StatsEverySamples);       // input statistics every 64 samples unless stats_every says otherwise
        }

        [Theory]
        [InlineData("board_key=abc\n", "board_key")]
        [InlineData("fleet_key=" + BoardKey + "zz\n", "fleet_key")]
        [InlineData("broker_port=0\n", "broker_port")]
        [InlineData("broker_port=99999\n", "broker_port")]
        [InlineData("tls=on\n", "tls")]
        [InlineData("ca_file=\n", "ca_file")]
        [InlineData("fleet=again\n", "given twice")]
        [InlineData("publish_every=0\n", "publish_every")]
        [InlineData("stats_every=-1\n", "stats_every")]
        [InlineData("stats_every=100001\n", "stats_every")]
        [InlineData("board_id=board 7\n", "board_id")]
        [InlineData("fleet=a/b\n", "fleet")]
        [InlineData("join_at_start=yes\n", "join_at_start")]
        [InlineData("colour=blue\n", "colour")]
        [InlineData("just text\n", "key=value")]
        public void ABadFieldIsNamedWithItsLine(string extra, string named)
        {
            var p = new FleetProvisioning();
            Assert.False(p.Parse(Good(extra)));
            Assert.Contains(named, p.Error);
            Assert.Contains("line 10", p.Error);
            Assert.DoesNotContain("s3cret", p.Error);
        }

        [Theory]
        [InlineData("tls=1\nca_file=I:\\ca.pem\n", 8883, true)]
        [InlineData("tls=1\nbroker_port=9001\nca_file=I:\\ca.pem\n", 9001, true)]
        [InlineData("broker_port=9001\ntls=0\n", 9001, false)]
        [InlineData("", 1883, false)]
        public void PortAndTlsAreProvisioned(string extra, int port, bool tls)
        {
            var p = new FleetProvisioning();
            Assert.True(p.Parse(Good(extra)), p.Error);
            Assert.Equal(port, p.BrokerPort);
            Assert.Equal(tls, p.Tls);
            Assert.Equal(tls ? "I:\\ca.pem" : null, p.CaFile);
        }

        [Theory]
        [InlineData("tls=1\n", "tls=1 needs ca_file")]
        [InlineData("ca_file=I:\\ca.pem\n", "ca_file is set but tls is not 1")]
        public void TlsAndTheCaFileGoTogether(string extra, string error)
        {
            var p = new FleetProvisioning();
            Assert.False(p.Parse(Good(extra)));
            Assert.StartsWith(error, p.Error);
        }

        [Fact]
        public void AnOversizedFileIsRefusedBeforeItIsRead()
        {
            var p = new FleetProvisioning();
            Assert.False(p.Parse(Good("# " + new string('x', FleetProvisioning.MaxChars) + "\n")));
            Assert.Contains("over the 4096 limit", p.Error);
        }

        [Theory]
        [InlineData("broker_host")]
        [InlineData("board_id")]
        [InlineData("board_password")]
        [InlineData("board_key")]
        [InlineData("fleet_key")]
        public void AMissingFieldIsNamed(string field)
        {
            string text = string.Join("\n", Array.FindAll(Good().Split('\n'), l => !l.TrimStart().StartsWith(field)));
            var p = new FleetProvisioning();
            Assert.False(p.Parse(text));
            Assert.Equal(field + " is missing", p.Error);
        }
    }
}
