using System;
using TinTin.Firmware;
using TinTin.FleetHost;
using TinTin.Reference;
using TinTin.VirtualBoard;
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
            Assert.Equal(100, s.TrialLabelRatePerMille); // the fleet's default merge since session 14 scales the trial to the label rate
            Assert.Equal(8, s.TrialMinimumLabels);
        }

        /// <summary>The board the provisioning file configures (the firmware on the virtual board, a fake transport): its FleetMember.</summary>
        private static FleetMember ProvisionedMember(FleetProvisioning p)
        {
            using var b = FirmwareBoards.On(new FakeTransport(), p.ToSettings(), name: "board7");
            Assert.NotNull(b.Member);
            return b.Member;
        }

        /// <summary>The board half of the fleet's default merge (docs/FLEET.md "The default merge"): trial_label_rate and trial_min_labels reach the member the board runs; no line keeps the default.</summary>
        [Theory]
        [InlineData("stats_every=64\ntrial_label_rate=100\n", 100, 8)]
        [InlineData("trial_label_rate=1000\ntrial_min_labels=32\n", 1000, 32)]
        [InlineData("trial_min_labels=1\ntrial_label_rate=5\n", 5, 1)]
        [InlineData("trial_label_rate=0\n", 0, 8)]
        [InlineData("", 100, 8)]
        [InlineData("trial_min_labels=4\n", 100, 4)]   // bounds the default's scaled trial
        public void TheTrialLabelRateReachesTheBoardsFleetMember(string extra, int rate, int minimum)
        {
            var p = new FleetProvisioning();
            Assert.True(p.Parse(Good(extra)), p.Error);
            Assert.Equal(rate, p.TrialLabelRatePerMille);
            Assert.Equal(minimum, p.TrialMinimumLabels);
            FleetMember member = ProvisionedMember(p);
            Assert.Equal(rate, member.TrialLabelRatePerMille);
            Assert.Equal(minimum, member.MinimumTrialLabels);
            Assert.Equal(FleetSettings.DefaultTrialSamples, member.TrialSamples); // trial_min_labels is at most this
        }

        [Fact]
        public void AParserReusedForAnotherFileForgetsTheTrialLabelRate()
        {
            var p = new FleetProvisioning();
            Assert.True(p.Parse(Good("trial_label_rate=250\ntrial_min_labels=4\n")), p.Error);
            Assert.True(p.Parse(Good()), p.Error);
            Assert.Equal(FleetSettings.DefaultTrialLabelRatePerMille, p.TrialLabelRatePerMille);
            Assert.Equal(8, p.TrialMinimumLabels);
        }

        [Theory]
        [InlineData("trial_label_rate=100\ntrial_label_rate=50\n", "line 11: trial_label_rate is given twice")]
        [InlineData("trial_label_rate=100\ntrial_min_labels=8\ntrial_min_labels=8\n", "line 12: trial_min_labels is given twice")]
        public void ATrialKeyGivenTwiceIsRefused(string extra, string error)
        {
            var p = new FleetProvisioning();
            Assert.False(p.Parse(Good(extra)));
            Assert.Equal(error, p.Error);
        }

        [Theory]
        [InlineData("trial_label_rate=0\ntrial_min_labels=8\n")]
        [InlineData("trial_min_labels=4\ntrial_label_rate=0\n")]
        public void AMinimumWithoutATrialLabelRateIsRefused(string extra)
        {
            var p = new FleetProvisioning();
            Assert.False(p.Parse(Good(extra)));
            Assert.StartsWith("trial_min_labels is set but trial_label_rate is not above 0", p.Error);
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
        [InlineData("trial_label_rate=1001\n", "trial_label_rate must be 0..1000")]
        [InlineData("trial_label_rate=-5\n", "trial_label_rate must be 0..1000")]
        [InlineData("trial_label_rate=ten\n", "trial_label_rate must be 0..1000")]
        [InlineData("trial_label_rate=\n", "trial_label_rate must be 0..1000")]
        [InlineData("trial_min_labels=0\n", "trial_min_labels must be 1..32")]
        [InlineData("trial_min_labels=33\n", "trial_min_labels must be 1..32")]
        [InlineData("trial_min_labels=8.5\n", "trial_min_labels must be 1..32")]
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
