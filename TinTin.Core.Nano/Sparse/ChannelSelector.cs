using System;

namespace TinTin.Core
{
    /// <summary>
    /// Chooses the trainable channels (TinyTrain's task-adaptive sparse update) within a budget,
    /// and knows the exact cost of any selection without committing it.
    ///
    /// Cost model (exactly the network's own accounting; tests hold them equal):
    ///  * bytes = <see cref="Network.BackwardBytes"/> after ApplySelection: the activations the
    ///    backward keeps, the activation gradients it writes, the int32 gradient rows of the
    ///    trainable channels and, with momentum, as many velocity ints;
    ///  * MACs per update = batch · (forward MACs + <see cref="Network.BackwardMacs"/>) + the SGD
    ///    step's MACs (one per trainable weight and bias), which is what the OpCounters record for
    ///    one update of `batch` samples.
    /// A zero budget means unlimited. The gradient arena's capacity is always a hard limit.
    ///
    /// Selection: parameter layers in order of Fisher layer score (ties: the higher layer first, as
    /// its backward is cheapest); within a layer, channels by Fisher potential (ties: lower index),
    /// each added while the whole selection still fits — the first channel that does not fit ends
    /// that layer (the rest cost the same). Channels with potential zero (no gradient on the scored
    /// samples) are considered only in a second pass, so they never displace useful ones, but an
    /// unlimited budget still selects everything. Without scores every potential is zero and the
    /// second pass selects from the top layer down. Allocates only in the constructor.
    /// </summary>
    public sealed class ChannelSelector
    {
        private readonly Network network;
        private readonly FisherScorer scorer;
        private readonly int[] counts;        // [Layers.Length] trainable channels per layer (tentative)
        private readonly int[] layerOrder;    // [parameter layers] ordinals sorted by score
        private readonly int[] channelOrder;  // [max channels]
        private readonly long forwardMacs;

        /// <summary>Samples per update (for the MACs budget).</summary>
        public int BatchSize;
        /// <summary>Backward bytes allowed (0 = unlimited).</summary>
        public int BudgetBytes;
        /// <summary>MACs per update allowed (0 = unlimited).</summary>
        public long BudgetMacs;

        /// <summary>Cost of the committed selection.</summary>
        public int SelectedBytes;
        public long SelectedUpdateMacs;
        public long SelectedBackwardMacs;
        public int SelectedChannels;

        public ChannelSelector(Network network, FisherScorer scorer, int batchSize)
        {
            if (network == null || scorer == null) throw new ArgumentException("a selector needs a network and its scorer");
            if (batchSize < 1) throw new ArgumentException("batch size must be at least 1");
            this.network = network;
            this.scorer = scorer;
            BatchSize = batchSize;
            counts = new int[network.Layers.Length];
            layerOrder = new int[scorer.ParameterLayerCount];
            int maxChannels = 1;
            for (int k = 0; k < scorer.ParameterLayerCount; k++)
            {
                ParameterLayer p = Layer(k);
                if (p.Channels > maxChannels) maxChannels = p.Channels;
            }
            channelOrder = new int[maxChannels];
            forwardMacs = network.ForwardMacs();
            ReadCommitted();
        }

        private ParameterLayer Layer(int k) { return (ParameterLayer)network.Layers[scorer.LayerIndex[k]]; }

        // ---- cost model ------------------------------------------------------------------------------

        /// <summary>Backward bytes of a selection given as trainable-channel counts per layer index (0 for other layers).</summary>
        public int BytesFor(int[] trainableCounts)
        {
            Layer[] layers = network.Layers;
            int lowest = LowestOf(trainableCounts);
            int bytes = 0;
            for (int a = lowest; a < layers.Length; a++)
            {
                bool propagates = a > 0 && a > lowest;
                ParameterLayer p = layers[a] as ParameterLayer;
                bool kept = p != null ? (propagates || trainableCounts[a] > 0) : layers[a].KeepsInputForBackward(propagates);
                if (kept) bytes += network.Activations[a].Bytes;
                bytes += network.Gradients[a + 1].Bytes; // activation gradient a+1 is used when a ≥ lowest
            }
            int ints = TrainingIntsFor(trainableCounts);
            bytes += 4 * ints;
            if (network.HasMomentum) bytes += 4 * ints;
            return bytes;
        }

