using System;

namespace TinTin.Core
{
    /// <summary>
    /// The compact binary model format, little-endian:
    /// <code>
    ///  0  u32  magic "TTNM"
    ///  4  u16  format version (2; version 1, without the decimals byte, is still read as decimals 2)
    ///  6  u16  flags (0)
    ///  8  u32  payload bytes
    /// 12  payload:
    ///       u16 layer count, then per layer: u8 kind, u16 input length, u16 output length;
    ///         Dense (1) adds the parameters: i8 master exponent, i8 weight exponent, i8 bias
    ///                     exponent, int16 master weights [channels][row], int32 biases [channels]
    ///                     (channels = output length, row = input length)
    ///         ReLU (2) adds nothing
    ///         Conv1D (3) adds u16 input channels, u16 kernel, then the parameters (channels =
    ///                     filters = output length / (input length / input channels − kernel + 1),
    ///                     row = kernel · input channels)
    ///         GlobalMaxPool (4) adds u16 channels (= output length; positions = input length / channels)
    ///       u16 normaliser feature count (0: none); if any: i8 input exponent, then per feature
    ///         i32 offset, i32 plus mask, i32 minus mask, u8 fraction bits,
    ///         i8 decimals (the raw fixed point: raw = value · 10^decimals; version 2 only)
    ///  .. u32  CRC-32 of every byte before it
    /// </code>
    /// The int8 weights are re-derived from the master copy and the stored weight exponent, so
    /// a round trip is exact. Every truncation, corruption or version mismatch is rejected with
    /// a <see cref="ModelFormatException"/> that says what is wrong.
    /// </summary>
    public static class ModelFile
    {
        public const uint Magic = 0x4D4E5454; // bytes 'T','T','N','M'
        public const int FormatVersion = 2;
        private const int FeatureBytes = 14, FeatureBytesVersion1 = 13;
        public const int HeaderBytes = 12;

        /// <summary>Exact size of the saved model.</summary>
        public static int SizeOf(Model model)
        {
            int size = HeaderBytes + 2;
            Layer[] layers = model.Network.Layers;
            for (int l = 0; l < layers.Length; l++)
            {
                size += 5;
                if (layers[l] is Conv1DLayer) size += 4;
                if (layers[l] is GlobalMaxPoolLayer) size += 2;
                ParameterLayer p = layers[l] as ParameterLayer;
                if (p != null) size += 3 + 2 * p.Weights.Length + 4 * p.Bias.Length;
            }
            size += 2;
            if (model.Normalizer != null) size += 1 + FeatureBytes * model.Normalizer.FeatureCount;
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
            return Write(model, buffer, 0);
        }

        /// <summary>
        /// Writes the model into buffer[offset .. offset + SizeOf) (e.g. straight into a checkpoint
        /// image after its header, so the firmware keeps no second model-sized buffer); returns the
        /// bytes written. The file's CRC covers only the model's own bytes.
        /// </summary>
        public static int Write(Model model, byte[] buffer, int offset)
        {
            int size = SizeOf(model);
            if (offset < 0 || buffer.Length - offset < size) throw new ArgumentException("buffer holds " + buffer.Length + " bytes, the model needs " + size + " from offset " + offset);
            ByteWriter writer = new ByteWriter();
            writer.Begin(buffer, offset);
            Write(model, writer);
            return writer.Count;
        }

