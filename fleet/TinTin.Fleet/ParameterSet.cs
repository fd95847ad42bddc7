using System;
using TinTin.Core;

namespace TinTin.Fleet
{
    /// <summary>
    /// A copy of a network's learned parameters, layer by layer: the int16 master weights with
    /// their exponent and int8 shift, and the int32 biases with theirs. What the board keeps as
    /// the fleet base (to find the channels it trained), as the checkpoint a merge rolls back to,
    /// and as the staging area for a verified merged model. Allocated once; copies allocate nothing.
    /// </summary>
    public sealed class ParameterSet
    {
        public readonly int LayerCount;
        /// <summary>[LayerCount] output channels of each parameter layer.</summary>
        public readonly int[] Channels;
        /// <summary>[LayerCount] weights per channel.</summary>
        public readonly int[] RowLength;
        /// <summary>[LayerCount][Channels·RowLength] int16 master weights at MasterExponent.</summary>
        public readonly short[][] Master;
        /// <summary>[LayerCount] real = master · 2^MasterExponent.</summary>
        public readonly int[] MasterExponent;
        /// <summary>[LayerCount] int8 weight exponent − master exponent (0..15), so a restore is bit-exact.</summary>
        public readonly int[] Int8Shift;
        /// <summary>[LayerCount][Channels] int32 biases at BiasExponent.</summary>
        public readonly int[][] Bias;
        public readonly int[] BiasExponent;

        /// <summary>An empty set shaped like the network's parameter layers (Dense today).</summary>
        public ParameterSet(Network network) : this(ChannelsOf(network), RowLengthsOf(network)) { }

        public ParameterSet(int[] channels, int[] rowLengths)
        {
            if (channels == null || rowLengths == null || channels.Length != rowLengths.Length || channels.Length == 0)
                throw new ArgumentException("a parameter set needs the same positive number of channel counts and row lengths");
            LayerCount = channels.Length;
            Channels = new int[LayerCount];
            RowLength = new int[LayerCount];
            Master = new short[LayerCount][];
            Bias = new int[LayerCount][];
            MasterExponent = new int[LayerCount];
            Int8Shift = new int[LayerCount];
            BiasExponent = new int[LayerCount];
            for (int l = 0; l < LayerCount; l++)
            {
                if (channels[l] <= 0 || channels[l] > 65535 || rowLengths[l] <= 0 || rowLengths[l] > 65535)
                    throw new ArgumentException("parameter layer " + l + " has an invalid shape " + channels[l] + "x" + rowLengths[l]);
                Channels[l] = channels[l];
                RowLength[l] = rowLengths[l];
                Master[l] = new short[channels[l] * rowLengths[l]];
                Bias[l] = new int[channels[l]];
            }
        }

