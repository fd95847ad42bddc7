using System;

namespace TinTin.Core
{
    /// <summary>
    /// The compact binary model format, little-endian:
    /// <code>
    ///  0  u32  magic "TTNM"
    ///  4  u16  format version (1)
    ///  6  u16  flags (0)
    ///  8  u32  payload bytes
    /// 12  payload:
    ///       u16 layer count, then per layer: u8 kind, u16 input length, u16 output length;
    ///         Dense adds: i8 master exponent, i8 weight exponent, i8 bias exponent,
    ///                     int16 master weights [out][in], int32 biases [out]
    ///       u16 normaliser feature count (0: none); if any: i8 input exponent, then per feature
    ///         i32 offset, i32 plus mask, i32 minus mask, u8 fraction bits
    ///  .. u32  CRC-32 of every byte before it
    /// </code>
    /// The int8 weights are re-derived from the master copy and the stored weight exponent, so
    /// a round trip is exact. Every truncation, corruption or version mismatch is rejected with
    /// a <see cref="ModelFormatException"/> that says what is wrong.
    /// </summary>
    public static class ModelFile
    {
        public const uint Magic = 0x4D4E5454; // bytes 'T','T','N','M'
        public const int FormatVersion = 1;
        public const int HeaderBytes = 12;

        /// <summary>Exact size of the saved model.</summary>
        public static int SizeOf(Model model)
        {
            int size = HeaderBytes + 2;
            Layer[] layers = model.Network.Layers;
            for (int l = 0; l < layers.Length; l++)
            {
                size += 5;
                DenseLayer dense = layers[l] as DenseLayer;
                if (dense != null) size += 3 + 2 * dense.MasterWeights.Length + 4 * dense.Bias.Length;
            }
            size += 2;
            if (model.Normalizer != null) size += 1 + 13 * model.Normalizer.FeatureCount;
            return size + 4;
        }

        public static byte[] Save(Model model)
        {
            byte[] buffer = new byte[SizeOf(model)];
            Write(model, buffer);
            return buffer;
        }

        /// <summary>Writes the model into buffer (at least SizeOf bytes, e.g. preallocated by firmware); returns the bytes written.</summary>
        public static int Write(Model model, byte[] buffer)
        {
            int size = SizeOf(model);
            if (buffer.Length < size) throw new ArgumentException("buffer holds " + buffer.Length + " bytes, the model needs " + size);
            int at = 0;
            at = LittleEndian.PutU32(buffer, at, Magic);
            at = LittleEndian.PutU16(buffer, at, FormatVersion);
            at = LittleEndian.PutU16(buffer, at, 0);
            at = LittleEndian.PutU32(buffer, at, (uint)(size - HeaderBytes - 4));
            Layer[] layers = model.Network.Layers;
            at = LittleEndian.PutU16(buffer, at, layers.Length);
            for (int l = 0; l < layers.Length; l++)
            {
                Layer layer = layers[l];
                buffer[at++] = (byte)layer.Kind;
                at = LittleEndian.PutU16(buffer, at, layer.InputLength);
                at = LittleEndian.PutU16(buffer, at, layer.OutputLength);
                DenseLayer dense = layer as DenseLayer;
                if (dense == null) continue;
                buffer[at++] = (byte)(sbyte)dense.MasterExponent;
                buffer[at++] = (byte)(sbyte)dense.WeightExponent;
                buffer[at++] = (byte)(sbyte)dense.BiasExponent;
                short[] master = dense.MasterWeights;
                for (int i = 0; i < master.Length; i++) at = LittleEndian.PutU16(buffer, at, (ushort)master[i]);
                int[] bias = dense.Bias;
                for (int i = 0; i < bias.Length; i++) at = LittleEndian.PutU32(buffer, at, (uint)bias[i]);
            }
            InputNormalizer normalizer = model.Normalizer;
            at = LittleEndian.PutU16(buffer, at, normalizer == null ? 0 : normalizer.FeatureCount);
            if (normalizer != null)
            {
                buffer[at++] = (byte)(sbyte)normalizer.InputExponent;
                for (int i = 0; i < normalizer.FeatureCount; i++)
                {
                    FeatureScale f = normalizer.Features[i];
                    at = LittleEndian.PutU32(buffer, at, (uint)f.Offset);
                    at = LittleEndian.PutU32(buffer, at, (uint)f.Scale.PlusMask);
                    at = LittleEndian.PutU32(buffer, at, (uint)f.Scale.MinusMask);
                    buffer[at++] = (byte)f.Scale.FractionBits;
                }
            }
            at = LittleEndian.PutU32(buffer, at, Crc32.Compute(buffer, 0, at));
            return at;
        }

