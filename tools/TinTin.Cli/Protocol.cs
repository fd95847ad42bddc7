using System;
using System.Collections.Generic;

namespace TinTin.Cli
{
    /// <summary>One parsed board → host line (docs/PROTOCOL.md): `TT1 kind key=value ...`.</summary>
    public sealed class ProtocolLine
    {
        public string Kind { get; }
        /// <summary>Key/value pairs in the order the board sent them.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Pairs { get; }
        public string Raw { get; }

        public ProtocolLine(string kind, IReadOnlyList<KeyValuePair<string, string>> pairs, string raw)
        {
            Kind = kind; Pairs = pairs; Raw = raw;
        }

        public string Get(string key)
        {
            foreach (var pair in Pairs) if (pair.Key == key) return pair.Value;
            return null;
        }

        public bool TryGetLong(string key, out long value)
        {
            string text = Get(key);
            value = 0;
            return TinTin.Firmware.Protocol.TryParseLong(text, out value);
        }

        /// <summary>Canonical text: `kind key=value ...` (what monitor --plain prints).</summary>
        public override string ToString()
        {
            var parts = new List<string> { Kind };
            foreach (var pair in Pairs) parts.Add(pair.Key + "=" + pair.Value);
            return string.Join(" ", parts);
        }
    }

    /// <summary>Why a TT line was rejected (unknown protocol version, malformed key=value, too long).</summary>
    public sealed class ProtocolException : Exception
    {
        public ProtocolException(string message) : base(message) { }
    }

    /// <summary>
    /// The host side of the serial protocol, over the firmware's own parser
    /// (firmware/TinTin.Firmware/ProtocolParser.cs, shared with the board and the firmware tests):
    /// lines that do not start with "TT" + digit are noise (null); "TT" with another version than
    /// 1, a line over 200 characters or a malformed pair is a <see cref="ProtocolException"/>.
    /// Unknown kinds and keys are kept (forward compatibility); key order does not matter.
    /// </summary>
    public static class ProtocolParser
    {
        public const int Version = TinTin.Firmware.Protocol.Version;
        public const int MaxLineLength = TinTin.Firmware.Protocol.MaxLineChars;

        /// <summary>Every key docs/PROTOCOL.md names for `stat` lines, in its order; `part` (1, 2): the firmware splits a stat into two lines.</summary>
        public static readonly string[] StatKeys =
        {
            "part", "t_ms", "heap", "engine_bytes", "samples", "labelled", "correct", "acc_pm", "updates", "ckpts", "faults",
            "predict_us", "update_us", "macs_total", "macs_update", "uj_update", "uj_total", "budget_bytes", "budget_macs", "selected",
        };

        /// <summary>Every key docs/PROTOCOL.md names for `upd` lines.</summary>
        public static readonly string[] UpdateKeys = { "t_ms", "n", "label", "loss_q16", "macs", "us", "uj", "bytes" };

        public static ProtocolLine Parse(string line)
        {
            if (line == null) return null;
            line = line.TrimEnd('\r', '\n');
            TinTin.Firmware.ProtocolMessage message;
            try { message = TinTin.Firmware.ProtocolParser.Parse(line); }
            catch (TinTin.Firmware.ProtocolException e) { throw new ProtocolException(e.Message + ": " + Shorten(line)); }
            if (message == null) return null;
            var pairs = new List<KeyValuePair<string, string>>(message.Count);
            for (int i = 0; i < message.Count; i++) pairs.Add(new KeyValuePair<string, string>(message.Keys[i], message.Values[i]));
            return new ProtocolLine(message.Kind, pairs, line);
        }

        private static string Shorten(string line) => line.Length <= 80 ? line : line.Substring(0, 77) + "...";
    }
}
