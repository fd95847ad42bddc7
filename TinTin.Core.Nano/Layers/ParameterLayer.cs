using System;

namespace TinTin.Core
{
    /// <summary>
    /// A layer whose parameters are organised as output channels, each a row of RowLength int8
    /// weights plus one int32 bias. Dense is one; a 1-D convolution (RowLength = inChannels·kernel)
    /// would be another. This class owns what all of them share: the int16 master copy, the
    /// exponent rules, the per-channel trainable mask, gradient rows in the training arena and
    /// the integer SGD update.
    ///
    /// Precision and memory per parameter (the documented choice):
    ///   int8 Weights        1 B  used by forward and backward (int8×int8→int32 MACs)
    ///   int16 MasterWeights 2 B  what the update changes; 8 more bits than int8, so a step of
    ///                            1/256 of an int8 unit is kept instead of rounded away
    ///   int32 gradient      4 B  only for trainable channels (training arena)
    ///   int32 velocity      4 B  only for trainable channels and only with momentum
    /// </summary>
    public abstract class ParameterLayer : Layer
    {
        /// <summary>Bits of headroom kept when aligning per-sample gradient contributions.</summary>
        public const int GradientGuardBits = 8;
        /// <summary>Most samples whose gradients may be accumulated before an update (int32 headroom: 2^14·2^8·128 = 2^29).</summary>
        public const int MaxAccumulatedSamples = 128;
        /// <summary>Master weights are kept with their largest magnitude in [MasterLow, MasterHigh].</summary>
        public const int MasterHigh = 1 << 14;
        public const int MasterLow = 1 << 13;
        /// <summary>Biases are rescaled down when they grow past this (room for the forward sum).</summary>
        public const int BiasHigh = 1 << 28;
        /// <summary>
        /// Exponents of weights, biases and master copies stay in [MinExponent, MaxExponent] (what a
        /// model file can hold as i8, with room for sums of two): training never moves one outside.
        /// The master exponent stays at most MaxMasterExponent so the int8 weights derived from it
        /// (up to 15 bits coarser) are still in range.
        /// </summary>
        public const int MinExponent = -100;
        public const int MaxExponent = 100;
        public const int MaxMasterExponent = MaxExponent - 15;

        public readonly int Channels;
        public readonly int RowLength;

        /// <summary>[Channels][RowLength] int8 at WeightExponent, derived from the master copy.</summary>
        public readonly sbyte[] Weights;
        /// <summary>[Channels][RowLength] int16 at MasterExponent.</summary>
        public readonly short[] MasterWeights;
        /// <summary>[Channels] int32 at BiasExponent.</summary>
        public readonly int[] Bias;
        public int WeightExponent;
        public int MasterExponent;
        public int BiasExponent;

        /// <summary>[Channels] which output channels the update may change. Set through the network.</summary>
        public readonly bool[] ChannelTrainable;

        // Training arena views. Row for channel c starts at gradientOffset[c] (RowLength weights, then
        // the bias); -1 for a frozen channel. Derived from ChannelTrainable in AssignTrainingRows only.
        private int[] gradientPool;
        private int[] velocityPool;
        private readonly int[] gradientOffset; // [Channels]
        private int trainableChannels;

        /// <summary>Exponent of the gradient rows: real gradient = pool value · 2^GradientExponent.</summary>
        public int GradientExponent;
        private int gradientTopExponent;
        private bool gradientEmpty = true;
        private int accumulatedSamples;
        public int VelocityExponent;
        private bool velocityEmpty = true;

        protected ParameterLayer(int inputLength, int outputLength, int channels, int rowLength)
            : base(inputLength, outputLength)
        {
            if (channels <= 0 || rowLength <= 0) throw new ArgumentException("a parameter layer needs channels and weights");
            if (rowLength > 65536) throw new ArgumentException("rows longer than 65536 weights could overflow int32 accumulators");
            Channels = channels;
            RowLength = rowLength;
            Weights = new sbyte[channels * rowLength];
            MasterWeights = new short[channels * rowLength];
            Bias = new int[channels];
            ChannelTrainable = new bool[channels];
            gradientOffset = new int[channels];
            for (int c = 0; c < channels; c++) gradientOffset[c] = -1;
        }

        public int ParameterCount { get { return Channels * (RowLength + 1); } }

