using System;

namespace TinTin.Firmware
{
    /// <summary>A protocol line that cannot be read: unknown version, bad key, bad value, too long.</summary>
    public sealed class ProtocolException : Exception
    {
        public ProtocolException(string message) : base(message) { }
    }

    /// <summary>One parsed board → host line: its kind and its key=value pairs in line order.</summary>
    public sealed class ProtocolMessage
    {
        public int Version;
        public string Kind;
        public string[] Keys;
        public string[] Values;
        public int Count;

        /// <summary>Whether the line carries the key.</summary>
        public bool Has(string key) { return IndexOf(key) >= 0; }

        /// <summary>The raw value of a key, or null when absent.</summary>
        public string Get(string key)
        {
            int i = IndexOf(key);
            return i < 0 ? null : Values[i];
        }

        /// <summary>The integer value of a key; false when the key is absent or not an integer.</summary>
        public bool TryGetLong(string key, out long value)
        {
            value = 0;
            int i = IndexOf(key);
            if (i < 0) return false;
            return Protocol.TryParseLong(Values[i], out value);
        }

        /// <summary>The integer value of a key, or fallback when absent or not an integer.</summary>
        public long GetLong(string key, long fallback)
        {
            long value;
            return TryGetLong(key, out value) ? value : fallback;
        }

        private int IndexOf(string key)
        {
            for (int i = 0; i < Count; i++) if (Keys[i] == key) return i;
            return -1;
        }
    }

    /// <summary>
    /// Reads board → host lines (docs/PROTOCOL.md). Shared by the tests and `tintin monitor`: lines
    /// not starting with "TT" + digit are noise (null); a "TT&lt;n&gt;" line with another version, a
    /// line over 200 characters, or a malformed key=value gets a <see cref="ProtocolException"/>
    /// that names what is wrong. Unknown kinds and keys are kept (forward compatibility).
    /// </summary>
    public static class ProtocolParser
    {
        public static ProtocolMessage Parse(string line)
        {
            if (line == null) return null;
            int end = line.Length;
            while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n')) end--;
            if (end < 3 || line[0] != 'T' || line[1] != 'T' || line[2] < '0' || line[2] > '9') return null;
            if (end > Protocol.MaxLineChars) throw new ProtocolException("line has " + end + " characters; the protocol allows " + Protocol.MaxLineChars);
            int at = 2;
            int version = 0;
            while (at < end && line[at] >= '0' && line[at] <= '9')
            {
                version = version * 10 + (line[at] - '0');
                if (version > 1000000) throw new ProtocolException("protocol version number is too long");
                at++;
            }
            if (version != Protocol.Version)
                throw new ProtocolException("unsupported protocol version TT" + version + "; this parser reads TT" + Protocol.Version);
            if (at >= end || line[at] != ' ') throw new ProtocolException("expected a space and a kind after TT" + version);
            at++;
            int kindStart = at;
            while (at < end && line[at] != ' ') at++;
            if (at == kindStart) throw new ProtocolException("line has no kind after TT" + version);
            string kind = line.Substring(kindStart, at - kindStart);
            for (int i = 0; i < kind.Length; i++)
                if (kind[i] < 'a' || kind[i] > 'z') throw new ProtocolException("kind '" + kind + "' is not one lowercase word");

            // count the pairs first, then fill exact arrays
            int pairs = 0;
            for (int i = at; i < end; i++) if (line[i] == ' ' && i + 1 < end && line[i + 1] != ' ') pairs++;
            ProtocolMessage message = new ProtocolMessage();
            message.Version = version;
            message.Kind = kind;
            message.Keys = new string[pairs];
            message.Values = new string[pairs];
            while (at < end)
            {
                if (line[at] == ' ') { at++; continue; }
                int start = at;
                while (at < end && line[at] != ' ') at++;
                int eq = -1;
                for (int i = start; i < at; i++) if (line[i] == '=') { eq = i; break; }
                string pair = line.Substring(start, at - start);
                if (eq <= start) throw new ProtocolException("'" + pair + "' is not key=value");
                string key = line.Substring(start, eq - start);
                for (int i = 0; i < key.Length; i++)
                    if (!Protocol.IsKeyChar(key[i])) throw new ProtocolException("key '" + key + "' has characters outside [a-z0-9_]");
                string value = line.Substring(eq + 1, at - eq - 1);
                if (value.Length == 0) throw new ProtocolException("key '" + key + "' has an empty value");
                for (int i = 0; i < value.Length; i++)
                    if (!Protocol.IsValueChar(value[i])) throw new ProtocolException("value of '" + key + "' has a character outside [A-Za-z0-9._:/+-]");
                message.Keys[message.Count] = key;
                message.Values[message.Count] = value;
                message.Count++;
            }
            return message;
        }
    }
}