        /// <summary>Gradient-arena ints of a selection.</summary>
        public int TrainingIntsFor(int[] trainableCounts)
        {
            int ints = 0;
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p != null) ints += trainableCounts[l] * p.TrainingRowInts;
            }
            return ints;
        }

        /// <summary>Backward MACs of one sample under a selection (as <see cref="Network.BackwardMacs"/>).</summary>
        public long BackwardMacsFor(int[] trainableCounts)
        {
            int lowest = LowestOf(trainableCounts);
            long macs = 0;
            for (int l = lowest; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p == null) continue;
                macs += (long)trainableCounts[l] * p.RowLength;
                if (l > lowest) macs += p.ForwardMacs;
            }
            return macs;
        }

        /// <summary>MACs of one update of `batch` samples under a selection (forwards, backwards, SGD step); 0 when nothing is trainable (no update runs).</summary>
        public long UpdateMacsFor(int[] trainableCounts, int batch)
        {
            if (TrainingIntsFor(trainableCounts) == 0) return 0;
            return batch * (forwardMacs + BackwardMacsFor(trainableCounts)) + TrainingIntsFor(trainableCounts);
        }

        private int LowestOf(int[] trainableCounts)
        {
            for (int l = 0; l < network.Layers.Length; l++)
                if (trainableCounts[l] > 0 && network.Layers[l] is ParameterLayer) return l;
            return network.Layers.Length;
        }

        /// <summary>Whether a selection fits the arena and the budgets.</summary>
        public bool Fits(int[] trainableCounts)
        {
            if (TrainingIntsFor(trainableCounts) > network.TrainingCapacityInts) return false;
            if (BudgetBytes > 0 && BytesFor(trainableCounts) > BudgetBytes) return false;
            if (BudgetMacs > 0 && UpdateMacsFor(trainableCounts, BatchSize) > BudgetMacs) return false;
            return true;
        }

        /// <summary>Current trainable-channel counts per layer index, written into destination [Layers.Length].</summary>
        public void CountsOfNetwork(int[] destination)
        {
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                int n = 0;
                if (p != null) for (int c = 0; c < p.Channels; c++) if (p.ChannelTrainable[c]) n++;
                destination[l] = n;
            }
        }

        // ---- selection -----------------------------------------------------------------------------

        /// <summary>
        /// TinyTrain selection from the scorer's last scores (or none: top-down) within the budgets;
        /// sets the masks and plans the backward. Returns the channels selected.
        /// </summary>
        public int SelectSparse()
        {
            int layersCount = scorer.ParameterLayerCount;
            // Layers by score, descending; ties: higher layer first.
            for (int i = 0; i < layersCount; i++)
            {
                int k = i;
                int j = i;
                while (j > 0 && LayerBefore(k, layerOrder[j - 1])) { layerOrder[j] = layerOrder[j - 1]; j--; }
                layerOrder[j] = k;
            }
            Array.Clear(counts, 0, counts.Length);
            for (int k = 0; k < layersCount; k++) ClearMask(Layer(k));
            for (int pass = 0; pass < 2; pass++)
            {
                for (int i = 0; i < layersCount; i++)
                {
                    int k = layerOrder[i];
                    ParameterLayer p = Layer(k);
                    int l = scorer.LayerIndex[k];
                    int n = SortChannels(k, p.Channels);
                    for (int j = 0; j < n; j++)
                    {
                        int c = channelOrder[j];
                        if (p.ChannelTrainable[c]) continue;
                        bool useful = scorer.Potential(k, c) > 0;
                        if (useful != (pass == 0)) continue;
                        counts[l]++;
                        if (!Fits(counts)) { counts[l]--; break; }
                        p.ChannelTrainable[c] = true;
                    }
                }
            }
            return Commit();
        }

        /// <summary>
        /// Only parameter layer k (ordinal, bottom to top), channels in index order, as many as fit the
        /// budgets (the first-layer / last-layer baselines at an equal budget). Returns the channels selected.
        /// </summary>
        public int SelectLayerWithinBudget(int k)
        {
            if (k < 0 || k >= scorer.ParameterLayerCount) throw new ArgumentException("no parameter layer " + k);
            Array.Clear(counts, 0, counts.Length);
            for (int j = 0; j < scorer.ParameterLayerCount; j++) ClearMask(Layer(j));
            ParameterLayer p = Layer(k);
            int l = scorer.LayerIndex[k];
            for (int c = 0; c < p.Channels; c++)
            {
                counts[l]++;
                if (!Fits(counts)) { counts[l]--; break; }
                p.ChannelTrainable[c] = true;
            }
            return Commit();
        }

        /// <summary>Every channel trainable (ignores the budgets, not the arena).</summary>
        public int SelectAll()
        {
            for (int k = 0; k < scorer.ParameterLayerCount; k++) SetMask(Layer(k), true);
            return Commit();
        }

        /// <summary>Nothing trainable.</summary>
        public int SelectNone()
        {
            for (int k = 0; k < scorer.ParameterLayerCount; k++) SetMask(Layer(k), false);
            return Commit();
        }

        /// <summary>Only the last parameter layer trainable.</summary>
        public int SelectLastLayer()
        {
            int last = scorer.ParameterLayerCount - 1;
            for (int k = 0; k < scorer.ParameterLayerCount; k++) SetMask(Layer(k), k == last);
            return Commit();
        }

        /// <summary>The selection of a policy (BiasOnly and None freeze every weight row).</summary>
        public int SelectFor(UpdatePolicy policy)
        {
            switch (policy)
            {
                case UpdatePolicy.Sparse: return SelectSparse();
                case UpdatePolicy.Full: return SelectAll();
                case UpdatePolicy.LastLayer: return SelectLastLayer();
                default: return SelectNone();
            }
        }

        /// <summary>Plans the backward for the masks as they are and records their cost.</summary>
        public int Commit()
        {
            network.ApplySelection();
            ReadCommitted();
            return SelectedChannels;
        }

        private void ReadCommitted()
        {
            CountsOfNetwork(counts);
            SelectedChannels = 0;
            for (int l = 0; l < counts.Length; l++) SelectedChannels += counts[l];
            SelectedBytes = BytesFor(counts);
            SelectedBackwardMacs = BackwardMacsFor(counts);
            SelectedUpdateMacs = UpdateMacsFor(counts, BatchSize);
        }

        private bool LayerBefore(int a, int b)
        {
            int sa = scorer.LayerScoreLog2Q16(a), sb = scorer.LayerScoreLog2Q16(b);
            if (sa != sb) return sa > sb;
            return a > b;
        }

        /// <summary>Fills channelOrder with layer k's channels by potential, descending (ties: lower index first).</summary>
        private int SortChannels(int k, int channels)
        {
            for (int i = 0; i < channels; i++)
            {
                long v = scorer.Potential(k, i);
                int j = i;
                while (j > 0 && scorer.Potential(k, channelOrder[j - 1]) < v) { channelOrder[j] = channelOrder[j - 1]; j--; }
                channelOrder[j] = i;
            }
            return channels;
        }

        private static void ClearMask(ParameterLayer p) { SetMask(p, false); }

        private static void SetMask(ParameterLayer p, bool value)
        {
            for (int c = 0; c < p.Channels; c++) p.ChannelTrainable[c] = value;
        }
    }
}
