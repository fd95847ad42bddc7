namespace TinTin.Core
{
    /// <summary>
    /// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib and PNG compute it. Half a byte
    /// per table step: a 16-entry table (84 B of heap on a board, built once) instead of the usual
    /// 256 entries (1,044 B, held for the whole run once a model is loaded), for two lookups per byte.
    /// </summary>
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
            for (int i = offset; i < end; i++)
            {
                crc ^= data[i];
                crc = t[crc & 0xF] ^ (crc >> 4);
                crc = t[crc & 0xF] ^ (crc >> 4);
            }
            return crc;
        }

        private static uint[] BuildTable()
        {
            uint[] t = new uint[16]; // [16] the CRC of each 4-bit value
            for (uint n = 0; n < 16; n++)
            {
                uint c = n;
                for (int k = 0; k < 4; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[n] = c;
            }
            return t;
        }
    }
}
