namespace TinTin.Fleet
{
    /// <summary>
    /// SHA-256 (FIPS 180-4) in 32-bit unsigned integers, for the board to verify fleet models:
    /// nanoFramework's mscorlib has no hash, and no nanoFramework crypto package is in reach of
    /// this build. Streaming (Reset, Update, Final); every buffer allocated in the constructor, so
    /// hashing a message allocates nothing. Tested against System.Security.Cryptography on the host.
    /// </summary>
    public sealed class Sha256
    {
        public const int HashBytes = 32;
        public const int BlockBytes = 64;

        // [64] K0..K63, built by the first Sha256 and shared: nanoCLR runs every static constructor at start-up,
        // so a static table held 268 B of board heap from boot even on a board that never hashes.
        private static uint[] roundConstants;

        private static uint[] BuildRoundConstants()
        {
            return new uint[]
            {
                0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
                0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
                0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
                0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
                0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
                0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
                0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
                0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
            };
        }

        private readonly uint[] state = new uint[8];      // [8] running hash H0..H7
        private readonly uint[] schedule = new uint[64];  // [64] message schedule W
        private readonly byte[] block = new byte[BlockBytes]; // [64] bytes not yet compressed
        private int blockFill;
        private long totalBytes;

        public Sha256()
        {
            if (roundConstants == null) roundConstants = BuildRoundConstants();
            Reset();
        }

        public void Reset()
        {
            state[0] = 0x6a09e667; state[1] = 0xbb67ae85; state[2] = 0x3c6ef372; state[3] = 0xa54ff53a;
            state[4] = 0x510e527f; state[5] = 0x9b05688c; state[6] = 0x1f83d9ab; state[7] = 0x5be0cd19;
            blockFill = 0;
            totalBytes = 0;
        }

        public void Update(byte[] data, int offset, int count)
        {
            totalBytes += count;
            int end = offset + count;
            while (offset < end)
            {
                int take = BlockBytes - blockFill;
                if (take > end - offset) take = end - offset;
                for (int i = 0; i < take; i++) block[blockFill + i] = data[offset + i];
                blockFill += take;
                offset += take;
                if (blockFill == BlockBytes) { Compress(); blockFill = 0; }
            }
        }

        /// <summary>Pads, writes the 32-byte digest to destination[offset..] and resets for the next message.</summary>
        public void Final(byte[] destination, int offset)
        {
            long bits = totalBytes << 3;
            block[blockFill++] = 0x80;
            if (blockFill > BlockBytes - 8)
            {
                while (blockFill < BlockBytes) block[blockFill++] = 0;
                Compress();
                blockFill = 0;
            }
            while (blockFill < BlockBytes - 8) block[blockFill++] = 0;
            for (int i = 7; i >= 0; i--) { block[blockFill + i] = (byte)(bits & 0xFF); bits >>= 8; }
            Compress();
            for (int i = 0; i < 8; i++)
            {
                uint h = state[i];
                destination[offset + 4 * i] = (byte)(h >> 24);
                destination[offset + 4 * i + 1] = (byte)(h >> 16);
                destination[offset + 4 * i + 2] = (byte)(h >> 8);
                destination[offset + 4 * i + 3] = (byte)h;
            }
            Reset();
        }

        /// <summary>One 64-byte block into the state (FIPS 180-4 §6.2.2).</summary>
        private void Compress()
        {
            uint[] w = schedule;
            for (int t = 0; t < 16; t++)
                w[t] = ((uint)block[4 * t] << 24) | ((uint)block[4 * t + 1] << 16) | ((uint)block[4 * t + 2] << 8) | block[4 * t + 3];
            for (int t = 16; t < 64; t++)
            {
                uint x = w[t - 15];
                uint y = w[t - 2];
                uint s0 = ((x >> 7) | (x << 25)) ^ ((x >> 18) | (x << 14)) ^ (x >> 3);
                uint s1 = ((y >> 17) | (y << 15)) ^ ((y >> 19) | (y << 13)) ^ (y >> 10);
                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
            }
            uint a = state[0], b = state[1], c = state[2], d = state[3];
            uint e = state[4], f = state[5], g = state[6], h = state[7];
            uint[] k = roundConstants;
            for (int t = 0; t < 64; t++)
            {
                uint sum1 = ((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7));
                uint choose = (e & f) ^ (~e & g);
                uint t1 = h + sum1 + choose + k[t] + w[t];
                uint sum0 = ((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10));
                uint majority = (a & b) ^ (a & c) ^ (b & c);
                uint t2 = sum0 + majority;
                h = g; g = f; f = e; e = d + t1;
                d = c; c = b; b = a; a = t1 + t2;
            }
            state[0] += a; state[1] += b; state[2] += c; state[3] += d;
            state[4] += e; state[5] += f; state[6] += g; state[7] += h;
        }
    }
}
