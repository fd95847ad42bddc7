using System;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// Reads <see cref="TapeText"/> forward: integers separated by ',' and ';' (rows), or single
    /// characters (decisions). Copies the current chunk into one char buffer sized to the longest
    /// chunk at construction (indexing a string on nanoCLR walks its UTF-8 text from the start, so each
    /// value is read from the buffer, not the string). A char[] per chunk (ToCharArray, a native
    /// allocation of about 550 B every 8 rows) took the board's heap on nanoclr32 and was where runs
    /// near the C3's heap ran out; now nothing is allocated after construction but the chunk's string.
    /// </summary>
    public sealed class TapeReader
    {
        private readonly TapeText text;
        private readonly char[] chunk;   // [longest chunk] the current chunk's characters
        private int chunkLength;         // characters of the current chunk in use
        private int chunkIndex = -1;
        private int at;

        public TapeReader(TapeText text)
        {
            if (text == null) throw new ArgumentException("the tape has no text here");
            this.text = text;
            int longest = 1;
            for (int i = 0; i < text.ChunkCount; i++)
            {
                int length = text.Chunk(i).Length;
                if (length > longest) longest = length;
            }
            chunk = new char[longest];
        }

        /// <summary>True when no character is left.</summary>
        public bool AtEnd
        {
            get
            {
                while (at >= chunkLength)
                {
                    if (chunkIndex + 1 >= text.ChunkCount) return true;
                    chunkIndex++;
                    string next = text.Chunk(chunkIndex);
                    chunkLength = next.Length;
                    for (int i = 0; i < chunkLength; i++) chunk[i] = next[i];
                    at = 0;
                }
                return false;
            }
        }

        /// <summary>The next character (call AtEnd first).</summary>
        public char NextChar()
        {
            if (AtEnd) throw new InvalidOperationException("the tape ended");
            return chunk[at++];
        }

        /// <summary>The next integer, consuming its terminator (',' or ';') if present.</summary>
        public long NextInteger()
        {
            if (AtEnd) throw new InvalidOperationException("the tape ended inside a row");
            bool negative = false;
            if (chunk[at] == '-') { negative = true; at++; }
            long value = 0;
            int digits = 0;
            while (at < chunkLength)
            {
                char c = chunk[at];
                if (c == ',' || c == ';') { at++; break; }
                if (c < '0' || c > '9') throw new InvalidOperationException("tape: '" + c.ToString() + "' in a number (chunk " + chunkIndex + ", offset " + at + ")");
                value = value * 10 + (c - '0');
                digits++;
                at++;
            }
            if (digits == 0) throw new InvalidOperationException("tape: empty number (chunk " + chunkIndex + ", offset " + at + ")");
            return negative ? -value : value;
        }
    }
}
