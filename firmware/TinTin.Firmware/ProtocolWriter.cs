namespace TinTin.Firmware
{
    /// <summary>
    /// Formats board → host protocol lines (docs/PROTOCOL.md) into one preallocated byte buffer and
    /// hands them to the serial port: no allocation per line. A key that would push the line past
    /// <see cref="Protocol.MaxLineChars"/> is dropped whole, so every line stays parseable; free text is cut to fit instead
    /// (<see cref="Text(string, string)"/>), so an error line keeps the start of its message.
    /// </summary>
    public sealed class ProtocolWriter
    {
        private readonly byte[] buffer = new byte[Protocol.MaxLineChars + 1];
        private readonly byte[] digits = new byte[20];
        private readonly ISerialPort port;
        private int length;
        private int mark;
        private bool overflow;

        /// <summary>Lines written since start-up.</summary>
        public int LinesWritten;
        /// <summary>Keys dropped because a line was full.</summary>
        public int KeysDropped;
        /// <summary>Free texts cut to fit their line (<see cref="Text(string, string)"/>).</summary>
        public int TextsCut;

        public ProtocolWriter(ISerialPort port)
        {
            this.port = port;
        }

        /// <summary>Starts a line: "TT1 &lt;kind&gt;".</summary>
        public void Begin(string kind)
        {
            length = 0;
            overflow = false;
            Append(Protocol.Prefix);
            AppendDigits(Protocol.Version);
            AppendChar(' ');
            AppendToken(kind);
        }

        /// <summary>Adds " key=value" with an integer value.</summary>
        public void Int(string key, long value)
        {
            StartKey(key);
            AppendDigits(value);
            EndKey();
        }

        /// <summary>Adds " keyINDEX=value" ("f", 3 → " f3=value") with an integer value, without building the key.</summary>
        public void IndexedInt(string key, int index, long value)
        {
            mark = length;
            overflow = false;
            AppendChar(' ');
            Append(key);
            AppendDigits(index);
            AppendChar('=');
            AppendDigits(value);
            EndKey();
        }

        /// <summary>Adds " key=token"; characters outside the token set become '_'.</summary>
        public void Token(string key, string value)
        {
            StartKey(key);
            if (value == null || value.Length == 0) AppendChar('-');
            else AppendToken(value);
            EndKey();
        }

        /// <summary>
        /// Adds " key=free_text": spaces and other characters outside the token set become '_'. Text longer than the room
        /// left on the line is cut to fit and ends in <see cref="CutMark"/> (counted in <see cref="TextsCut"/>), not
        /// dropped: a person reads it, and its start says what went wrong. Without room for the key and a few characters of
        /// text, the key is dropped whole as any other.
        /// </summary>
        public void Text(string key, string value)
        {
            if (value == null || value.Length == 0) { Token(key, value); return; }
            StartKey(key);
            int room = Protocol.MaxLineChars - length;
            if (value.Length <= room) AppendToken(value);
            else if (room < CutMark.Length + 1) overflow = true;
            else
            {
                for (int i = 0; i < room - CutMark.Length; i++) AppendChar(Protocol.IsValueChar(value[i]) ? value[i] : '_');
                Append(CutMark);
                TextsCut++;
            }
            EndKey();
        }

        /// <summary>The end of a free text cut to fit its line (value characters, so the line still parses).</summary>
        public const string CutMark = "...";

        /// <summary>Adds " key=free_text" followed by a number ("class must be 0.." and 1 → class_must_be_0..1) without building a string.</summary>
        public void Text(string key, string value, long number)
        {
            StartKey(key);
            AppendToken(value);
            AppendDigits(number);
            EndKey();
        }

        /// <summary>Ends the line with '\n' and writes it.</summary>
        public void End()
        {
            buffer[length++] = (byte)'\n';
            port.Write(buffer, 0, length);
            LinesWritten++;
        }

        private void StartKey(string key)
        {
            mark = length;
            overflow = false;
            AppendChar(' ');
            Append(key);
            AppendChar('=');
        }

        private void EndKey()
        {
            if (overflow)
            {
                length = mark;
                overflow = false;
                KeysDropped++;
            }
        }

        private void Append(string s)
        {
            for (int i = 0; i < s.Length; i++) AppendChar(s[i]);
        }

        private void AppendToken(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                AppendChar(Protocol.IsValueChar(c) ? c : '_');
            }
        }

        private void AppendChar(char c)
        {
            if (length >= Protocol.MaxLineChars) { overflow = true; return; }
            buffer[length++] = (byte)c;
        }

        private void AppendDigits(long value)
        {
            if (value < 0)
            {
                AppendChar('-');
                if (value == long.MinValue) { Append("9223372036854775808"); return; }
                value = -value;
            }
            int n = 0;
            do
            {
                digits[n++] = (byte)('0' + (int)(value % 10));
                value /= 10;
            } while (value != 0);
            while (n > 0) AppendChar((char)digits[--n]);
        }
    }
}