        /// <summary>
        /// Writes the model's SizeOf bytes through writer (at its current position; e.g. a checkpoint
        /// streamed to flash through a small chunk). The file's CRC covers only the model's own bytes
        /// (a section of the writer). Allocates nothing.
        /// </summary>
        public static void Write(Model model, ByteWriter w)
        {
            int size = SizeOf(model);
            w.StartSection();
            w.U32(Magic);
            w.U16(FormatVersion);
            w.U16(0);
            w.U32((uint)(size - HeaderBytes - 4));
            Layer[] layers = model.Network.Layers;
            w.U16(layers.Length);
            for (int l = 0; l < layers.Length; l++)
            {
                Layer layer = layers[l];
                w.U8((int)layer.Kind);
                w.U16(layer.InputLength);
                w.U16(layer.OutputLength);
                Conv1DLayer conv = layer as Conv1DLayer;
                if (conv != null)
                {
                    w.U16(conv.InChannels);
                    w.U16(conv.Kernel);
                }
                GlobalMaxPoolLayer pool = layer as GlobalMaxPoolLayer;
                if (pool != null) w.U16(pool.Channels);
                ParameterLayer dense = layer as ParameterLayer;
                if (dense == null) continue;
                short[] master = dense.MasterWeights;
                if (master == null)
                {
                    // FusedInt8 (and FusedInt8Residue) keep no master: write the int8 (fine) weights as one, shifted left (exact on reload).
                    int masterShift = MasterShiftForInt8(dense.WeightExponent);
                    w.U8((sbyte)(dense.WeightExponent - masterShift));
                    w.U8((sbyte)dense.WeightExponent);
                    w.U8((sbyte)dense.BiasExponent);
                    sbyte[] weights = dense.Weights;
                    byte[] residues = dense.Residues;
                    if (residues == null)
                        for (int i = 0; i < weights.Length; i++) w.U16((ushort)(short)(weights[i] << masterShift));
                    else // FusedInt8Residue: the 12-bit fine values, 2^(masterShift − 4) coarser than the master (exact from 4 on)
                        for (int i = 0; i < weights.Length; i++)
                        {
                            int fine = PackedResidue.Fine(weights, residues, i);
                            int value = masterShift >= PackedResidue.Bits ? fine << (masterShift - PackedResidue.Bits) : QMath.RoundingShiftRight(fine, PackedResidue.Bits - masterShift);
                            w.U16((ushort)(short)value);
                        }
                }
                else
                {
                    w.U8((sbyte)dense.MasterExponent);
                    w.U8((sbyte)dense.WeightExponent);
                    w.U8((sbyte)dense.BiasExponent);
                    for (int i = 0; i < master.Length; i++) w.U16((ushort)master[i]);
                }
                int[] bias = dense.Bias;
                for (int i = 0; i < bias.Length; i++) w.U32((uint)bias[i]);
            }
            InputNormalizer normalizer = model.Normalizer;
            w.U16(normalizer == null ? 0 : normalizer.FeatureCount);
            if (normalizer != null)
            {
                w.U8((sbyte)normalizer.InputExponent);
                for (int i = 0; i < normalizer.FeatureCount; i++)
                {
                    FeatureScale f = normalizer.Features[i];
                    w.U32((uint)f.Offset);
                    w.U32((uint)f.Scale.PlusMask);
                    w.U32((uint)f.Scale.MinusMask);
                    w.U8(f.Scale.FractionBits);
                    w.U8((sbyte)f.Decimals);
                }
            }
            w.U32(w.SectionCrc());
        }

        /// <summary>Heap a loaded model may take when the caller gives no limit (host tools): 16 MiB.</summary>
        public const int DefaultMaxBytes = 16 * 1024 * 1024;
        /// <summary>Exponents a model may hold (weights, biases, master copies): 2^±100 is far beyond any real scale, and sums of two stay far inside int.</summary>
        public const int MinExponent = ParameterLayer.MinExponent;
        public const int MaxExponent = ParameterLayer.MaxExponent;
        /// <summary>Largest master exponent: the int8 weights derived from it (up to 15 bits coarser) must stay at or below MaxExponent.</summary>
        public const int MaxMasterExponent = ParameterLayer.MaxMasterExponent;
        /// <summary>Input exponents the normaliser accepts (InputNormalizer).</summary>
        public const int MinInputExponent = -30;
        public const int MaxInputExponent = 30;
        public const int MaxLayers = 64;

        /// <summary>
        /// The left shift that turns FusedInt8 weights at weightExponent into a master copy: 7
        /// (the master's largest magnitude then lands in [MasterLow, MasterHigh]) unless the master
        /// exponent would leave its range.
        /// </summary>
        public static int MasterShiftForInt8(int weightExponent)
        {
            int shift = 7;
            if (weightExponent - shift > MaxMasterExponent) shift = weightExponent - MaxMasterExponent;
            if (weightExponent - shift < MinExponent) shift = weightExponent - MinExponent;
            return shift < 0 ? 0 : shift;
        }

