using System;

namespace TinTin.Core
{
    /// <summary>
    /// Chooses the trainable channels (TinyTrain's task-adaptive sparse update) within a budget.
    /// What a selection costs it asks the network's cost model (<see cref="Network.BackwardBytesFor"/>,
    /// <see cref="Network.UpdateMacsFor"/>, <see cref="Network.TrainingIntsFor"/>), for tentative
    /// selections while it selects and for the committed one after.
    /// A zero budget means unlimited. The gradient arena's capacity is always a hard limit.
    ///
    /// Selection: parameter layers in order of Fisher layer score (ties: the higher layer first, as
    /// its backward is cheapest); within a layer, channels by Fisher potential (ties: lower index),
    /// each added while the whole selection still fits — the first channel that does not fit ends
    /// that layer (the rest cost the same). Channels with potential zero (no gradient on the scored
    /// samples) are considered only in a second pass, so they never displace useful ones, but an
    /// unlimited budget still selects everything. Without scores every potential is zero and the
    /// second pass selects from the top layer down. With <see cref="PricedFill"/> the scored channels are
    /// added across layers by value per price instead (<see cref="SelectPriced"/>); with <see cref="LayersTopDown"/>
    /// the layers go top layer first whatever their scores. Allocates only in the constructor.
    /// </summary>
    public sealed class ChannelSelector
    {
        private readonly Network network;
        private readonly FisherScorer scorer;
        private readonly int[] counts;        // [Layers.Length] trainable channels per layer (tentative)
        private readonly int[] layerOrder;    // [parameter layers] ordinals sorted by score
        private readonly int[] channelOrder;  // [max channels]
        // Only with PricedFill (allocated when it is switched on, never while selecting): a board that does not
        // use it keeps the heap.
        private int[] pricedOrder;            // [TotalChannels] every layer's channels by potential (layer k's from ChannelStart[k])
        private int[] pricedNext;             // [parameter layers] next position in layer k's order
        private bool pricedFill;

        /// <summary>Samples per update (for the MACs budget).</summary>
        public int BatchSize;
        /// <summary>Backward bytes allowed (0 = unlimited).</summary>
        public int BudgetBytes;
        /// <summary>MACs per update allowed (0 = unlimited).</summary>
        public long BudgetMacs;
        /// <summary>
        /// <see cref="SelectSparse"/> fills by value per price (<see cref="SelectPriced"/>) instead of layer by layer in
        /// layer-score order. Scored channels only; unscored ones are still added top-down afterwards.
        /// Switching it on allocates the fill's two orders (once).
        /// </summary>
        public bool PricedFill
        {
            get { return pricedFill; }
            set
            {
                if (value && pricedOrder == null)
                {
                    pricedOrder = new int[scorer.TotalChannels];
                    pricedNext = new int[scorer.ParameterLayerCount];
                }
                pricedFill = value;
            }
        }

        /// <summary>
        /// The layer fill (<see cref="SelectSparse"/> without <see cref="PricedFill"/>) takes the layers top layer first,
        /// as the top-down baseline does, instead of in layer-score order; within a layer the channels still go by
        /// score (the top-first fill, <c>topfirst</c>). A lower layer's channel pays for the error propagation through
        /// every layer above it, so the top-down order spends a budget on the layers where a channel is cheapest.
        /// Ignored by the priced fill.
        /// </summary>
        public bool LayersTopDown;

        /// <summary>
        /// The whole-layer fill (<see cref="SelectWholeLayers"/>, <c>whole</c>): with scores and at least three parameter
        /// layers, the layer fill is run top layer first and then each lower layer in turn next, and the selection with the
        /// largest total value is kept, so a low layer is taken whole when it is worth its error propagation. Ignored by
        /// the priced fill; without scores the layer fill as <see cref="LayersTopDown"/> says.
        /// </summary>
        public bool WholeLayerFill;

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
            ReadCommitted();
        }

        private ParameterLayer Layer(int k) { return (ParameterLayer)network.Layers[scorer.LayerIndex[k]]; }

        // ---- cost: asks the network's cost model --------------------------------------------------

