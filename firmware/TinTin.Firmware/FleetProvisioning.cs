using System;

namespace TinTin.Firmware
{
    /// <summary>
    /// The board's fleet settings as provisioned in its storage (a text file on the board's file
    /// system, e.g. I:\tintin_fleet.cfg, written once per board; never in source). One `key=value`
    /// per line, `#` starts a comment:
    /// broker_host, broker_port (1..65535; 1883, or 8883 with tls=1), fleet (topic name), board_id,
    /// board_password, board_key and fleet_key (64 hex digits each: 32-byte HMAC keys),
    /// publish_every (labels, 32), join_at_start (1/0, 1), tls (1/0, 0: MQTT over TLS), ca_file
    /// (with tls=1: the path of the broker's CA certificate on the board's storage, PEM or DER),
    /// stats_every (samples between the board's input-statistics messages, 0..100000, 64; 0: none),
    /// trial_label_rate (per mille of the board's samples, 0..1000, 100; 0: off; FleetSettings.TrialLabelRatePerMille:
    /// below this labelled share a taken model is judged on proportionally fewer labels), trial_min_labels
    /// (fewest labels such a trial lasts, 1..32 = FleetSettings.DefaultTrialSamples, 8; only with trial_label_rate above 0).
    /// Each key at most once; the whole text at most <see cref="MaxChars"/> characters.
    /// Wi-Fi is the device's own stored network configuration (nanoFramework keeps SSID and
    /// password in its configuration block and connects at boot), not part of this file.
    /// Parse never throws on bad text: it returns false and Error names the line and field.
    /// </summary>
    public sealed class FleetProvisioning
    {
        /// <summary>Longest provisioning text read (the board reads at most this many bytes of the file).</summary>
        public const int MaxChars = 4096;
        public const int PlainPort = 1883;
        public const int TlsPort = 8883;
        private const int MaxPathChars = 128;
        private const int KeyCount = 14; // the keys KeyIndex knows
        private readonly bool[] seen = new bool[KeyCount]; // [KeyCount]

        public string BrokerHost;
        /// <summary>The broker's port: as provisioned, else 1883 (8883 with TLS).</summary>
        public int BrokerPort = PlainPort;
        /// <summary>Connect over TLS, verifying the broker against the CA certificate in <see cref="CaFile"/>.</summary>
        public bool Tls;
        /// <summary>Path of the broker's CA certificate on the board's storage (PEM or DER); only with TLS.</summary>
        public string CaFile;
        public string Fleet = "demo";
        public string BoardId;
        public string BoardPassword;
        public byte[] BoardKey;
        public byte[] FleetKey;
        public int PublishEveryLabels = 32;
        /// <summary>Samples between the board's input-statistics messages (FleetSettings.StatsEverySamples); 0: none.</summary>
        public int StatsEverySamples = FleetSettings.DefaultStatsEverySamples;
        /// <summary>Trial scaled to the board's label rate (FleetSettings.TrialLabelRatePerMille, per mille; 100 unless provisioned); 0: off.</summary>
        public int TrialLabelRatePerMille = FleetSettings.DefaultTrialLabelRatePerMille;
        /// <summary>Fewest labels a trial scaled to the label rate lasts (FleetSettings.TrialMinimumLabels).</summary>
        public int TrialMinimumLabels = 8;
        public bool JoinAtStart = true;
        public string Error;