        /// <summary>Ints of training arena one trainable channel occupies (weights and bias).</summary>
        public int TrainingRowInts { get { return RowLength + 1; } }

        public int TrainableChannelCount { get { return trainableChannels; } }

        public bool HasTrainableChannels { get { return trainableChannels > 0; } }

        /// <summary>Set by the network while it only scores channels: Backward then propagates the error but forms no weight gradients.</summary>
        public bool WeightGradientsSuspended;

        /// <summary>Whether Backward forms weight gradients now.</summary>
        protected bool FormsWeightGradients { get { return trainableChannels > 0 && !WeightGradientsSuspended; } }

        public override bool KeepsInputForBackward(bool propagatesError) { return propagatesError || trainableChannels > 0; }

        /// <summary>Arena offset of a channel's gradient row, or -1 when it is frozen.</summary>
        public int GradientOffset(int channel) { return gradientOffset[channel]; }

        /// <summary>
        /// Lays the trainable channels' rows out in the arena from offset on and returns the next
        /// free offset. The only place gradient offsets are written.
        /// </summary>
        internal int AssignTrainingRows(int[] gradients, int[] velocities, int offset)
        {
            gradientPool = gradients;
            velocityPool = velocities;
            trainableChannels = 0;
            for (int c = 0; c < Channels; c++)
            {
                if (ChannelTrainable[c])
                {
                    gradientOffset[c] = offset;
                    offset += TrainingRowInts;
                    trainableChannels++;
                }
                else gradientOffset[c] = -1;
            }
            gradientEmpty = true;
            velocityEmpty = true;
            accumulatedSamples = 0;
            return offset;
        }

        /// <summary>Int32 slots this layer's current selection needs in the arena.</summary>
        public int RequiredTrainingInts()
        {
            int count = 0;
            for (int c = 0; c < Channels; c++) if (ChannelTrainable[c]) count++;
            return count * TrainingRowInts;
        }

        // ---- initialisation and exponent rules -------------------------------------------------

        /// <summary>
        /// He-uniform initialisation in integers: weights uniform in ±sqrt(6/fanIn), biases 0, drawn
        /// with a xorshift generator from seed (initialisation only; rounding never uses it).
        /// </summary>
        public void InitializeHeUniform(uint seed, int fanIn)
        {
            // bound · 2^16 = sqrt(6 · 2^32 / fanIn)
            long boundQ16 = IntegerSqrt((6L << 32) / fanIn);
            // Choose the master exponent so the bound lands in [MasterLow, MasterHigh).
            int exponent = -16;
            long bound = boundQ16;
            while (bound >= MasterHigh) { bound >>= 1; exponent++; }
            while (bound < MasterLow) { bound <<= 1; exponent--; }
            uint state = seed == 0 ? 0x9E3779B9u : seed;
            uint span = (uint)(2 * bound + 1);
            for (int i = 0; i < MasterWeights.Length; i++)
            {
                state ^= state << 13; state ^= state >> 17; state ^= state << 5;
                MasterWeights[i] = (short)((int)(long)(state % span) - (int)bound);
            }
            MasterExponent = exponent;
            Array.Clear(Bias, 0, Bias.Length);
            BiasExponent = exponent - 8;
            RefreshInt8Weights();
        }

        /// <summary>
        /// Re-derives the int8 weights from the master copy with the exponent rule (largest
        /// magnitude lands in [64, 127]). Called after every update and after loading.
        /// </summary>
        public void RefreshInt8Weights()
        {
            int max = 0;
            short[] master = MasterWeights;
            int n = master.Length;
            for (int i = 0; i < n; i++)
            {
                int v = master[i];
                if (v < 0) v = -v;
                if (v > max) max = v;
            }
            DeriveInt8Weights(QMath.Int8ShiftFor(max));
        }

        /// <summary>int8 weights = master / 2^shift rounded to nearest and saturated; WeightExponent = MasterExponent + shift.</summary>
        public void DeriveInt8Weights(int shift)
        {
            if (shift < 0 || shift > 15) throw new ArgumentException("int8 weight shift must be in [0, 15]");
            short[] master = MasterWeights;
            sbyte[] w = Weights;
            int n = master.Length;
            int half = shift > 0 ? 1 << (shift - 1) : 0;
            for (int i = 0; i < n; i++)
            {
                int v = master[i];
                int r = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift); // QMath.RoundingShiftRight
                w[i] = (sbyte)(r > 127 ? 127 : (r < -127 ? -127 : r));
            }
            WeightExponent = MasterExponent + shift;
            Counters.Add(0, 2L * n, 2L * n, n);
        }

