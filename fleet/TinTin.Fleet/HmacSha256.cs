namespace TinTin.Fleet
{
    /// <summary>
    /// HMAC-SHA256 (RFC 2104) with a fixed key: the padded inner and outer keys are prepared once,
    /// so authenticating a message costs two hash passes and allocates nothing.
    /// </summary>
    public sealed class HmacSha256
    {
        public const int TagBytes = Sha256.HashBytes;

        private readonly Sha256 hash = new Sha256();
        private readonly byte[] innerPad = new byte[Sha256.BlockBytes]; // [64] key ^ 0x36
        private readonly byte[] outerPad = new byte[Sha256.BlockBytes]; // [64] key ^ 0x5c
        private readonly byte[] innerDigest = new byte[Sha256.HashBytes];
        private readonly byte[] expected = new byte[TagBytes];

        public HmacSha256(byte[] key)
        {
            if (key == null || key.Length == 0) throw new System.ArgumentException("an HMAC key must not be empty");
            byte[] k = new byte[Sha256.BlockBytes];
            if (key.Length > Sha256.BlockBytes)
            {
                hash.Update(key, 0, key.Length);
                hash.Final(k, 0);
            }
            else for (int i = 0; i < key.Length; i++) k[i] = key[i];
            for (int i = 0; i < Sha256.BlockBytes; i++)
            {
                innerPad[i] = (byte)(k[i] ^ 0x36);
                outerPad[i] = (byte)(k[i] ^ 0x5c);
            }
        }

        /// <summary>Writes the 32-byte tag of data[offset, offset+count) to destination[at..].</summary>
        public void Compute(byte[] data, int offset, int count, byte[] destination, int at)
        {
            hash.Update(innerPad, 0, Sha256.BlockBytes);
            hash.Update(data, offset, count);
            hash.Final(innerDigest, 0);
            hash.Update(outerPad, 0, Sha256.BlockBytes);
            hash.Update(innerDigest, 0, Sha256.HashBytes);
            hash.Final(destination, at);
        }

        /// <summary>Whether tag[tagAt..+32] authenticates data[offset, offset+count); compares every byte (no early exit).</summary>
        public bool Verify(byte[] data, int offset, int count, byte[] tag, int tagAt)
        {
            Compute(data, offset, count, expected, 0);
            int difference = 0;
            for (int i = 0; i < TagBytes; i++) difference |= expected[i] ^ tag[tagAt + i];
            return difference == 0;
        }
    }
}