        /// <summary>Reads the provisioning text; false (Error says why, no secret repeated) when a field is bad or missing.</summary>
        public bool Parse(string text)
        {
            if (text == null) return Fail("no fleet provisioning text");
            if (text.Length > MaxChars) return Fail("fleet provisioning text is " + text.Length + " characters, over the " + MaxChars + " limit");
            Reset();
            int lineNumber = 0;
            int start = 0;
            while (start <= text.Length)
            {
                int end = text.IndexOf('\n', start);
                if (end < 0) end = text.Length;
                lineNumber++;
                string line = text.Substring(start, end - start).Trim();
                start = end + 1;
                if (line.Length == 0 || line[0] == '#') continue;
                int eq = line.IndexOf('=');
                if (eq <= 0) return Fail("line " + lineNumber + ": expected key=value");
                string key = line.Substring(0, eq).Trim();
                string value = line.Substring(eq + 1).Trim();
                int index = KeyIndex(key);
                if (index < 0) return Fail("line " + lineNumber + ": unknown key '" + (key.Length > 32 ? key.Substring(0, 32) + "..." : key) + "'");
                if (seen[index]) return Fail("line " + lineNumber + ": " + key + " is given twice");
                seen[index] = true;
                if (!Set(key, value, lineNumber)) return false;
            }
            if (BrokerHost == null || BrokerHost.Length == 0) return Fail("broker_host is missing");
            if (BoardId == null || BoardId.Length == 0) return Fail("board_id is missing");
            if (BoardPassword == null) return Fail("board_password is missing");
            if (BoardKey == null) return Fail("board_key is missing");
            if (FleetKey == null) return Fail("fleet_key is missing");
            if (Tls && CaFile == null) return Fail("tls=1 needs ca_file: the path of the broker's CA certificate on the board (PEM or DER)");
            if (!Tls && CaFile != null) return Fail("ca_file is set but tls is not 1: a CA certificate is only used over TLS");
            if (seen[KeyIndex("trial_min_labels")] && TrialLabelRatePerMille == 0) return Fail("trial_min_labels is set but trial_label_rate is not above 0: the minimum only bounds a trial scaled to the label rate");
            if (Tls && !seen[KeyIndex("broker_port")]) BrokerPort = TlsPort;
            return true;
        }

        /// <summary>Every field back to its default (a parse starts from nothing).</summary>
        private void Reset()
        {
            for (int k = 0; k < seen.Length; k++) seen[k] = false;
            BrokerHost = null;
            BrokerPort = PlainPort;
            Tls = false;
            CaFile = null;
            Fleet = "demo";
            BoardId = null;
            BoardPassword = null;
            BoardKey = null;
            FleetKey = null;
            PublishEveryLabels = 32;
            StatsEverySamples = FleetSettings.DefaultStatsEverySamples;
            TrialLabelRatePerMille = FleetSettings.DefaultTrialLabelRatePerMille;
            TrialMinimumLabels = 8;
            JoinAtStart = true;
            Error = null;
        }

        /// <summary>The firmware's fleet settings from these fields.</summary>
        public FleetSettings ToSettings()
        {
            FleetSettings settings = new FleetSettings();
            settings.BoardKey = BoardKey;
            settings.FleetKey = FleetKey;
            settings.PublishEveryLabels = PublishEveryLabels;
            settings.JoinAtStart = JoinAtStart;
            settings.StatsEverySamples = StatsEverySamples;
            settings.TrialLabelRatePerMille = TrialLabelRatePerMille;
            settings.TrialMinimumLabels = TrialMinimumLabels;
            settings.BoardId = BoardId; // a merged model addressed to another board is refused
            return settings;
        }

