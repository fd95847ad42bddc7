using System;

namespace TinTin.Core
{
    /// <summary>
    /// TinyTrain's Fisher potential of every output channel of every parameter layer, in integers,
    /// from one backward pass per labelled sample in the network's ScoringMode (errors propagated
    /// through all layers, no weight gradients formed, nothing trained).
    ///
    /// Per sample s and channel c of parameter layer l:
    ///   Δ_s,c = ( Σ_positions a · g )²
    /// where a is the layer's output (Activations[l+1]) and g its loss gradient (Gradients[l+1]).
    /// A Dense channel has one position; a Conv1D channel one per output position (layout
    /// [positions][Channels]). The potential is the mean over the K samples.
    ///
    /// Which side of a following ReLU: the layer's own output (pre-ReLU). It makes no difference:
    /// the pre-ReLU gradient is the post-ReLU gradient masked by (a &gt; 0), so where a &gt; 0 both
    /// products are the same a·g and where a ≤ 0 both are 0 (post-ReLU a is 0, pre-ReLU g is 0).
    /// Using the layer's own tensors keeps the scorer independent of what follows.
    ///
    /// Fixed-point format. a and g are int8 with exponents ea, eg (one per tensor and sample).
    /// p = a·g is an exact int16-range product (|p| ≤ 127² &lt; 2^14) and p² &lt; 2^28 is exact in
    /// int32, at exponent E_s = 2·(ea + eg). Each layer sums its channels' p² in int64 at one
    /// accumulator exponent A_l = (largest E_s seen so far) − GuardBits: a contribution is moved
    /// there by a left shift of at most GuardBits (no overflow: ≤ 2^(28+16) per sample, so up to
    /// 2^18 samples fit in int64) or, when smaller, by a rounding right shift; when a sample arrives
    /// with a larger exponent, the accumulators are shifted right (rounded) first. Contributions
    /// more than 16 bits below the largest sample's are thus kept to within one unit of 2^A_l.
    /// At the end the sums are divided by K (rounded): potential(c) = Potential[c] · 2^PotentialExponent(l).
    ///
    /// Layer score (TinyTrain): potential_l / ((params_l / params_max) · (MACs_l / MACs_max)),
    /// computed in log2 fixed point (Q16, via SoftmaxCrossEntropy.Log2Q16, relative error &lt; 1e-4):
    ///   score = log2 Σ_c potential(c) − log2 params_l + log2 params_max − log2 MACs_l + log2 MACs_max.
    /// Ranking by the log is ranking by the ratio. A layer (or channel) with zero potential gets
    /// <see cref="NoPotential"/>. Allocates only in the constructor.
    /// </summary>
    public sealed class FisherScorer
    {
        /// <summary>Bits kept below the largest per-sample contribution.</summary>
        public const int GuardBits = 16;
        /// <summary>Most samples one scoring round may add (int64 headroom, see the class notes).</summary>
        public const int MaxSamples = 1 << 18;
        /// <summary>Log2 value of a zero potential: below every real score.</summary>
        public const int NoPotential = -(1 << 30);

        private readonly Network network;
        /// <summary>[ParameterLayerCount] index into Network.Layers of each parameter layer, bottom to top.</summary>
        public readonly int[] LayerIndex;
        /// <summary>[ParameterLayerCount] where each parameter layer's channels start in the flat channel arrays.</summary>
        public readonly int[] ChannelStart;
        public readonly int TotalChannels;

        private readonly long[] sums;             // [TotalChannels] Σ p² at alignment[k].Exponent, then the mean
        private readonly AlignedExponent[] alignment; // [layers] accumulator exponent A_l (GuardBits below the largest E_s)
        private readonly int[] channelLog2;         // [TotalChannels] log2(potential) Q16
        private readonly int[] layerLog2;           // [layers] log2(Σ potential) Q16
        private readonly int[] layerScore;          // [layers] log2 score Q16
        private readonly int[] sizeTermLog2;        // [layers] log2(params_max/params_l) + log2(MACs_max/MACs_l), Q16
        private int samples;
        private bool finished;
        private bool savedScoringMode;
        private long lossSum;
        private int freshFrom, freshSamples, freshRounds; // the update round (BeginUpdateRound): first layer ordinal, samples so far, rounds finished