        /// <summary>Reads a model from data[0..length); the network gets a training arena as given (see Network).</summary>
        public static Model Load(byte[] data, int length, int trainingCapacityInts, bool withMomentum)
        {
            if (data == null) throw new ModelFormatException("no model data");
            if (length > data.Length) length = data.Length;
            if (length < HeaderBytes + 4) throw new ModelFormatException("model truncated: " + length + " bytes is shorter than the " + (HeaderBytes + 4) + "-byte header and checksum");
            if (LittleEndian.GetU32(data, 0) != Magic) throw new ModelFormatException("not a TinTin model: the file does not start with \"TTNM\"");
            int version = LittleEndian.GetU16(data, 4);
            if (version != FormatVersion) throw new ModelFormatException("unsupported model format version " + version + "; this engine reads version " + FormatVersion);
            if (LittleEndian.GetU16(data, 6) != 0) throw new ModelFormatException("unknown model flags " + LittleEndian.GetU16(data, 6));
            uint payload = LittleEndian.GetU32(data, 8);
            if (payload > 0x7FFFFFF0u || HeaderBytes + (long)payload + 4 > length)
                throw new ModelFormatException("model truncated: header promises " + (HeaderBytes + (long)payload + 4) + " bytes, only " + length + " present");
            int end = HeaderBytes + (int)(long)payload;
            uint stored = LittleEndian.GetU32(data, end);
            uint actual = Crc32.Compute(data, 0, end);
            if (stored != actual) throw new ModelFormatException("model corrupted: CRC-32 mismatch (stored " + stored + ", computed " + actual + ")");

            int at = HeaderBytes;
            at = Need(data, at, 2, end);
            int count = LittleEndian.GetU16(data, at - 2);
            if (count < 1 || count > 64) throw new ModelFormatException("model has " + count + " layers; 1 to 64 are allowed");
            Layer[] layers = new Layer[count];
            for (int l = 0; l < count; l++)
            {
                at = Need(data, at, 5, end);
                LayerKind kind = (LayerKind)data[at - 5];
                int inLength = LittleEndian.GetU16(data, at - 4);
                int outLength = LittleEndian.GetU16(data, at - 2);
                if (inLength == 0 || outLength == 0) throw new ModelFormatException("layer " + l + " has a zero size");
                if (l > 0 && inLength != layers[l - 1].OutputLength)
                    throw new ModelFormatException("layer " + l + " takes " + inLength + " values but layer " + (l - 1) + " gives " + layers[l - 1].OutputLength);
                if (kind == LayerKind.Relu)
                {
                    if (inLength != outLength) throw new ModelFormatException("ReLU layer " + l + " changes size");
                    layers[l] = new ReluLayer(inLength);
                }
                else if (kind == LayerKind.Dense)
                {
                    at = Need(data, at, 3 + 2 * inLength * outLength + 4 * outLength, end);
                    int p = at - (3 + 2 * inLength * outLength + 4 * outLength);
                    DenseLayer dense = new DenseLayer(inLength, outLength);
                    dense.MasterExponent = (sbyte)data[p++];
                    int weightExponent = (sbyte)data[p++];
                    dense.BiasExponent = (sbyte)data[p++];
                    int shift = weightExponent - dense.MasterExponent;
                    if (shift < 0 || shift > 15) throw new ModelFormatException("layer " + l + " has an invalid weight exponent");
                    for (int i = 0; i < dense.MasterWeights.Length; i++, p += 2)
                    {
                        short w = (short)LittleEndian.GetU16(data, p);
                        if (w == short.MinValue) throw new ModelFormatException("layer " + l + " master weight " + i + " is out of range");
                        dense.MasterWeights[i] = w;
                    }
                    for (int i = 0; i < dense.Bias.Length; i++, p += 4) dense.Bias[i] = (int)(long)LittleEndian.GetU32(data, p);
                    dense.DeriveInt8Weights(shift);
                    layers[l] = dense;
                }
                else throw new ModelFormatException("layer " + l + " has unknown kind " + (int)kind);
            }
            at = Need(data, at, 2, end);
            int features = LittleEndian.GetU16(data, at - 2);
            InputNormalizer normalizer = null;
            if (features > 0)
            {
                at = Need(data, at, 1 + 13 * features, end);
                int p = at - (1 + 13 * features);
                int inputExponent = (sbyte)data[p++];
                FeatureScale[] scales = new FeatureScale[features];
                for (int i = 0; i < features; i++)
                {
                    int offset = (int)(long)LittleEndian.GetU32(data, p);
                    int plus = (int)(long)LittleEndian.GetU32(data, p + 4);
                    int minus = (int)(long)LittleEndian.GetU32(data, p + 8);
                    int fraction = data[p + 12];
                    p += 13;
                    try { scales[i] = new FeatureScale(offset, new ShiftSum(plus, minus, fraction)); }
                    catch (ArgumentException e) { throw new ModelFormatException("feature " + i + " scale is invalid: " + e.Message); }
                }
                normalizer = new InputNormalizer(scales, inputExponent);
            }
            if (at != end) throw new ModelFormatException("model has " + (end - at) + " unexpected bytes after its content");
            Network network;
            Model model;
            try
            {
                network = new Network(layers, trainingCapacityInts, withMomentum);
                model = new Model(network, normalizer);
            }
            catch (ArgumentException e) { throw new ModelFormatException("model architecture is invalid: " + e.Message); }
            return model;
        }

        private static int Need(byte[] data, int at, int bytes, int end)
        {
            if (bytes < 0 || at + bytes > end) throw new ModelFormatException("model content ends early at byte " + at);
            return at + bytes;
        }
    }
}