        /// <summary>Load with the host default limit <see cref="DefaultMaxBytes"/>.</summary>
        public static Model Load(byte[] data, int length, int trainingCapacityInts, bool withMomentum)
        {
            return Load(data, length, trainingCapacityInts, withMomentum, DefaultMaxBytes);
        }

        /// <summary>
        /// Reads a model from data[0..length); the network gets a training arena as given (see
        /// Network). Every field is checked before anything is allocated: sizes with 64-bit
        /// arithmetic, the heap the model will take against maxBytes (a board passes its profile's
        /// heap), every exponent and scale against its range. Any failure is a
        /// <see cref="ModelFormatException"/> naming the field; no other exception leaves here.
        /// </summary>
        public static Model Load(byte[] data, int length, int trainingCapacityInts, bool withMomentum, int maxBytes)
        {
            return Load(data, length, trainingCapacityInts, withMomentum, maxBytes, TrainingStateMode.GradientArena);
        }

        /// <summary>Load into a network whose training state is held as the mode says (see <see cref="Network"/>); the heap check counts that mode's buffers.</summary>
        public static Model Load(byte[] data, int length, int trainingCapacityInts, bool withMomentum, int maxBytes, TrainingStateMode mode)
        {
            int end = CheckedPayloadEnd(data, length);

            try
            {
                int classes;
                long heap = Check(data, end, mode == TrainingStateMode.GradientArena ? trainingCapacityInts : 0, withMomentum, out classes);
                if (heap > maxBytes)
                    throw new ModelFormatException("model size: loading it takes about " + heap + " bytes of heap, the limit is " + maxBytes);
                return Build(data, end, trainingCapacityInts, withMomentum, mode);
            }
            catch (ModelFormatException) { throw; }
            catch (Exception e)
            {
                // Check proves every field first, so this is a defence in depth: whatever a
                // constructor still refuses is a bad model, never another exception type.
                throw new ModelFormatException("model rejected: " + e.Message);
            }
        }

        /// <summary>
        /// The input length and class count of a model file, without building it (allocation-free): every field is
        /// checked as <see cref="Load(byte[], int, int, bool, int, TrainingStateMode)"/> checks it, and anything wrong is
        /// a <see cref="ModelFormatException"/> naming the field. For sizing what depends on the model's shape (a
        /// checkpoint's statistics) before the model is loaded.
        /// </summary>
        public static void Shape(byte[] data, int length, out int inputs, out int classes)
        {
            int end = CheckedPayloadEnd(data, length);
            Check(data, end, 0, false, out classes);
            inputs = LittleEndian.GetU16(data, HeaderBytes + 2 + 1);
        }

