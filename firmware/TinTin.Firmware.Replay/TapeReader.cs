using System;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// Reads <see cref="TapeText"/> forward: integers separated by ',' and ';' (rows), or single
    /// characters (decisions). Keeps only the current chunk, copied to a char array once (indexing a
    /// string on nanoCLR walks its UTF-8 text from the start: a 64-row chunk cost about a million
    /// native instructions per row that way). Allocates one small array per chunk, nothing per value.
    /// </summary>
    public sealed class TapeReader
    {
        private readonly TapeText text;
        private char[] chunk;
        private int chunkIndex = -1;
        private int at;

        public TapeReader(TapeText text)
        {
            if (text == null) throw new ArgumentException("the tape has no text here");
            this.text = text;
        }

        /// <summary>True when no character is left.</summary>
        public bool AtEnd
        {
            get
            {
                while (chunk == null || at >= chunk.Length)
                {
                    if (chunkIndex + 1 >= text.ChunkCount) return true;
                    chunkIndex++;
                    chunk = text.Chunk(chunkIndex).ToCharArray();
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
            while (at < chunk.Length)
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