        /// <summary>
        /// Keeps the master copy's largest magnitude in [MasterLow, MasterHigh]: a bit of headroom
        /// above so an update cannot saturate, enough bits below so small steps still register.
        /// Rescaling left is exact; rescaling right rounds to nearest.
        /// </summary>
        public void RenormalizeMaster()
        {
            short[] master = MasterWeights;
            int n = master.Length;
            int max = 0;
            for (int i = 0; i < n; i++)
            {
                int v = master[i];
                if (v < 0) v = -v;
                if (v > max) max = v;
            }
            if (max == 0) return;
            int shift = 0;
            if (max > MasterHigh) { while ((max >> shift) > MasterHigh) shift++; }
            else { while ((max << -shift) < MasterLow) shift--; }
            // Keep the exponent representable: at the edge the master copy keeps its scale (it
            // saturates at int16 going up, loses low bits going down) instead of wrapping.
            if (MasterExponent + shift > MaxMasterExponent) shift = MaxMasterExponent - MasterExponent;
            if (MasterExponent + shift < MinExponent) shift = MinExponent - MasterExponent;
            if (shift < 0 && max << -shift > short.MaxValue) shift = 0;
            if (shift != 0)
            {
                for (int i = 0; i < n; i++) master[i] = QMath.SaturateToInt16(QMath.ShiftRounded(master[i], shift));
                MasterExponent += shift;
                Counters.Add(0, 2L * n, 2L * n, 2L * n);
            }
            int biasMax = QMath.MaxAbs(Bias, 0, Bias.Length);
            int biasShift = 0;
            while ((biasMax >> biasShift) > BiasHigh && BiasExponent + biasShift < MaxExponent) biasShift++;
            if (biasShift > 0)
            {
                for (int c = 0; c < Channels; c++) Bias[c] = QMath.RoundingShiftRight(Bias[c], biasShift);
                BiasExponent += biasShift;
            }
            Counters.Add(0, n + Channels, 2L * n, 0);
        }

        // ---- gradients ---------------------------------------------------------------------------

        /// <summary>
        /// Aligns the gradient rows for a new contribution at contributionExponent and returns the
        /// shift that brings the contribution to GradientExponent: ≥ 0 means multiply by 2^shift,
        /// &lt; 0 means divide (pseudo-stochastic rounding). The first contribution after an update
        /// sets GradientExponent = contributionExponent − GradientGuardBits; a later, larger one
        /// shifts the existing rows right so the sum never overflows.
        /// </summary>
        protected int AlignGradientContribution(int contributionExponent)
        {
            if (accumulatedSamples >= MaxAccumulatedSamples)
                throw new InvalidOperationException("more than 128 samples accumulated without an update");
            accumulatedSamples++;
            if (gradientEmpty)
            {
                gradientEmpty = false;
                gradientTopExponent = contributionExponent;
                GradientExponent = contributionExponent - GradientGuardBits;
            }
            else if (contributionExponent > gradientTopExponent)
            {
                int rescale = contributionExponent - gradientTopExponent;
                for (int c = 0; c < Channels; c++)
                {
                    int offset = gradientOffset[c];
                    if (offset < 0) continue;
                    int end = offset + TrainingRowInts;
                    for (int k = offset; k < end; k++)
                        gradientPool[k] = QMath.PseudoStochasticShiftRight(gradientPool[k], rescale);
                }
                GradientExponent += rescale;
                gradientTopExponent = contributionExponent;
                Counters.Add(0, (long)trainableChannels * TrainingRowInts, (long)trainableChannels * TrainingRowInts * 4, (long)trainableChannels * TrainingRowInts * 4);
            }
            return contributionExponent - GradientExponent;
        }

        protected int[] GradientPool { get { return gradientPool; } }

        /// <summary>[Channels] arena offsets of the gradient rows, -1 for frozen channels (read-only use).</summary>
        protected int[] RowOffsets { get { return gradientOffset; } }