        public static int[] ChannelsOf(Network network)
        {
            int count = CountParameterLayers(network);
            int[] result = new int[count];
            int next = 0;
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p != null) result[next++] = p.Channels;
            }
            return result;
        }

        public static int[] RowLengthsOf(Network network)
        {
            int count = CountParameterLayers(network);
            int[] result = new int[count];
            int next = 0;
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p != null) result[next++] = p.RowLength;
            }
            return result;
        }

        private static int CountParameterLayers(Network network)
        {
            if (network == null) throw new ArgumentException("no network");
            int count = 0;
            for (int l = 0; l < network.Layers.Length; l++) if (network.Layers[l] is ParameterLayer) count++;
            if (count == 0) throw new ArgumentException("the network has no parameter layers");
            return count;
        }

        /// <summary>
        /// CRC-32 of the shape (layer count, then channels and row length of each): two models
        /// merge or replace each other only when their fingerprints agree.
        /// </summary>
        public uint Fingerprint()
        {
            byte[] bytes = new byte[2 + 4 * LayerCount];
            int at = LittleEndian.PutU16(bytes, 0, LayerCount);
            for (int l = 0; l < LayerCount; l++)
            {
                at = LittleEndian.PutU16(bytes, at, Channels[l]);
                at = LittleEndian.PutU16(bytes, at, RowLength[l]);
            }
            return Crc32.Compute(bytes, 0, at);
        }

        public bool SameShape(ParameterSet other)
        {
            if (other == null || other.LayerCount != LayerCount) return false;
            for (int l = 0; l < LayerCount; l++)
                if (other.Channels[l] != Channels[l] || other.RowLength[l] != RowLength[l]) return false;
            return true;
        }

        /// <summary>
        /// Whether every parameter layer keeps int16 master weights. A board in an int8 training mode
        /// (TrainingStateMode.FusedInt8, FusedInt8Residue) has none: there is nothing the fleet could
        /// merge at the masters' precision, so such a board cannot join a fleet.
        /// </summary>
        public static bool HasMasterWeights(Network network)
        {
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p != null && p.MasterWeights == null) return false;
            }
            return true;
        }

        /// <summary>Copies the network's master weights, biases and exponents (the network must have this shape).</summary>
        public void CopyFrom(Network network)
        {
            int next = 0;
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p == null) continue;
                CheckLayer(next, p);
                Array.Copy(p.MasterWeights, Master[next], Master[next].Length);
                Array.Copy(p.Bias, Bias[next], Channels[next]);
                MasterExponent[next] = p.MasterExponent;
                Int8Shift[next] = p.WeightExponent - p.MasterExponent;
                BiasExponent[next] = p.BiasExponent;
                next++;
            }
            if (next != LayerCount) throw new ArgumentException("the network has " + next + " parameter layers, the set " + LayerCount);
        }

        /// <summary>Writes these parameters into the network and re-derives its int8 weights with the stored shift (bit-exact restore).</summary>
        public void CopyTo(Network network)
        {
            int next = 0;
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p == null) continue;
                CheckLayer(next, p);
                Array.Copy(Master[next], p.MasterWeights, Master[next].Length);
                Array.Copy(Bias[next], p.Bias, Channels[next]);
                p.MasterExponent = MasterExponent[next];
                p.BiasExponent = BiasExponent[next];
                p.DeriveInt8Weights(Int8Shift[next]);
                next++;
            }
            if (next != LayerCount) throw new ArgumentException("the network has " + next + " parameter layers, the set " + LayerCount);
        }

        /// <summary>
        /// Reads the parameters of the model file data[0..length) (ModelFile: master weights, biases, exponents, as
        /// ModelFile.Load would give them) into this set, allocation-free: no second model is built. The file must have this
        /// shape; anything else is a ModelFormatException naming what is wrong (the set may then hold part of the file).
        /// </summary>
        public void CopyFromModelFile(byte[] data, int length)
        {
            ModelFile.ReadParameters(data, length, Master, Bias, MasterExponent, Int8Shift, BiasExponent);
        }

        public void CopyFrom(ParameterSet other)
        {
            if (!SameShape(other)) throw new ArgumentException("parameter sets differ in shape");
            for (int l = 0; l < LayerCount; l++) CopyLayer(other, l);
        }

        /// <summary>Copies one parameter layer (masters, biases, exponents) from a set of the same shape.</summary>
        public void CopyLayerFrom(ParameterSet other, int layer)
        {
            if (!SameShape(other)) throw new ArgumentException("parameter sets differ in shape");
            if (layer < 0 || layer >= LayerCount) throw new ArgumentException("parameter layer " + layer + " is outside 0.." + (LayerCount - 1));
            CopyLayer(other, layer);
        }

        private void CopyLayer(ParameterSet other, int l)
        {
            Array.Copy(other.Master[l], Master[l], Master[l].Length);
            Array.Copy(other.Bias[l], Bias[l], Channels[l]);
            MasterExponent[l] = other.MasterExponent[l];
            Int8Shift[l] = other.Int8Shift[l];
            BiasExponent[l] = other.BiasExponent[l];
        }

        /// <summary>Bytes of parameter storage (int16 masters and int32 biases).</summary>
        public int Bytes
        {
            get
            {
                int bytes = 0;
                for (int l = 0; l < LayerCount; l++) bytes += 2 * Master[l].Length + 4 * Channels[l];
                return bytes;
            }
        }

        /// <summary>
        /// Sets Int8Shift from the exponent rule (the largest master magnitude lands in [64, 127] as
        /// int8), as ParameterLayer.RefreshInt8Weights would; for sets built by a merge.
        /// </summary>
        public void DeriveInt8Shifts()
        {
            for (int l = 0; l < LayerCount; l++)
            {
                short[] m = Master[l];
                int max = 0;
                for (int i = 0; i < m.Length; i++)
                {
                    int v = m[i];
                    if (v < 0) v = -v;
                    if (v > max) max = v;
                }
                Int8Shift[l] = QMath.Int8ShiftFor(max);
            }
        }

        private void CheckLayer(int index, ParameterLayer p)
        {
            if (index >= LayerCount || p.Channels != Channels[index] || p.RowLength != RowLength[index])
                throw new ArgumentException("parameter layer " + index + " of the network does not match the set's shape");
        }
    }
}