        /// <summary>
        /// The parameters of the model in data[0..length), as <see cref="Load"/> would give its parameter layers (master
        /// weights, biases, master exponent, int8 weight shift = weight exponent − master exponent, bias exponent), read
        /// straight into the caller's arrays without building a model: no allocation, so a board can take a model's rows
        /// (the fleet's version 0, its embedded default model) into a buffer it holds already instead of parsing a second
        /// model. The file is checked as Load checks it (header, CRC, every field); parameter layer k must have
        /// bias[k].Length channels of master[k].Length / bias[k].Length weights, and there must be master.Length parameter
        /// layers. Any failure is a <see cref="ModelFormatException"/> naming what is wrong; the arrays of the layers up to
        /// the failing one may then hold the file's values.
        /// </summary>
        public static void ReadParameters(byte[] data, int length, short[][] master, int[][] bias, int[] masterExponent, int[] weightShift, int[] biasExponent)
        {
            int end = CheckedPayloadEnd(data, length);
            if (master == null || bias == null || masterExponent == null || weightShift == null || biasExponent == null || bias.Length != master.Length
                || masterExponent.Length < master.Length || weightShift.Length < master.Length || biasExponent.Length < master.Length)
                throw new ModelFormatException("parameters: no arrays of one length per parameter layer to read them into");
            int classes;
            try { Check(data, end, 0, false, out classes); }
            catch (ModelFormatException) { throw; }
            catch (Exception e) { throw new ModelFormatException("model rejected: " + e.Message); }
            int at = HeaderBytes;
            int count = LittleEndian.GetU16(data, at);
            at += 2;
            int next = 0;
            for (int l = 0; l < count; l++)
            {
                int kind = data[at];
                int inLength = LittleEndian.GetU16(data, at + 1);
                int outLength = LittleEndian.GetU16(data, at + 3);
                at += 5;
                if (kind == (int)LayerKind.Relu) continue;
                if (kind == (int)LayerKind.GlobalMaxPool) { at += 2; continue; }
                int channels, rowLength;
                if (kind == (int)LayerKind.Conv1D)
                {
                    int inChannels = LittleEndian.GetU16(data, at);
                    int kernel = LittleEndian.GetU16(data, at + 2);
                    at += 4;
                    channels = outLength / (inLength / inChannels - kernel + 1);
                    rowLength = kernel * inChannels;
                }
                else { channels = outLength; rowLength = inLength; }
                if (next >= master.Length)
                    throw new ModelFormatException("parameters: the model has more than the " + master.Length + " parameter layers expected");
                short[] m = master[next];
                int[] b = bias[next];
                if (m == null || b == null || b.Length != channels || m.Length != channels * rowLength)
                    throw new ModelFormatException("parameter layer " + next + ": the model's is " + channels + "x" + rowLength + ", expected "
                        + (b == null ? 0 : b.Length) + " channels of " + (m == null || b == null || b.Length == 0 ? 0 : m.Length / b.Length) + " weights");
                int masterShift, shift, biasShift;
                at = ReadRows(data, at, m, b, out masterShift, out shift, out biasShift);
                masterExponent[next] = masterShift;
                weightShift[next] = shift;
                biasExponent[next] = biasShift;
                next++;
            }
            if (next != master.Length)
                throw new ModelFormatException("parameters: the model has " + next + " parameter layers, expected " + master.Length);
        }

        /// <summary>Checks the header, the payload length and the CRC; returns where the payload ends.</summary>
        private static int CheckedPayloadEnd(byte[] data, int length)
        {
            if (data == null) throw new ModelFormatException("no model data");
            if (length < 0) length = 0;
            if (length > data.Length) length = data.Length;
            if (length < HeaderBytes + 4) throw new ModelFormatException("model truncated: " + length + " bytes is shorter than the " + (HeaderBytes + 4) + "-byte header and checksum");
            if (LittleEndian.GetU32(data, 0) != Magic) throw new ModelFormatException("not a TinTin model: the file does not start with \"TTNM\"");
            int version = LittleEndian.GetU16(data, 4);
            if (version != FormatVersion && version != 1) throw new ModelFormatException("format version: model format version " + version + " is unsupported; this engine reads versions 1 and " + FormatVersion);
            if (LittleEndian.GetU16(data, 6) != 0) throw new ModelFormatException("flags: unknown model flags " + LittleEndian.GetU16(data, 6));
            uint payload = LittleEndian.GetU32(data, 8);
            if (payload > 0x7FFFFFF0u || HeaderBytes + (long)payload + 4 > length)
                throw new ModelFormatException("payload bytes: model truncated: the header promises " + (HeaderBytes + (long)payload + 4) + " bytes, only " + length + " present");
            int end = HeaderBytes + (int)(long)payload;
            uint stored = LittleEndian.GetU32(data, end);
            uint actual = Crc32.Compute(data, 0, end);
            if (stored != actual) throw new ModelFormatException("model corrupted: CRC-32 mismatch (stored " + stored + ", computed " + actual + ")");
            return end;
        }

