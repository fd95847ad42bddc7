namespace TinTin.Firmware
{
    /// <summary>Raw received bytes of a serial line (a UART on a board, a fake in the tests).</summary>
    public interface ISerialBytes
    {
        /// <summary>Bytes waiting to be read (0: none). Never blocks.</summary>
        int BytesToRead { get; }
        /// <summary>Reads up to count bytes into buffer[offset..]; returns how many (0 or fewer: none).</summary>
        int Read(byte[] buffer, int offset, int count);
    }

    /// <summary>
    /// Whole lines out of a byte stream read in chunks of any size: every completed line is
    /// delivered, one per <see cref="ReadLine"/> call, in order. Bytes after a completed line stay
    /// in the read buffer until the next call, so several commands in one read are not lost
    /// (the board's UART reader used to keep only the first). Lines are cut and cleaned by the
    /// shared <see cref="LineAssembler"/>. The buffer is allocated once; the only allocation per
    /// line is the line's string.
    /// </summary>
    public sealed class SerialLineReader
    {
        private readonly ISerialBytes source;
        private readonly LineAssembler assembler = new LineAssembler();
        private readonly byte[] buffer; // [readSize] bytes of the last read
        private int next;               // first byte of buffer not yet fed to the assembler
        private int end;                // bytes valid in buffer

        /// <param name="readSize">Bytes asked of the source per read (1 ..).</param>
        public SerialLineReader(ISerialBytes source, int readSize)
        {
            if (source == null) throw new System.ArgumentException("a line reader needs a byte source");
            if (readSize < 1) throw new System.ArgumentException("readSize must be at least 1");
            this.source = source;
            buffer = new byte[readSize];
        }

        /// <summary>The next completed line (without '\r'/'\n'), or null when no complete line has arrived yet. Never blocks.</summary>
        public string ReadLine()
        {
            while (true)
            {
                while (next < end)
                {
                    string line = assembler.Feed(buffer[next++]);
                    if (line != null) return line;
                }
                if (source.BytesToRead <= 0) return null;
                int n = source.Read(buffer, 0, buffer.Length);
                next = 0;
                end = n > 0 ? (n < buffer.Length ? n : buffer.Length) : 0;
                if (end == 0) return null;
            }
        }

        /// <summary>Bytes read from the source but not yet assembled into a line.</summary>
        public int BufferedBytes { get { return end - next; } }
    }
}