        /// <summary>Clears the gradient rows (after an update, or to discard accumulated gradients).</summary>
        public void ZeroGradients()
        {
            for (int c = 0; c < Channels; c++)
            {
                int offset = gradientOffset[c];
                if (offset >= 0) Array.Clear(gradientPool, offset, TrainingRowInts);
            }
            gradientEmpty = true;
            accumulatedSamples = 0;
        }

        /// <summary>Samples accumulated since the last update.</summary>
        public int AccumulatedSamples { get { return accumulatedSamples; } }

        /// <summary>Copies a trainable channel's gradient row (weights then bias) for inspection; false when frozen.</summary>
        public bool CopyGradientRow(int channel, int[] destination)
        {
            int offset = gradientOffset[channel];
            if (offset < 0) return false;
            Array.Copy(gradientPool, offset, destination, 0, TrainingRowInts);
            return true;
        }

        // ---- update ------------------------------------------------------------------------------

        /// <summary>
        /// Integer SGD on the trainable channels: master −= lr · g (or lr · v with momentum,
        /// v = β·v + g), with pseudo-stochastic rounding and int16 saturation.
        /// A fully trainable layer then re-chooses its exponents from the largest magnitudes
        /// (RenormalizeMaster, RefreshInt8Weights). A partly frozen layer keeps its exponents and
        /// refreshes only the trained rows, saturating: the frozen channels' int8 weights, master
        /// weights and biases stay bit-for-bit unchanged, as the sparse update promises.
        /// </summary>
        public void ApplyUpdate(ShiftSum learningRate, ShiftSum momentum)
        {
            if (gradientEmpty || trainableChannels == 0) { ZeroGradients(); return; }
            bool useMomentum = momentum != null && !momentum.IsZero;
            if (useMomentum)
            {
                if (velocityEmpty) { VelocityExponent = GradientExponent; velocityEmpty = false; }
                UpdateKernels.AccumulateVelocity(gradientPool, GradientExponent, momentum, gradientOffset, Channels, TrainingRowInts, VelocityExponent, velocityPool);
            }
            int[] source = useMomentum ? velocityPool : gradientPool;
            int sourceExponent = useMomentum ? VelocityExponent : GradientExponent;
            UpdateKernels.SgdMasterRows(source, sourceExponent, learningRate, gradientOffset, Channels, RowLength, MasterExponent, MasterWeights);
            UpdateKernels.SgdBias(source, sourceExponent, learningRate, gradientOffset, Channels, RowLength, BiasExponent, Bias);
            long touched = (long)trainableChannels * TrainingRowInts;
            Counters.Add(touched, touched * (useMomentum ? 4 : 2), touched * (useMomentum ? 10 : 6), touched * (useMomentum ? 6 : 2));
            ZeroGradients();
            if (trainableChannels == Channels)
            {
                RenormalizeMaster();
                RefreshInt8Weights();
            }
            else RefreshTrainableRows();
        }

        /// <summary>Re-derives the int8 weights of the trainable rows only, with the layer's current shift.</summary>
        private void RefreshTrainableRows()
        {
            int shift = WeightExponent - MasterExponent;
            int half = shift > 0 ? 1 << (shift - 1) : 0;
            short[] master = MasterWeights;
            sbyte[] w = Weights;
            for (int c = 0; c < Channels; c++)
            {
                if (gradientOffset[c] < 0) continue;
                int start = c * RowLength;
                int end = start + RowLength;
                for (int i = start; i < end; i++)
                {
                    int v = master[i];
                    int r = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift); // QMath.RoundingShiftRight
                    w[i] = (sbyte)(r > 127 ? 127 : (r < -127 ? -127 : r));
                }
            }
            Counters.Add(0, 2L * trainableChannels * RowLength, 2L * trainableChannels * RowLength, (long)trainableChannels * RowLength);
        }

        /// <summary>Forgets momentum (after a re-selection or a reset).</summary>
        public void ResetVelocity()
        {
            if (velocityPool != null)
                for (int c = 0; c < Channels; c++)
                {
                    int offset = gradientOffset[c];
                    if (offset >= 0) Array.Clear(velocityPool, offset, TrainingRowInts);
                }
            velocityEmpty = true;
        }

        private static long IntegerSqrt(long value)
        {
            if (value <= 0) return 0;
            long x = value;
            long y = (x + 1) >> 1;
            while (y < x) { x = y; y = (x + value / x) >> 1; }
            return x;
        }
    }
}