        /// <summary>Whether a selection fits the arena and the budgets.</summary>
        public bool Fits(int[] trainableCounts)
        {
            // The arena ints once, shared by the three prices (each call costs thousands of instructions on the interpreter).
            int ints = network.TrainingIntsFor(trainableCounts, null);
            if (ints > network.TrainingCapacityInts) return false;
            if (BudgetBytes > 0 && network.BackwardBytesFor(trainableCounts, null, ints) > BudgetBytes) return false;
            if (BudgetMacs > 0 && network.UpdateMacsFor(trainableCounts, null, BatchSize, ints) > BudgetMacs) return false;
            return true;
        }

        /// <summary>Current trainable-channel counts per layer index (bias-only channels included), written into destination [Layers.Length].</summary>
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
            if (pricedFill && scorer.HasScores) return SelectPriced();
            int layersCount = scorer.ParameterLayerCount;
            if (WholeLayerFill && scorer.HasScores && layersCount > 2) return SelectWholeLayers();
            // Layers by score, descending; ties: higher layer first (LayersTopDown: higher layer first always).
            for (int i = 0; i < layersCount; i++)
            {
                int k = i;
                int j = i;
                while (j > 0 && LayerBefore(k, layerOrder[j - 1])) { layerOrder[j] = layerOrder[j - 1]; j--; }
                layerOrder[j] = k;
            }
            FillInLayerOrder();
            return Commit();
        }

        /// <summary>
        /// The whole-layer fill (<see cref="WholeLayerFill"/>): the layer fill in L − 1 layer orders, each the top layer
        /// first and then one lower layer b before the rest (top down): b = the layer below the top is the top-first
        /// order itself, b = 0 lets the first layer in right after the top one. Each order's selection fits the same
        /// budget, so its error propagation (the price of reaching layer b, paid once) is already paid; they are
        /// compared by their total value, Σ potential · 2^−RateShift over the selected scored channels (for gradmag the
        /// first-order loss drop of one SGD step on those channels: commensurable across layers). The largest wins;
        /// ties: the top-first order. Returns the channels selected.
        /// </summary>
        public int SelectWholeLayers()
        {
            int layersCount = scorer.ParameterLayerCount;
            int best = -1;
            long bestValue = 0;
            int bestBase = 0;
            for (int b = layersCount - 2; b >= 0; b--)
            {
                OrderTopThen(b);
                FillInLayerOrder();
                int valueBase = SelectedValueBase();
                long value = SelectedValueAt(valueBase);
                if (best < 0 || ValueGreater(value, valueBase, bestValue, bestBase))
                {
                    best = b;
                    bestValue = value;
                    bestBase = valueBase;
                }
            }
            if (best != 0)
            {
                OrderTopThen(best);
                FillInLayerOrder();
            }
            return Commit();
        }

        /// <summary>
        /// The layer fill in one of <see cref="SelectWholeLayers"/>' orders, committed: the top layer first, then
        /// parameter layer b, then the rest top down (b = the layer below the top: the top-first order). The look-ahead
        /// fill (<see cref="ContinualConfig.LookAheadFill"/>) commits each candidate with it. Returns the channels selected.
        /// </summary>
        public int SelectTopThen(int b)
        {
            if (b < 0 || b >= scorer.ParameterLayerCount) throw new ArgumentException("no parameter layer " + b);
            OrderTopThen(b);
            FillInLayerOrder();
            return Commit();
        }

        /// <summary>layerOrder = the top layer, then layer b, then the others top down.</summary>
        private void OrderTopThen(int b)
        {
            int top = scorer.ParameterLayerCount - 1;
            int i = 0;
            layerOrder[i++] = top;
            if (b != top) layerOrder[i++] = b;
            for (int k = top - 1; k >= 0; k--) if (k != b) layerOrder[i++] = k;
        }

        /// <summary>
        /// The exponent base of the selection's value: the value's highest bit lands at about bit 56 of
        /// <see cref="SelectedValueAt"/>, leaving room for up to 128 layer terms in a long.
        /// </summary>
        private int SelectedValueBase()
        {
            int top = int.MinValue;
            for (int k = 0; k < scorer.ParameterLayerCount; k++)
            {
                long sum = SelectedPotentialSum(k);
                if (sum <= 0) continue;
                int magnitude = scorer.PotentialExponent(k) - Layer(k).RateShift + QMath.BitLength(sum);
                if (magnitude > top) top = magnitude;
            }
            return top == int.MinValue ? 0 : top - 56;
        }

        /// <summary>Σ over layers of (selected potential mantissas) · 2^(exponent − RateShift − valueBase), truncated.</summary>
        private long SelectedValueAt(int valueBase)
        {
            long value = 0;
            for (int k = 0; k < scorer.ParameterLayerCount; k++)
            {
                long sum = SelectedPotentialSum(k);
                if (sum <= 0) continue;
                int shift = scorer.PotentialExponent(k) - Layer(k).RateShift - valueBase;
                if (shift >= 0) value += sum << shift;
                else if (shift > -63) value += sum >> -shift;
            }
            return value;
        }

        private long SelectedPotentialSum(int k)
        {
            ParameterLayer p = Layer(k);
            long[] potentials = scorer.PotentialMantissas;
            int start = scorer.ChannelStart[k];
            long sum = 0;
            for (int c = 0; c < p.Channels; c++) if (p.ChannelTrainable[c] && potentials[start + c] > 0) sum += potentials[start + c];
            return sum;
        }

        /// <summary>a · 2^baseA &gt; b · 2^baseB (the lower one's excess bits shifted away).</summary>
        private static bool ValueGreater(long a, int baseA, long b, int baseB)
        {
            if (baseA > baseB) { int d = baseA - baseB; b = d < 63 ? b >> d : 0; }
            else if (baseB > baseA) { int d = baseB - baseA; a = d < 63 ? a >> d : 0; }
            return a > b;
        }

        /// <summary>
        /// The layer fill in layerOrder: within a layer channels by potential, each added while the whole selection
        /// fits (the first that does not ends the layer); scored channels first, then the unscored ones.
        /// </summary>
        private void FillInLayerOrder()
        {
            int layersCount = scorer.ParameterLayerCount;
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
        }

        /// <summary>
        /// Value-per-price fill: each step looks at every layer's best remaining scored channel and adds
        /// the one with the largest value / price, where value = its potential × its layer's step size
        /// (2^−RateShift: for weight-gradient energy, the first-order loss drop of one SGD step on it) and
        /// price = what adding it costs beyond the selection so far, as a fraction of the budget that binds
        /// (MACs or bytes, whichever fraction is larger): the first channel of a lower layer pays for the
        /// error propagation through every layer above it, the next ones only for their own rows. A layer
        /// whose best channel no longer fits is closed. Then, as in the layer fill, channels with zero
        /// potential top-down. Compared in log2 (Q16); ties: the higher layer. Returns the channels selected.
        /// </summary>
        public int SelectPriced()
        {
            int layersCount = scorer.ParameterLayerCount;
            Array.Clear(counts, 0, counts.Length);
            for (int k = 0; k < layersCount; k++)
            {
                ClearMask(Layer(k));
                int n = SortChannels(k, Layer(k).Channels);
                Array.Copy(channelOrder, 0, pricedOrder, scorer.ChannelStart[k], n);
                pricedNext[k] = 0;
            }
            int ints = network.TrainingIntsFor(counts, null);
            long macsNow = network.UpdateMacsFor(counts, null, BatchSize, ints);
            long bytesNow = network.BackwardBytesFor(counts, null, ints);
            while (true)
            {
                int best = -1, bestScore = 0;
                long bestMacs = 0, bestBytes = 0;
                for (int k = layersCount - 1; k >= 0; k--)
                {
                    ParameterLayer p = Layer(k);
                    if (pricedNext[k] >= p.Channels) continue;
                    int c = pricedOrder[scorer.ChannelStart[k] + pricedNext[k]];
                    if (scorer.Potential(k, c) <= 0) { pricedNext[k] = p.Channels; continue; } // the rest are unscored: top-down pass
                    int l = scorer.LayerIndex[k];
                    counts[l]++;
                    int tentativeInts = network.TrainingIntsFor(counts, null);
                    long macs = network.UpdateMacsFor(counts, null, BatchSize, tentativeInts);
                    long bytes = network.BackwardBytesFor(counts, null, tentativeInts);
                    counts[l]--;
                    if (tentativeInts > network.TrainingCapacityInts || (BudgetBytes > 0 && bytes > BudgetBytes) || (BudgetMacs > 0 && macs > BudgetMacs))
                    {
                        pricedNext[k] = p.Channels; // its best no longer fits: the layer is closed
                        continue;
                    }
                    int score = scorer.ChannelLog2Q16(k, c) - (p.RateShift << 16) - PriceLog2Q16(macs - macsNow, bytes - bytesNow);
                    if (best < 0 || score > bestScore) { best = k; bestScore = score; bestMacs = macs; bestBytes = bytes; }
                }
                if (best < 0) break;
                int chosen = pricedOrder[scorer.ChannelStart[best] + pricedNext[best]];
                pricedNext[best]++;
                counts[scorer.LayerIndex[best]]++;
                Layer(best).ChannelTrainable[chosen] = true;
                macsNow = bestMacs;
                bytesNow = bestBytes;
            }
            // Unscored channels, top layer first, as the layer fill's second pass.
            for (int k = layersCount - 1; k >= 0; k--)
            {
                ParameterLayer p = Layer(k);
                int l = scorer.LayerIndex[k];
                for (int c = 0; c < p.Channels; c++)
                {
                    if (p.ChannelTrainable[c] || scorer.Potential(k, c) > 0) continue;
                    counts[l]++;
                    if (!Fits(counts)) { counts[l]--; break; }
                    p.ChannelTrainable[c] = true;
                }
            }
            return Commit();
        }

        /// <summary>log2 (Q16) of a price: the larger of the added MACs and bytes as fractions of their budgets (Q16, at least one unit).</summary>
        private int PriceLog2Q16(long addedMacs, long addedBytes)
        {
            long macsShare = BudgetMacs > 0 && BudgetMacs != long.MaxValue && addedMacs > 0 ? (addedMacs << 16) / BudgetMacs : 0;
            long bytesShare = BudgetBytes > 0 && addedBytes > 0 ? (addedBytes << 16) / BudgetBytes : 0;
            long share = macsShare > bytesShare ? macsShare : bytesShare;
            if (share < 1) share = 1;
            return FisherScorer.Log2Q16(share, -16);
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

        /// <summary>Every channel's bias trainable, every weight frozen (TinyTL-style; ignores the budgets, not the arena).</summary>
        public int SelectBiasOnly()
        {
            for (int k = 0; k < scorer.ParameterLayerCount; k++)
            {
                ParameterLayer p = Layer(k);
                for (int c = 0; c < p.Channels; c++)
                {
                    p.ChannelTrainable[c] = true;
                    p.ChannelBiasOnly[c] = true;
                }
            }
            return Commit();
        }

        /// <summary>The selection of a policy (None freezes everything).</summary>
        public int SelectFor(UpdatePolicy policy)
        {
            switch (policy)
            {
                case UpdatePolicy.Sparse: return SelectSparse();
                case UpdatePolicy.Full: return SelectAll();
                case UpdatePolicy.LastLayer: return SelectLastLayer();
                case UpdatePolicy.BiasOnly: return SelectBiasOnly();
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
            SelectedBytes = network.BackwardBytes();
            SelectedBackwardMacs = network.BackwardMacs();
            SelectedUpdateMacs = network.UpdateMacs(BatchSize);
        }

        private bool LayerBefore(int a, int b)
        {
            if (LayersTopDown) return a > b;
            int sa = scorer.LayerScoreLog2Q16(a), sb = scorer.LayerScoreLog2Q16(b);
            if (sa != sb) return sa > sb;
            return a > b;
        }

        /// <summary>Fills channelOrder with layer k's channels by potential, descending (ties: lower index first).</summary>
        private int SortChannels(int k, int channels)
        {
            long[] potentials = scorer.PotentialMantissas; // read in place: a call per comparison costs more than the comparison
            int start = scorer.ChannelStart[k];
            int[] order = channelOrder;
            for (int i = 0; i < channels; i++)
            {
                long v = potentials[start + i];
                int j = i;
                while (j > 0 && potentials[start + order[j - 1]] < v) { order[j] = order[j - 1]; j--; }
                order[j] = i;
            }
            return channels;
        }

        private static void ClearMask(ParameterLayer p) { SetMask(p, false); }

        private static void SetMask(ParameterLayer p, bool value)
        {
            for (int c = 0; c < p.Channels; c++)
            {
                p.ChannelTrainable[c] = value;
                p.ChannelBiasOnly[c] = false;
            }
        }
    }
}