        private bool Set(string key, string value, int lineNumber)
        {
            string at = "line " + lineNumber + ": ";
            if (key == "broker_host")
            {
                if (value.Length == 0 || value.Length > 253 || value.IndexOf(' ') >= 0) return Fail(at + "broker_host must be a host name or address (1..253 characters, no spaces)");
                BrokerHost = value;
                return true;
            }
            if (key == "fleet") { if (!IsToken(value)) return Fail(at + "fleet must be letters, digits, '-' or '_'"); Fleet = value; return true; }
            if (key == "board_id") { if (!IsToken(value)) return Fail(at + "board_id must be letters, digits, '-' or '_'"); BoardId = value; return true; }
            if (key == "board_password") { BoardPassword = value; return true; }
            if (key == "board_key") { BoardKey = Hex32(value); return BoardKey != null || Fail(at + "board_key must be 64 hex digits"); }
            if (key == "fleet_key") { FleetKey = Hex32(value); return FleetKey != null || Fail(at + "fleet_key must be 64 hex digits"); }
            if (key == "broker_port") return SetNumber(ref BrokerPort, value, 1, 65535, at + "broker_port must be a port number 1..65535");
            if (key == "publish_every") return SetNumber(ref PublishEveryLabels, value, 1, 100000, at + "publish_every must be 1..100000 labels");
            if (key == "stats_every") return SetNumber(ref StatsEverySamples, value, 0, 100000, at + "stats_every must be 0..100000 samples (0: no statistics messages)");
            if (key == "trial_label_rate") return SetNumber(ref TrialLabelRatePerMille, value, 0, 1000, at + "trial_label_rate must be 0..1000 (per mille of the board's samples; 0: off)");
            if (key == "trial_min_labels") return SetNumber(ref TrialMinimumLabels, value, 1, FleetSettings.DefaultTrialSamples, at + "trial_min_labels must be 1.." + FleetSettings.DefaultTrialSamples + " labels (at most the board's trial length)");
            if (key == "join_at_start")
            {
                if (value != "0" && value != "1") return Fail(at + "join_at_start must be 0 or 1");
                JoinAtStart = value == "1";
                return true;
            }
            if (key == "tls")
            {
                if (value != "0" && value != "1") return Fail(at + "tls must be 0 or 1");
                Tls = value == "1";
                return true;
            }
            if (key == "ca_file")
            {
                if (value.Length == 0 || value.Length > MaxPathChars) return Fail(at + "ca_file must be a file path of 1.." + MaxPathChars + " characters");
                CaFile = value;
                return true;
            }
            return Fail(at + "unknown key '" + key + "'");
        }

        // The keys in a chain of comparisons, not a static string[]: nanoCLR runs every static constructor at
        // start-up, so a table would hold board heap for the whole run even on a board that never joins a fleet.
        private static int KeyIndex(string key)
        {
            if (key == "broker_host") return 0;
            if (key == "broker_port") return 1;
            if (key == "fleet") return 2;
            if (key == "board_id") return 3;
            if (key == "board_password") return 4;
            if (key == "board_key") return 5;
            if (key == "fleet_key") return 6;
            if (key == "publish_every") return 7;
            if (key == "join_at_start") return 8;
            if (key == "tls") return 9;
            if (key == "ca_file") return 10;
            if (key == "stats_every") return 11;
            if (key == "trial_label_rate") return 12;
            if (key == "trial_min_labels") return 13;
            return -1;
        }

        private bool Fail(string message)
        {
            Error = message;
            return false;
        }

        private static bool IsToken(string value)
        {
            if (value.Length == 0 || value.Length > 64) return false;
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!ok) return false;
            }
            return true;
        }

        /// <summary>
        /// Sets field to value when it is a number in min..max (min ≥ 0); else Fail(problem) and the field stays. (The
        /// problem text is built whether or not it is needed: once a key, while the file is read at start-up.)
        /// </summary>
        private bool SetNumber(ref int field, string value, int min, int max, string problem)
        {
            int n = Number(value);
            if (n < min || n > max) return Fail(problem);
            field = n;
            return true;
        }

        /// <summary>A decimal number 0..999999, -1 when it is not one.</summary>
        private static int Number(string value)
        {
            if (value.Length == 0 || value.Length > 6) return -1;
            int n = 0;
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (c < '0' || c > '9') return -1;
                n = n * 10 + (c - '0');
            }
            return n;
        }

        /// <summary>64 hex digits as 32 bytes, null otherwise.</summary>
        private static byte[] Hex32(string value)
        {
            if (value.Length != 64) return null;
            byte[] bytes = new byte[32];
            for (int i = 0; i < 32; i++)
            {
                int hi = HexDigit(value[2 * i]), lo = HexDigit(value[2 * i + 1]);
                if (hi < 0 || lo < 0) return null;
                bytes[i] = (byte)(hi * 16 + lo);
            }
            return bytes;
        }

        private static int HexDigit(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }
    }
}