        /// <summary>
        /// What <see cref="Accumulate"/> adds per channel: Fisher's (Σ a·g)², or with GradMag the
        /// weight-gradient energy (Σ_positions g²) · (Σ_inputs x²) — exact ‖∂L/∂W_c‖² for a Dense
        /// channel (bias term left out), the same product for layers with positions. The other
        /// criteria do not accumulate (TopDown scores nothing, Random uses <see cref="FillRandom"/>).
        /// </summary>
        public SelectionCriterion Criterion = SelectionCriterion.Fisher;

        /// <summary>
        /// TinyTrain's layer score divides a layer's summed potential by its relative parameter count
        /// and MACs; false ranks layers by the summed potential alone (the ablation of that normalisation).
        /// </summary>
        public bool NormaliseLayerScore = true;

        public FisherScorer(Network network)
        {
            if (network == null) throw new ArgumentException("a scorer needs a network");
            this.network = network;
            int count = 0;
            for (int l = 0; l < network.Layers.Length; l++) if (network.Layers[l] is ParameterLayer) count++;
            if (count == 0) throw new ArgumentException("the network has no parameter layers to score");
            LayerIndex = new int[count];
            ChannelStart = new int[count];
            int k = 0, channels = 0;
            long maxParams = 0, maxMacs = 0;
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p == null) continue;
                LayerIndex[k] = l;
                ChannelStart[k] = channels;
                channels += p.Channels;
                if (p.ParameterCount > maxParams) maxParams = p.ParameterCount;
                if (p.ForwardMacs > maxMacs) maxMacs = p.ForwardMacs;
                k++;
            }
            TotalChannels = channels;
            sums = new long[channels];
            channelLog2 = new int[channels];
            alignment = new AlignedExponent[count];
            for (k = 0; k < count; k++) alignment[k] = new AlignedExponent(GuardBits);
            layerLog2 = new int[count];
            layerScore = new int[count];
            sizeTermLog2 = new int[count];
            for (k = 0; k < count; k++)
            {
                ParameterLayer p = (ParameterLayer)network.Layers[LayerIndex[k]];
                long macs = p.ForwardMacs > 0 ? p.ForwardMacs : 1;
                sizeTermLog2[k] = Log2Q16(maxParams, 0) - Log2Q16(p.ParameterCount, 0)
                    + Log2Q16(maxMacs > 0 ? maxMacs : 1, 0) - Log2Q16(macs, 0);
                layerScore[k] = NoPotential;
                layerLog2[k] = NoPotential;
            }
            for (int c = 0; c < channels; c++) channelLog2[c] = NoPotential;
            freshFrom = count; // no update round until BeginUpdateRound
            finished = true; // no scores yet (Samples = 0)
        }

        public int ParameterLayerCount { get { return LayerIndex.Length; } }
        public int Samples { get { return samples; } }

        /// <summary>Clears the sums and puts the network in ScoringMode (restored by <see cref="Finish"/>).</summary>
        public void Begin()
        {
            Array.Clear(sums, 0, sums.Length);
            for (int k = 0; k < alignment.Length; k++) alignment[k].Reset();
            samples = 0;
            lossSum = 0;
            freshRounds = 0;
            finished = false;
            savedScoringMode = network.ScoringMode;
            network.ScoringMode = true;
        }

        /// <summary>Forward and scoring backward on the network's current Input, then accumulates. Returns the loss (Q16 nats).</summary>
        public int AddCurrentInput(int label)
        {
            if (finished) throw new InvalidOperationException("call Begin before adding samples");
            if (samples >= MaxSamples) throw new InvalidOperationException("too many samples for one scoring round");
            network.ScoringMode = true;
            network.Forward();
            int loss = network.Backward(label);
            Accumulate();
            lossSum += loss;
            return loss;
        }

        /// <summary>Loads int8 values (FeatureCount from offset, at exponent) into the input and scores them.</summary>
        public int AddSample(sbyte[] data, int offset, int exponent, int label)
        {
            QTensor input = network.Input;
            Array.Copy(data, offset, input.Data, 0, input.Length);
            input.Exponent = exponent;
            return AddCurrentInput(label);
        }

        /// <summary>Adds the contributions of the network's Activations/Gradients after a ScoringMode Backward.</summary>
        public void Accumulate()
        {
            for (int k = 0; k < LayerIndex.Length; k++) AccumulateLayer(k);
            samples++;
        }

        /// <summary>Adds parameter layer k's contributions (its output, output gradient and, for GradMag, input) of the current sample.</summary>
        private void AccumulateLayer(int k)
        {
            int l = LayerIndex[k];
            QTensor a = network.Activations[l + 1];
            QTensor g = network.Gradients[l + 1];
            ParameterLayer p = (ParameterLayer)network.Layers[l];
            int channels = p.Channels;
            int positions = a.Length / channels; // position-major layout: [positions][Channels] (Dense: one position)
            // Several positions per channel: the dot is reduced by 2^reduce first so its square
            // stays below 2^28 (Dense: one position, reduce = 0, exact).
            int reduce = QMath.BitLength(positions - 1);
            int e = 2 * (a.Exponent + g.Exponent + reduce);
            long inputEnergy = 0;
            if (Criterion == SelectionCriterion.GradMag)
            {
                // (Σ g² >> reduce) < 2^14 and (Σ x² >> inputReduce) < 2^14: the product < 2^28 as above.
                // Σx² keeps its top 14 bits (inputs ≤ 2^12 long: Σx² < 2^26 fits an int).
                // In int: inputs ≤ 2^12 long, so Σx² < 2^26 (64-bit arithmetic costs calls on the interpreter).
                QTensor x = network.Activations[l];
                sbyte[] xd = x.Data;
                int xLength = x.Length;
                int energySum = 0;
                for (int i = 0; i < xLength; i++) { int v = xd[i]; energySum += v * v; }
                int inputReduce = QMath.BitLength(energySum) - 14;
                if (inputReduce < 0) inputReduce = 0;
                if (inputReduce > 0) energySum = (energySum + (1 << (inputReduce - 1))) >> inputReduce; // = RoundingShiftRight64 (non-negative)
                inputEnergy = energySum;
                e = 2 * g.Exponent + reduce + 2 * x.Exponent + inputReduce;
            }
            int rescale = alignment[k].Admit(e);
            if (rescale > 0)
            {
                int start = ChannelStart[k];
                for (int c = 0; c < p.Channels; c++) sums[start + c] = QMath.RoundingShiftRight64(sums[start + c], rescale);
            }
            int shift = e - alignment[k].Exponent; // ≤ GuardBits
            int begin = ChannelStart[k];
            sbyte[] ad = a.Data;
            sbyte[] gd = g.Data;
            if (Criterion == SelectionCriterion.GradMag)
            {
                AccumulateGradientEnergy(k, positions, begin, shift, gd, inputEnergy);
                return;
            }
            for (int c = 0; c < p.Channels; c++)
            {
                long dot = 0;
                for (int i = c; i < a.Length; i += channels) dot += ad[i] * gd[i];
                if (dot == 0) continue;
                if (reduce > 0) dot = QMath.RoundingShiftRight64(dot, reduce);
                long square = dot * dot;                          // < 2^28 (+ rounding), exact
                sums[begin + c] += shift >= 0 ? square << shift : QMath.RoundingShiftRight64(square, -shift);
            }
        }

        // ---- fresh scores from an update's own backward --------------------------------------------

        /// <summary>
        /// Starts a round of fresh scores from an update's own backward pass: the parameter layers at or
        /// above network layer <paramref name="lowestLayer"/> (the lowest trainable layer: the backward
        /// forms the output gradient of every channel of those layers, trained or frozen, and of none
        /// below). After each training Backward of the update, <see cref="AccumulateUpdate"/> adds the
        /// sample's contributions of those layers exactly as a scoring pass would (the same tensors, the
        /// same arithmetic); <see cref="FinishUpdateRound"/> then replaces those layers' scores by the
        /// round's means. Layers below keep their last scores (from the last scoring pass or the last
        /// round that reached them) untouched. Nothing is cleared until the first sample arrives, so a
        /// round without samples changes nothing. Allocation-free; no extra forward or backward.
        /// </summary>
        public void BeginUpdateRound(int lowestLayer)
        {
            int from = LayerIndex.Length;
            for (int k = 0; k < LayerIndex.Length; k++)
                if (LayerIndex[k] >= lowestLayer) { from = k; break; }
            freshFrom = from;
            freshSamples = 0;
        }

        /// <summary>After a training Backward (not ScoringMode) of the round's update: adds the sample's contributions of the round's layers.</summary>
        public void AccumulateUpdate()
        {
            if (freshSamples == 0)
            {
                if (freshFrom >= LayerIndex.Length) return;
                for (int k = freshFrom; k < LayerIndex.Length; k++)
                {
                    Array.Clear(sums, ChannelStart[k], ((ParameterLayer)network.Layers[LayerIndex[k]]).Channels);
                    alignment[k].Reset();
                }
            }
            if (freshSamples >= MaxSamples) throw new InvalidOperationException("too many samples for one scoring round");
            for (int k = freshFrom; k < LayerIndex.Length; k++) AccumulateLayer(k);
            freshSamples++;
        }

        /// <summary>Replaces the round's layers' scores by the round's means (the others keep theirs); nothing when no sample was added.</summary>
        public void FinishUpdateRound()
        {
            if (freshSamples == 0) return;
            for (int k = freshFrom; k < LayerIndex.Length; k++) FinishLayer(k, freshSamples);
            freshRounds++;
            freshSamples = 0;
        }

        /// <summary>Parameter layers (ordinals from this one up) the current or last update round scores.</summary>
        public int FreshFrom { get { return freshFrom; } }
        /// <summary>Update rounds finished since the last <see cref="Begin"/>.</summary>
        public int FreshRounds { get { return freshRounds; } }

        private void AccumulateGradientEnergy(int k, int positions, int begin, int shift, sbyte[] gd, long inputEnergy)
        {
            int reduce = QMath.BitLength(positions - 1);
            int channels = ((ParameterLayer)network.Layers[LayerIndex[k]]).Channels;
            if (inputEnergy == 0) return;
            if (positions == 1) { AccumulateDenseGradientEnergy(channels, begin, shift, gd, (int)inputEnergy); return; }
            for (int c = 0; c < channels; c++)
            {
                long energy = 0;
                for (int i = c; i < gd.Length; i += channels) energy += gd[i] * gd[i]; // [positions][channels]
                if (energy == 0) continue;
                if (reduce > 0) energy = QMath.RoundingShiftRight64(energy, reduce);
                long product = energy * inputEnergy;                  // < 2^28, exact
                sums[begin + c] += shift >= 0 ? product << shift : QMath.RoundingShiftRight64(product, -shift);
            }
        }

        /// <summary>
        /// The one-position (Dense) case of <see cref="AccumulateGradientEnergy"/> in int arithmetic,
        /// bit-identical: g² ≤ 2^14 and inputEnergy ≤ 2^14, so the product ≤ 2^28 fits an int; a
        /// rounding right shift by s keeps product + 2^(s−1) ≤ 2^29 for s ≤ 29 and gives 0 for s ≥ 30
        /// (as RoundingShiftRight64 does); only the sum into the channel's accumulator is 64-bit.
        /// </summary>
        private void AccumulateDenseGradientEnergy(int channels, int begin, int shift, sbyte[] gd, int inputEnergy)
        {
            long[] s = sums;
            if (shift >= 0)
            {
                for (int c = 0; c < channels; c++)
                {
                    int g = gd[c];
                    if (g != 0) s[begin + c] += (long)(g * g * inputEnergy) << shift;
                }
                return;
            }
            int right = -shift;
            if (right >= 30) return; // every contribution rounds to 0
            int half = 1 << (right - 1);
            for (int c = 0; c < channels; c++)
            {
                int g = gd[c];
                if (g != 0) s[begin + c] += (g * g * inputEnergy + half) >> right;
            }
        }

        /// <summary>
        /// Random scores instead of measured ones (the Random baseline): every channel a potential in
        /// 1..2^16 and every layer a random score, from the caller's generator (so each re-selection
        /// draws afresh, and a seed repeats its draws). Leaves HasScores true; ScoringMode untouched.
        /// </summary>
        public void FillRandom(XorShift32 generator)
        {
            for (int k = 0; k < LayerIndex.Length; k++)
            {
                int start = ChannelStart[k];
                int count = ((ParameterLayer)network.Layers[LayerIndex[k]]).Channels;
                for (int c = 0; c < count; c++)
                {
                    sums[start + c] = 1 + (long)(generator.Next() & 0xFFFF);
                    channelLog2[start + c] = Log2Q16(sums[start + c], 0);
                }
                alignment[k].Reset();
                layerLog2[k] = (int)(long)(generator.Next() & 0xFFFFF);
                layerScore[k] = layerLog2[k];
            }
            samples = 1;
            finished = true;
        }

        /// <summary>Divides by the sample count, computes the log2 potentials and layer scores, and restores ScoringMode.</summary>
        public void Finish()
        {
            network.ScoringMode = savedScoringMode;
            finished = true;
            for (int k = 0; k < LayerIndex.Length; k++) FinishLayer(k, samples);
        }

        /// <summary>Layer k's sums to means over the samples, then its channels' log2 potentials and its layer score.</summary>
        private void FinishLayer(int k, int count)
        {
            int start = ChannelStart[k];
            int channels = ((ParameterLayer)network.Layers[LayerIndex[k]]).Channels;
            long layerSum = 0;
            for (int c = 0; c < channels; c++)
            {
                if (count > 1) sums[start + c] = (sums[start + c] + count / 2) / count;
                layerSum += sums[start + c];
            }
            for (int c = 0; c < channels; c++)
                channelLog2[start + c] = sums[start + c] > 0 ? Log2Q16(sums[start + c], alignment[k].Exponent) : NoPotential;
            layerLog2[k] = layerSum > 0 ? Log2Q16(layerSum, alignment[k].Exponent) : NoPotential;
            layerScore[k] = layerSum > 0 ? layerLog2[k] + (NormaliseLayerScore ? sizeTermLog2[k] : 0) : NoPotential;
        }

        /// <summary>Mean potential mantissa of a channel (k = parameter-layer ordinal): potential = value · 2^PotentialExponent(k).</summary>
        public long Potential(int k, int channel) { return sums[ChannelStart[k] + channel]; }

        /// <summary>[TotalChannels] every channel's mean potential mantissa (layer k's from ChannelStart[k]); read-only to callers.</summary>
        internal long[] PotentialMantissas { get { return sums; } }

        public int PotentialExponent(int k) { return alignment[k].Exponent; }

        /// <summary>log2 of a channel's mean potential (mantissa · 2^exponent) in Q16, or NoPotential: comparable across layers.</summary>
        public int ChannelLog2Q16(int k, int channel) { return channelLog2[ChannelStart[k] + channel]; }

        /// <summary>log2 of TinyTrain's layer score in Q16, or NoPotential.</summary>
        public int LayerScoreLog2Q16(int k) { return layerScore[k]; }


        /// <summary>Whether Finish ran after the last Begin and at least one sample was added (by that pass or by an update round since).</summary>
        public bool HasScores { get { return finished && (samples > 0 || freshRounds > 0); } }

        /// <summary>log2(mantissa · 2^exponent) · 2^16 for mantissa ≥ 1.</summary>
        public static int Log2Q16(long mantissa, int exponent)
        {
            int bits = QMath.BitLength(mantissa);
            if (bits > 31)
            {
                mantissa >>= bits - 31;
                exponent += bits - 31;
            }
            return SoftmaxCrossEntropy.Log2Q16((int)mantissa) + (exponent << 16);
        }
    }
}
