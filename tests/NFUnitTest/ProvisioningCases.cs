using TinTin.Firmware;

namespace TinTin.NFUnitTest
{
    /// <summary>
    /// Fleet provisioning files (good, malformed, oversized) and what FleetProvisioning makes of
    /// each: "ok ..." with every parsed field, or "error: ..." with the message. The expected
    /// strings are the host's results (ProvisioningCasesOnHost checks them on .NET); the
    /// NFUnitTest ProvisioningTests checks the board build gives the same on nanoCLR.
    /// </summary>
    public static class ProvisioningCases
    {
        public const string BoardKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        public const string FleetKey = "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF000102030405060708090A0B0C0D0E0F";

        /// <summary>A complete file without port, TLS or CA lines; extra goes at line 10.</summary>
        public static string Base(string extra)
        {
            return "# board 7 in the hall\r\nbroker_host = 192.168.1.20\nfleet=hall\nboard_id=board7\nboard_password=s3cret pass\n" +
                "board_key=" + BoardKey + "\nfleet_key=" + FleetKey + "\npublish_every=16\njoin_at_start=0\n" + extra;
        }

        /// <summary>Case texts; Expected[i] is what parsing Texts()[i] gives.</summary>
        public static string[] Texts()
        {
            return new string[]
            {
                Base(""),
                Base("broker_port=1884\n"),
                Base("tls=1\nca_file=I:\\fleet_ca.pem\n"),
                Base("tls=1\nbroker_port=443\nca_file=D:\\ca.der\n"),
                Base("tls=0\nbroker_port=65535\n"),
                Base("stats_every=0\n"),
                Base("stats_every=100001\n"),
                Base("trial_label_rate=100\ntrial_min_labels=33\n"),
                Base("broker_port=0\n"),
                Base("broker_port=65536\n"),
                Base("broker_port=18 83\n"),
                Base("tls=yes\n"),
                Base("tls=1\n"),
                Base("ca_file=I:\\fleet_ca.pem\n"),
                Base("tls=1\nca_file=\n"),
                Base("fleet=other\n"),
                Base("board_key=abc\n"),
                Base("colour=blue\n"),
                Base("just text\n"),
                "broker_host=h\nboard_id=b\n",
                Base("# padding " + new string('x', 4100) + "\n"),
                "",
            };
        }

        public static readonly string[] Expected =
        {
            "ok host=192.168.1.20 port=1883 tls=0 ca= fleet=hall board=board7 publish=16 stats=64 join=0 key=00..1f fleetkey=f0..0f",
            "ok host=192.168.1.20 port=1884 tls=0 ca= fleet=hall board=board7 publish=16 stats=64 join=0 key=00..1f fleetkey=f0..0f",
            "ok host=192.168.1.20 port=8883 tls=1 ca=I:\\fleet_ca.pem fleet=hall board=board7 publish=16 stats=64 join=0 key=00..1f fleetkey=f0..0f",
            "ok host=192.168.1.20 port=443 tls=1 ca=D:\\ca.der fleet=hall board=board7 publish=16 stats=64 join=0 key=00..1f fleetkey=f0..0f",
            "ok host=192.168.1.20 port=65535 tls=0 ca= fleet=hall board=board7 publish=16 stats=64 join=0 key=00..1f fleetkey=f0..0f",
            "ok host=192.168.1.20 port=1883 tls=0 ca= fleet=hall board=board7 publish=16 stats=0 join=0 key=00..1f fleetkey=f0..0f",
            "error: line 10: stats_every must be 0..100000 samples (0: no statistics messages)",
            "error: line 11: trial_min_labels must be 1..32 labels (at most the board's trial length)",
            "error: line 10: broker_port must be a port number 1..65535",
            "error: line 10: broker_port must be a port number 1..65535",
            "error: line 10: broker_port must be a port number 1..65535",
            "error: line 10: tls must be 0 or 1",
            "error: tls=1 needs ca_file: the path of the broker's CA certificate on the board (PEM or DER)",
            "error: ca_file is set but tls is not 1: a CA certificate is only used over TLS",
            "error: line 11: ca_file must be a file path of 1..128 characters",
            "error: line 10: fleet is given twice",
            "error: line 10: board_key is given twice",
            "error: line 10: unknown key 'colour'",
            "error: line 10: expected key=value",
            "error: board_password is missing",
            "error: fleet provisioning text is 4398 characters, over the 4096 limit",
            "error: broker_host is missing",
        };

        /// <summary>What a parse gave, as one line (keys shown by their first and last byte only).</summary>
        public static string Describe(FleetProvisioning p, bool ok)
        {
            if (!ok) return "error: " + p.Error;
            return "ok host=" + p.BrokerHost + " port=" + p.BrokerPort + " tls=" + (p.Tls ? "1" : "0") + " ca=" + (p.CaFile == null ? "" : p.CaFile) +
                " fleet=" + p.Fleet + " board=" + p.BoardId + " publish=" + p.PublishEveryLabels + " stats=" + p.StatsEverySamples + " join=" + (p.JoinAtStart ? "1" : "0") +
                " key=" + Ends(p.BoardKey) + " fleetkey=" + Ends(p.FleetKey);
        }

        private static string Ends(byte[] key)
        {
            return Hex(key[0]) + ".." + Hex(key[key.Length - 1]);
        }

        private static string Hex(byte b)
        {
            const string digits = "0123456789abcdef";
            return new string(new char[] { digits[b >> 4], digits[b & 15] });
        }
    }
}
