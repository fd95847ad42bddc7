namespace TinTin.Core
{
    /// <summary>
    /// Little-endian integer fields in byte buffers, for the model file and firmware checkpoints
    /// (BinaryPrimitives is a separate nanoFramework package; these few lines avoid the dependency).
    /// Put methods return the offset after the field.
    /// </summary>
    public static class LittleEndian
    {
        public static int PutU16(byte[] b, int at, int v)
        {
            b[at] = (byte)v; b[at + 1] = (byte)(v >> 8);
            return at + 2;
        }

        public static int PutU32(byte[] b, int at, uint v)
        {
            b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24);
            return at + 4;
        }

        public static int PutI64(byte[] b, int at, long v)
        {
            PutU32(b, at, (uint)v);
            return PutU32(b, at + 4, (uint)(v >> 32));
        }

        public static int GetU16(byte[] b, int at) { return b[at] | (b[at + 1] << 8); }

        public static uint GetU32(byte[] b, int at)
        {
            return (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
        }

        public static long GetI64(byte[] b, int at)
        {
            return (long)GetU32(b, at) | ((long)GetU32(b, at + 4) << 32);
        }
    }
}
