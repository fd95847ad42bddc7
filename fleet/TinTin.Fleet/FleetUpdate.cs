using System;

namespace TinTin.Fleet
{
    /// <summary>
    /// A board's update as the aggregator holds it: per parameter layer the int8 rows and biases of
    /// the channels the board sent, with the layer's exponents, plus the header counters. Shaped
    /// once; reading a new update overwrites it.
    /// </summary>
    public sealed class FleetUpdate
    {
        public readonly ParameterSet Shape;
        /// <summary>[layers][channels·row] int8 weights at WeightExponent (rows of unsent channels are stale).</summary>
        public readonly sbyte[][] Weights;
        /// <summary>[layers][channels] int32 biases at BiasExponent.</summary>
        public readonly int[][] Bias;
        /// <summary>[layers][channels] whether the board sent the channel (it trained it since its base).</summary>
        public readonly bool[][] Sent;
        public readonly int[] WeightExponent;
        public readonly int[] BiasExponent;
        public uint BaseVersion;
        public uint Sequence;
        public uint Labelled;
        public uint Correct;

        public FleetUpdate(ParameterSet shape)
        {
            if (shape == null) throw new ArgumentException("an update needs the model's shape");
            Shape = shape;
            int layers = shape.LayerCount;
            Weights = new sbyte[layers][];
            Bias = new int[layers][];
            Sent = new bool[layers][];
            WeightExponent = new int[layers];
            BiasExponent = new int[layers];
            for (int l = 0; l < layers; l++)
            {
                Weights[l] = new sbyte[shape.Master[l].Length];
                Bias[l] = new int[shape.Channels[l]];
                Sent[l] = new bool[shape.Channels[l]];
            }
        }

        public int ChannelsSent
        {
            get
            {
                int count = 0;
                for (int l = 0; l < Sent.Length; l++)
                    for (int c = 0; c < Sent[l].Length; c++) if (Sent[l][c]) count++;
                return count;
            }
        }

        /// <summary>Whether the board sent every channel of every layer: the merge then needs none of its base's rows.</summary>
        public bool EveryChannel
        {
            get
            {
                for (int l = 0; l < Sent.Length; l++)
                    for (int c = 0; c < Sent[l].Length; c++) if (!Sent[l][c]) return false;
                return true;
            }
        }

        public void CopyFrom(FleetUpdate other)
        {
            if (!Shape.SameShape(other.Shape)) throw new ArgumentException("updates differ in shape");
            for (int l = 0; l < Weights.Length; l++)
            {
                Array.Copy(other.Weights[l], Weights[l], Weights[l].Length);
                Array.Copy(other.Bias[l], Bias[l], Bias[l].Length);
                Array.Copy(other.Sent[l], Sent[l], Sent[l].Length);
                WeightExponent[l] = other.WeightExponent[l];
                BiasExponent[l] = other.BiasExponent[l];
            }
            BaseVersion = other.BaseVersion;
            Sequence = other.Sequence;
            Labelled = other.Labelled;
            Correct = other.Correct;
        }

        /// <summary>
        /// Federated averaging over boards' full models: each board's model is its base (the merged
        /// version it started from) with the channels it sent replacing the base's rows, weighted by
        /// its labelled samples (capped at ModelMerger.MaxWeight). Boards with no labels add nothing.
        /// Returns the boards that contributed; 0 leaves destination untouched.
        /// </summary>
        public static int Merge(ModelMerger merger, FleetUpdate[] updates, ParameterSet[] bases, int count, ParameterSet destination)
        {
            return Merge(merger, updates, bases, null, count, destination);
        }

        /// <summary>
        /// As above with a weight per update (a null base: the update carries every channel) (weights[b] &gt;= 0, at most ModelMerger.MaxWeight; 0 leaves the
        /// update out); null weights: each update's labelled samples (capped at MaxWeight).
        /// </summary>
        public static int Merge(ModelMerger merger, FleetUpdate[] updates, ParameterSet[] bases, int[] weights, int count, ParameterSet destination)
        {
            merger.Begin();
            int boards = 0;
            for (int b = 0; b < count; b++)
            {
                FleetUpdate u = updates[b];
                if (u.Labelled == 0 || (weights != null && weights[b] <= 0)) continue;
                boards++;
                for (int l = 0; l < u.Shape.LayerCount; l++)
                {
                    bool anySent = false, anyKept = false;
                    for (int c = 0; c < u.Sent[l].Length; c++) { if (u.Sent[l][c]) anySent = true; else anyKept = true; }
                    if (anySent) merger.Declare(l, u.WeightExponent[l], u.BiasExponent[l]);
                    if (anyKept && bases[b] != null) merger.Declare(l, bases[b].MasterExponent[l], bases[b].BiasExponent[l]);
                }
            }
            if (boards == 0) return 0;
            merger.Fix();
            for (int b = 0; b < count; b++)
            {
                FleetUpdate u = updates[b];
                if (u.Labelled == 0 || (weights != null && weights[b] <= 0)) continue;
                int weight = weights != null ? (weights[b] > ModelMerger.MaxWeight ? ModelMerger.MaxWeight : weights[b])
                    : u.Labelled > ModelMerger.MaxWeight ? ModelMerger.MaxWeight : (int)(long)u.Labelled;
                ParameterSet basis = bases[b];
                if (basis == null && !u.EveryChannel) throw new ArgumentException("an update that leaves channels out needs its base's rows");
                for (int l = 0; l < u.Shape.LayerCount; l++)
                {
                    int row = u.Shape.RowLength[l];
                    for (int c = 0; c < u.Sent[l].Length; c++)
                    {
                        if (u.Sent[l][c])
                            merger.AddRow(l, c, u.Weights[l], c * row, u.WeightExponent[l], u.Bias[l][c], u.BiasExponent[l], weight);
                        else
                            merger.AddRow(l, c, basis.Master[l], c * row, basis.MasterExponent[l], basis.Bias[l][c], basis.BiasExponent[l], weight);
                    }
                }
            }
            merger.Finish(destination);
            return boards;
        }
    }
}
