namespace TinTin.Core
{
    /// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib and PNG compute it. Table built once.</summary>
    public static class Crc32
    {
        private static uint[] table;

        public static uint Compute(byte[] data, int offset, int count)
        {
            return Update(0xFFFFFFFFu, data, offset, count) ^ 0xFFFFFFFFu;
        }

        /// <summary>Continues a running CRC (start with 0xFFFFFFFF, finish by xor with 0xFFFFFFFF).</summary>
        public static uint Update(uint crc, byte[] data, int offset, int count)
        {
            uint[] t = table;
            if (t == null) t = table = BuildTable();
            int end = offset + count;
            for (int i = offset; i < end; i++) crc = t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        private static uint[] BuildTable()
        {
            uint[] t = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[n] = c;
            }
            return t;
        }
    }
}
