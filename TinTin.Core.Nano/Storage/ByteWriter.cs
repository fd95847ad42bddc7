using System;

namespace TinTin.Core
{
    /// <summary>Where a streaming <see cref="ByteWriter"/> hands each filled chunk, in order (e.g. a flash slot).</summary>
    public interface IByteSink
    {
        /// <summary>Takes data[0..count), the next bytes of the stream.</summary>
        void Write(byte[] data, int count);
    }

    /// <summary>
    /// Little-endian fields written in order, with running CRC-32s (IEEE, as <see cref="Crc32"/>):
    /// either straight into an array (the whole file, no sink) or through a small buffer handed to an
    /// <see cref="IByteSink"/> whenever it fills (a checkpoint streamed to flash: no file-sized buffer
    /// on the heap). Two CRCs run: over every byte since Begin (<see cref="Crc"/>) and over every byte
    /// since <see cref="StartSection"/> (<see cref="SectionCrc"/>: the model file's own CRC inside a
    /// checkpoint image). Reusable; allocates nothing.
    /// </summary>
    public sealed class ByteWriter
    {
        private byte[] buffer;   // array mode: the destination; streaming: the chunk
        private IByteSink sink;  // null in array mode
        private int start;       // array mode: the offset the write began at; streaming: 0
        private int length;      // next free position in buffer
        private int handed;      // bytes already handed to the sink
        private uint crc, sectionCrc;
        private int crcAt, sectionAt; // buffer positions each CRC has been folded up to

        /// <summary>Array mode: the bytes go to destination[offset ..]; writing past its end throws.</summary>
        public void Begin(byte[] destination, int offset)
        {
            if (destination == null || offset < 0 || offset > destination.Length) throw new ArgumentException("no room to write at offset " + offset);
            Reset(destination, null, offset);
        }

        /// <summary>Streaming mode: the bytes collect in chunk and go to sink whenever it fills, and at <see cref="End"/>.</summary>
        public void Begin(byte[] chunk, IByteSink sink)
        {
            if (chunk == null || chunk.Length < 8 || sink == null) throw new ArgumentException("streaming needs a chunk of at least 8 bytes and a sink");
            Reset(chunk, sink, 0);
        }

        private void Reset(byte[] b, IByteSink s, int offset)
        {
            buffer = b;
            sink = s;
            start = offset;
            length = offset;
            handed = 0;
            crc = 0xFFFFFFFFu;
            sectionCrc = 0xFFFFFFFFu;
            crcAt = offset;
            sectionAt = offset;
        }

        /// <summary>Bytes written since Begin.</summary>
        public int Count { get { return handed + length - start; } }

        /// <summary>Starts the section whose CRC <see cref="SectionCrc"/> gives.</summary>
        public void StartSection()
        {
            sectionCrc = 0xFFFFFFFFu;
            sectionAt = length;
        }

        /// <summary>CRC-32 of the bytes since <see cref="StartSection"/>.</summary>
        public uint SectionCrc()
        {
            sectionCrc = Crc32.Update(sectionCrc, buffer, sectionAt, length - sectionAt);
            sectionAt = length;
            return sectionCrc ^ 0xFFFFFFFFu;
        }

        /// <summary>CRC-32 of the bytes since Begin.</summary>
        public uint Crc()
        {
            crc = Crc32.Update(crc, buffer, crcAt, length - crcAt);
            crcAt = length;
            return crc ^ 0xFFFFFFFFu;
        }

        public void U8(int value)
        {
            if (length == buffer.Length) Flush();
            buffer[length++] = (byte)value;
        }

        public void U16(int value)
        {
            U8(value);
            U8(value >> 8);
        }

        public void U32(uint value)
        {
            U8((int)(long)(value & 0xFF));
            U8((int)(long)((value >> 8) & 0xFF));
            U8((int)(long)((value >> 16) & 0xFF));
            U8((int)(long)(value >> 24));
        }

        public void I64(long value)
        {
            U32((uint)value);
            U32((uint)(value >> 32));
        }

        /// <summary>Hands what is left in the chunk to the sink (streaming mode; nothing in array mode).</summary>
        public void End()
        {
            if (sink != null && length > 0) Flush();
        }

        private void Flush()
        {
            if (sink == null) throw new ArgumentException("the destination holds " + buffer.Length + " bytes; the write needs more");
            crc = Crc32.Update(crc, buffer, crcAt, length - crcAt);
            sectionCrc = Crc32.Update(sectionCrc, buffer, sectionAt, length - sectionAt);
            sink.Write(buffer, length);
            handed += length;
            length = 0;
            crcAt = 0;
            sectionAt = 0;
        }
    }
}
