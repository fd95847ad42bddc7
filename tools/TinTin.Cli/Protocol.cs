using System;
using System.Collections.Generic;
using System.Globalization;

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
            return text != null && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }

        /// <summary>Canonical text: `kind key=value ...` (what monitor --plain prints).</summary>
        public override string ToString()
        {
            var parts = new List<string> { Kind };
            foreach (var pair in Pairs) parts.Add(pair.Key + "=" + pair.Value);
            return string.Join(" ", parts);
        }
    }

    /// <summary>Why a TT line was rejected (unknown protocol version, malformed key=value).</summary>
    public sealed class ProtocolException : Exception
    {
        public ProtocolException(string message) : base(message) { }
    }

    /// <summary>
    /// The host-side parser of the serial protocol. Lines that do not start with "TT" are noise
    /// (boot messages, debug output): Parse returns null. "TT" with another version than 1, a
    /// missing kind or a pair that is not key=value is a <see cref="ProtocolException"/>. Unknown
    /// kinds and keys are kept (forward compatibility); key order does not matter.
    /// </summary>
    public static class ProtocolParser
    {
        public const int Version = 1;
        public const int MaxLineLength = 200;

        /// <summary>Every key docs/PROTOCOL.md names for `stat` lines, in its order.</summary>
        public static readonly string[] StatKeys =
        {
            "t_ms", "heap", "engine_bytes", "samples", "labelled", "correct", "acc_pm", "updates", "ckpts", "faults",
            "predict_us", "update_us", "macs_total", "macs_update", "uj_update", "uj_total", "budget_bytes", "budget_macs", "selected",
        };

        /// <summary>Every key docs/PROTOCOL.md names for `upd` lines.</summary>
        public static readonly string[] UpdateKeys = { "t_ms", "n", "label", "loss_q16", "macs", "us", "uj", "bytes" };

        public static ProtocolLine Parse(string line)
        {
            if (line == null) return null;
            line = line.TrimEnd('\r', '\n');
            string trimmed = line.TrimStart();
            if (!trimmed.StartsWith("TT", StringComparison.Ordinal)) return null;
            string[] words = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string prefix = words[0];
            if (prefix.Length < 3 || !int.TryParse(prefix.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int version))
                return null; // "TTfoo": not ours
            if (version != Version)
                throw new ProtocolException("protocol version " + version + " is not supported (this tintin speaks TT" + Version + "): " + Shorten(line));
            if (words.Length < 2) throw new ProtocolException("line has no kind: " + Shorten(line));
            string kind = words[1];
            if (!IsWord(kind, allowDigits: false)) throw new ProtocolException("bad kind '" + kind + "': " + Shorten(line));
            var pairs = new List<KeyValuePair<string, string>>(words.Length - 2);
            for (int i = 2; i < words.Length; i++)
            {
                int eq = words[i].IndexOf('=');
                if (eq <= 0) throw new ProtocolException("'" + words[i] + "' is not key=value: " + Shorten(line));
                string key = words[i].Substring(0, eq);
                if (!IsWord(key, allowDigits: true)) throw new ProtocolException("bad key '" + key + "': " + Shorten(line));
                pairs.Add(new KeyValuePair<string, string>(key, words[i].Substring(eq + 1)));
            }
            return new ProtocolLine(kind, pairs, line);
        }

        private static bool IsWord(string text, bool allowDigits)
        {
            if (text.Length == 0) return false;
            foreach (char c in text)
                if (!((c >= 'a' && c <= 'z') || c == '_' || (allowDigits && c >= '0' && c <= '9'))) return false;
            return true;
        }

        private static string Shorten(string line) => line.Length <= 80 ? line : line.Substring(0, 77) + "...";
    }
}
