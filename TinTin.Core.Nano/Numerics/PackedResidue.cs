namespace TinTin.Core
{
    /// <summary>
    /// The 4 bits below each int8 weight in <see cref="TrainingStateMode.FusedInt8Residue"/>: a 12-bit
    /// "fine" weight fine = 16 · w + r (at exponent WeightExponent − 4) split into the int8 weight
    /// w = (fine + 8) >> 4 (what forward and backward read, unchanged) and the signed residue
    /// r = fine − 16 · w in [−8, 7], packed two per byte: weight k's residue is the low nibble of
    /// packed[k / 2] when k is even, the high nibble when k is odd (two's complement in 4 bits).
    /// Ranges: w in [−127, 127] (QMath's symmetric int8), so fine in [FineMin, FineMax] = [−2040, 2039].
    /// Scalar helpers for the reference kernel, the layer's rescale and tests; the fast kernel inlines them.
    /// </summary>
    public static class PackedResidue
    {
        /// <summary>Bits of the residue: the fine weight is 2^Bits finer than the int8 weight.</summary>
        public const int Bits = 4;
        public const int FineMax = 16 * QMath.Int8Max + 7;
        public const int FineMin = -16 * QMath.Int8Max - 8;

        /// <summary>Bytes that hold the residues of so many weights.</summary>
        public static int BytesFor(int weights) { return (weights + 1) >> 1; }

        /// <summary>Weight k's residue, in [−8, 7].</summary>
        public static int Get(byte[] packed, int k)
        {
            int b = packed[k >> 1];
            int nibble = (k & 1) == 0 ? b & 15 : b >> 4;
            return (nibble ^ 8) - 8;
        }

        /// <summary>Sets weight k's residue (r in [−8, 7]); the other nibble of the byte is kept.</summary>
        public static void Set(byte[] packed, int k, int r)
        {
            int b = packed[k >> 1];
            packed[k >> 1] = (byte)((k & 1) == 0 ? (b & 0xF0) | (r & 15) : (b & 0x0F) | ((r & 15) << 4));
        }

        /// <summary>Weight k's fine value 16 · w + r.</summary>
        public static int Fine(sbyte[] weights, byte[] packed, int k) { return weights[k] * 16 + Get(packed, k); }

        /// <summary>Stores a fine value (saturated to [FineMin, FineMax]) as weight k and its residue.</summary>
        public static void Store(sbyte[] weights, byte[] packed, int k, int fine)
        {
            if (fine > FineMax) fine = FineMax;
            if (fine < FineMin) fine = FineMin;
            int w = (fine + 8) >> 4;
            weights[k] = (sbyte)w;
            Set(packed, k, fine - (w << 4));
        }
    }
}
