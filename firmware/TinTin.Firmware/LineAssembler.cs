namespace TinTin.Firmware
{
    /// <summary>
    /// Turns received bytes into lines for <see cref="ISerialPort.ReadLine"/> bindings: '\n' ends a
    /// line, '\r' is dropped. A line longer than <see cref="Protocol.MaxLineChars"/> is cut to
    /// MaxLineChars + 1 characters (so the command parser reports it as too long) and the rest of
    /// it, up to the next '\n', is discarded. Bytes are kept as chars (non-ASCII bytes reach the
    /// parser, which rejects them).
    /// </summary>
    public sealed class LineAssembler
    {
        private readonly char[] chars = new char[Protocol.MaxLineChars + 1];
        private int length;
        private bool overflowed;

        /// <summary>Feeds one byte; returns the completed line when b ends one, else null.</summary>
        public string Feed(byte b)
        {
            if (b == (byte)'\n')
            {
                string line = new string(chars, 0, length);
                length = 0;
                overflowed = false;
                return line;
            }
            if (b == (byte)'\r') return null;
            if (length < chars.Length) chars[length++] = (char)b;
            else overflowed = true;
            return null;
        }

        /// <summary>Whether the current line has been cut.</summary>
        public bool Overflowed { get { return overflowed; } }

        public void Clear() { length = 0; overflowed = false; }
    }
}