        /// <summary>Pass 1, allocation-free: checks every field and returns the heap bytes the model will take.</summary>
        private static long Check(byte[] data, int end, int trainingCapacityInts, bool withMomentum, out int classes)
        {
            int at = HeaderBytes;
            at = Need(data, at, 2, end, "layer count");
            int count = LittleEndian.GetU16(data, at - 2);
            if (count < 1 || count > MaxLayers) throw new ModelFormatException("layer count: " + count + " is outside 1.." + MaxLayers);
            long heap = 0;
            long fullTraining = 0;
            long scratch = 1;
            int previousOut = -1;
            int lastKind = -1;
            for (int l = 0; l < count; l++)
            {
                at = Need(data, at, 5, end, "layer " + l + " header");
                int kind = data[at - 5];
                int inLength = LittleEndian.GetU16(data, at - 4);
                int outLength = LittleEndian.GetU16(data, at - 2);
                if (inLength == 0) throw new ModelFormatException("layer " + l + " input length: 0");
                if (outLength == 0) throw new ModelFormatException("layer " + l + " output length: 0");
                if (previousOut >= 0 && inLength != previousOut)
                    throw new ModelFormatException("layer " + l + " input length: " + inLength + " but layer " + (l - 1) + " gives " + previousOut);
                heap += 2L * (16 + 5L * outLength); // activation and gradient tensors (sbyte data + header)
                if (l == 0) heap += 16 + 5L * inLength;
                if (kind == (int)LayerKind.Relu)
                {
                    if (inLength != outLength) throw new ModelFormatException("layer " + l + " (ReLU) output length: " + outLength + " differs from its input length " + inLength);
                }
                else if (kind == (int)LayerKind.Dense)
                {
                    at = CheckParameters(data, at, end, l, outLength, inLength);
                    // int8 weights + int16 master + int32 bias, two training masks, weight and bias gradient offsets
                    heap += 3L * inLength * outLength + 14L * outLength + 64;
                    fullTraining += (long)outLength * (inLength + 1);
                    if (inLength + (long)outLength > scratch) scratch = inLength + (long)outLength;
                }
                else if (kind == (int)LayerKind.Conv1D)
                {
                    at = Need(data, at, 4, end, "layer " + l + " (Conv1D) shape");
                    int inChannels = LittleEndian.GetU16(data, at - 4);
                    int kernel = LittleEndian.GetU16(data, at - 2);
                    if (inChannels == 0 || inLength % inChannels != 0)
                        throw new ModelFormatException("layer " + l + " (Conv1D) input channels: " + inChannels + " does not divide the input length " + inLength);
                    int length = inLength / inChannels;
                    if (kernel == 0 || kernel > length)
                        throw new ModelFormatException("layer " + l + " (Conv1D) kernel: " + kernel + " is outside 1.." + length + " (the input's samples)");
                    int positions = length - kernel + 1;
                    if (outLength % positions != 0)
                        throw new ModelFormatException("layer " + l + " (Conv1D) output length: " + outLength + " is not a multiple of its " + positions + " positions");
                    int filters = outLength / positions;
                    int rowLength = kernel * inChannels;
                    if (rowLength > 65536) throw new ModelFormatException("layer " + l + " (Conv1D) kernel: rows of " + rowLength + " weights are longer than 65536");
                    at = CheckParameters(data, at, end, l, filters, rowLength);
                    heap += 3L * filters * rowLength + 14L * filters + 64;
                    fullTraining += (long)filters * (rowLength + 1);
                    long convScratch = inLength > outLength ? inLength : outLength;
                    if (convScratch > scratch) scratch = convScratch;
                }
                else if (kind == (int)LayerKind.GlobalMaxPool)
                {
                    at = Need(data, at, 2, end, "layer " + l + " (GlobalMaxPool) channels");
                    int channels = LittleEndian.GetU16(data, at - 2);
                    if (channels != outLength || inLength % channels != 0)
                        throw new ModelFormatException("layer " + l + " (GlobalMaxPool) channels: " + channels + " must equal the output length " + outLength + " and divide the input length " + inLength);
                }
                else throw new ModelFormatException("layer " + l + " kind: " + kind + " is unknown (1 Dense, 2 ReLU, 3 Conv1D, 4 GlobalMaxPool)");
                previousOut = outLength;
                lastKind = kind;
            }
            if (lastKind == (int)LayerKind.Relu) throw new ModelFormatException("layer " + (count - 1) + " kind: the last layer gives the logits; it cannot be a ReLU");
            classes = previousOut;
            long arena = trainingCapacityInts == Network.ArenaFromBudget ? 1 : trainingCapacityInts < 0 ? fullTraining : trainingCapacityInts;
            if (arena < 1) arena = 1;
            heap += 4 * arena * (withMomentum ? 2 : 1) + 4 * scratch + 8L * previousOut;

            at = Need(data, at, 2, end, "normaliser feature count");
            int features = LittleEndian.GetU16(data, at - 2);
            int inputs = LittleEndian.GetU16(data, HeaderBytes + 2 + 1);
            if (features > 0)
            {
                if (features != inputs) throw new ModelFormatException("normaliser feature count: " + features + " but the network takes " + inputs + " inputs");
                int featureBytes = LittleEndian.GetU16(data, 4) == 1 ? FeatureBytesVersion1 : FeatureBytes;
                at = Need(data, at, 1 + featureBytes * features, end, "normaliser");
                int p = at - (1 + featureBytes * features);
                int inputExponent = (sbyte)data[p++];
                CheckExponent(inputExponent, MinInputExponent, MaxInputExponent, "normaliser input exponent");
                for (int i = 0; i < features; i++, p += featureBytes)
                {
                    if (featureBytes == FeatureBytes && ((sbyte)data[p + 13] < FeatureScale.MinDecimals || (sbyte)data[p + 13] > FeatureScale.MaxDecimals))
                        throw new ModelFormatException("feature " + i + " decimals: " + (sbyte)data[p + 13] + " is outside " + FeatureScale.MinDecimals + ".." + FeatureScale.MaxDecimals);
                    int plus = (int)(long)LittleEndian.GetU32(data, p + 4);
                    int minus = (int)(long)LittleEndian.GetU32(data, p + 8);
                    int fraction = data[p + 12];
                    if (plus < 0) throw new ModelFormatException("feature " + i + " scale plus mask: bit 31 is set (terms must be below 2^31)");
                    if (minus < 0) throw new ModelFormatException("feature " + i + " scale minus mask: bit 31 is set (terms must be below 2^31)");
                    if ((plus & minus) != 0) throw new ModelFormatException("feature " + i + " scale masks: a bit is both a plus and a minus term");
                    if (fraction > 40) throw new ModelFormatException("feature " + i + " scale fraction bits: " + fraction + " is outside 0..40");
                }
                heap += 16 + 24L * features;
            }
            if (at != end) throw new ModelFormatException("payload bytes: " + (end - at) + " unexpected bytes after the model's content");
            return heap;
        }

