using System;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// Reads <see cref="TapeValues"/> forward, one chunk at a time into one int buffer sized at
    /// construction: integers (rows) or packed decision bits. The generated tape writes each chunk's
    /// values as integer constants of its code, so after construction reading allocates nothing on
    /// the managed heap (a string literal per chunk cost a string object each time, and near the
    /// C3's heap that allocation was where replay runs on nanoclr32 ran out: the harness's, not the
    /// firmware's).
    /// </summary>
    public sealed class TapeReader
    {
        private readonly TapeValues tape;
        private readonly int[] chunk;   // [tape.LongestChunk] the current chunk's values
        private int chunkLength;        // values of the current chunk in use
        private int chunkIndex = -1;
        private int at;
        private int decisionBits = 1;   // the current packed decisions: bits still to read above a sentinel 1

        public TapeReader(TapeValues tape)
        {
            if (tape == null) throw new ArgumentException("the tape has no values here");
            this.tape = tape;
            chunk = new int[tape.LongestChunk > 0 ? tape.LongestChunk : 1];
        }

        /// <summary>True when no value is left.</summary>
        public bool AtEnd
        {
            get
            {
                while (at >= chunkLength)
                {
                    if (chunkIndex + 1 >= tape.ChunkCount) return true;
                    chunkIndex++;
                    chunkLength = tape.Fill(chunkIndex, chunk);
                    at = 0;
                }
                return false;
            }
        }

        /// <summary>The next integer (rows).</summary>
        public int NextInteger()
        {
            if (AtEnd) throw new InvalidOperationException("the tape ended inside a row");
            return chunk[at++];
        }

        /// <summary>
        /// The next decision (the virtual person labels this prediction or not). Decisions are packed
        /// up to <see cref="TapeValues.DecisionsPerValue"/> to a value, first decision in bit 0, above
        /// them a sentinel 1 bit that marks where the value's decisions end.
        /// </summary>
        public bool NextDecision()
        {
            if (decisionBits == 1)
            {
                if (AtEnd) throw new InvalidOperationException("the tape ended: no decision left");
                decisionBits = chunk[at++];
                if (decisionBits < 2) throw new InvalidOperationException("tape: decision value " + decisionBits + " holds no decision (chunk " + chunkIndex + ")");
            }
            bool decision = (decisionBits & 1) != 0;
            decisionBits >>= 1;
            return decision;
        }
    }
}