        /// <summary>Pass 2: builds the model from fields Check has proved valid.</summary>
        private static Model Build(byte[] data, int end, int trainingCapacityInts, bool withMomentum, TrainingStateMode mode)
        {
            int at = HeaderBytes;
            int count = LittleEndian.GetU16(data, at);
            at += 2;
            Layer[] layers = new Layer[count];
            for (int l = 0; l < count; l++)
            {
                int kind = data[at];
                int inLength = LittleEndian.GetU16(data, at + 1);
                int outLength = LittleEndian.GetU16(data, at + 3);
                at += 5;
                if (kind == (int)LayerKind.Relu)
                {
                    layers[l] = new ReluLayer(inLength);
                    continue;
                }
                if (kind == (int)LayerKind.GlobalMaxPool)
                {
                    int channels = LittleEndian.GetU16(data, at);
                    at += 2;
                    layers[l] = new GlobalMaxPoolLayer(inLength / channels, channels);
                    continue;
                }
                ParameterLayer layer;
                if (kind == (int)LayerKind.Conv1D)
                {
                    int inChannels = LittleEndian.GetU16(data, at);
                    int kernel = LittleEndian.GetU16(data, at + 2);
                    at += 4;
                    int length = inLength / inChannels;
                    layer = new Conv1DLayer(length, inChannels, outLength / (length - kernel + 1), kernel);
                }
                else layer = new DenseLayer(inLength, outLength);
                at = ReadParameters(data, at, layer);
                layers[l] = layer;
            }
            int features = LittleEndian.GetU16(data, at);
            at += 2;
            InputNormalizer normalizer = null;
            bool version1 = LittleEndian.GetU16(data, 4) == 1;
            if (features > 0)
            {
                int inputExponent = (sbyte)data[at++];
                FeatureScale[] scales = new FeatureScale[features];
                for (int i = 0; i < features; i++, at += version1 ? FeatureBytesVersion1 : FeatureBytes)
                {
                    int offset = (int)(long)LittleEndian.GetU32(data, at);
                    int plus = (int)(long)LittleEndian.GetU32(data, at + 4);
                    int minus = (int)(long)LittleEndian.GetU32(data, at + 8);
                    int decimals = version1 ? FeatureScale.DefaultDecimals : (sbyte)data[at + 13];
                    scales[i] = new FeatureScale(offset, new ShiftSum(plus, minus, data[at + 12]), decimals);
                }
                normalizer = new InputNormalizer(scales, inputExponent);
            }
            return new Model(new Network(layers, trainingCapacityInts, withMomentum, mode), normalizer);
        }

        /// <summary>Checks a parameter layer's exponents and master weights (channels × rowLength) at data[at..]; returns the offset after them.</summary>
        private static int CheckParameters(byte[] data, int at, int end, int l, int channels, int rowLength)
        {
            long weights = (long)channels * rowLength;
            long bytes = 3 + 2 * weights + 4L * channels;
            if (bytes > end - at) throw new ModelFormatException("layer " + l + " weights: " + rowLength + "x" + channels + " need " + bytes + " bytes, the file has " + (end - at) + " left");
            int masterExponent = (sbyte)data[at];
            int weightExponent = (sbyte)data[at + 1];
            int biasExponent = (sbyte)data[at + 2];
            CheckExponent(masterExponent, MinExponent, MaxMasterExponent, "layer " + l + " master exponent");
            CheckExponent(weightExponent, MinExponent, MaxExponent, "layer " + l + " weight exponent");
            CheckExponent(biasExponent, MinExponent, MaxExponent, "layer " + l + " bias exponent");
            int shift = weightExponent - masterExponent;
            if (shift < 0 || shift > 15)
                throw new ModelFormatException("layer " + l + " weight exponent: " + weightExponent + " must be 0..15 above the master exponent " + masterExponent);
            int p = at + 3;
            for (long i = 0; i < weights; i++, p += 2)
                if ((short)LittleEndian.GetU16(data, p) == short.MinValue)
                    throw new ModelFormatException("layer " + l + " master weight " + i + ": -32768 is outside the symmetric int16 range");
            return at + (int)bytes;
        }

        /// <summary>Reads a parameter layer's exponents, master weights and biases (checked before) and derives its int8 weights.</summary>
        private static int ReadParameters(byte[] data, int at, ParameterLayer layer)
        {
            int masterExponent, weightShift, biasExponent;
            at = ReadRows(data, at, layer.MasterWeights, layer.Bias, out masterExponent, out weightShift, out biasExponent);
            layer.MasterExponent = masterExponent;
            layer.BiasExponent = biasExponent;
            layer.DeriveInt8Weights(weightShift);
            return at;
        }

        /// <summary>
        /// One parameter layer's record at `at`, which Check has proved (master, weight and bias exponents, then
        /// master.Length int16 masters and bias.Length int32 biases) into the caller's arrays; the int8 weight shift is the
        /// weight exponent − the master exponent. Returns where the record ends.
        /// </summary>
        private static int ReadRows(byte[] data, int at, short[] master, int[] bias, out int masterExponent, out int weightShift, out int biasExponent)
        {
            masterExponent = (sbyte)data[at];
            weightShift = (sbyte)data[at + 1] - masterExponent;
            biasExponent = (sbyte)data[at + 2];
            at += 3;
            for (int i = 0; i < master.Length; i++, at += 2) master[i] = (short)LittleEndian.GetU16(data, at);
            for (int i = 0; i < bias.Length; i++, at += 4) bias[i] = (int)(long)LittleEndian.GetU32(data, at);
            return at;
        }

        private static void CheckExponent(int value, int min, int max, string field)
        {
            if (value < min || value > max) throw new ModelFormatException(field + ": " + value + " is outside " + min + ".." + max);
        }

        private static int Need(byte[] data, int at, int bytes, int end, string field)
        {
            if (bytes < 0 || (long)at + bytes > end) throw new ModelFormatException(field + ": the model content ends early at byte " + at);
            return at + bytes;
        }
    }
}
