using System;

namespace TinTin.Core
{
    /// <summary>
    /// A layer whose parameters are organised as output channels, each a row of RowLength int8
    /// weights plus one int32 bias. Dense is one, Conv1D another (RowLength = kernel·inChannels).
    /// This class owns what all of them share: the int16 master copy, the exponent rules, the
    /// per-channel training masks, gradient rows in the training arena and the integer SGD update.
    ///
    /// Training masks, per output channel: ChannelTrainable (the update may change it) and
    /// ChannelBiasOnly (of a trainable channel, only the bias: TinyTL-style). A trainable channel
    /// owns RowLength + 1 arena ints (weight gradients, then the bias gradient); a bias-only one
    /// owns 1. Both go through the same Backward and <see cref="ApplyUpdate"/>.
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
        /// <summary>
        /// Extra right shift of this layer's weight step (the learning rate times 2^−RateShift); biases
        /// take the rate as given. 0 unless <see cref="Network.SetFanInRateScaling"/> set it from the fan-in.
        /// </summary>
        public int RateShift;

        /// <summary>[Channels][RowLength] int8 at WeightExponent, derived from the master copy.</summary>
        public readonly sbyte[] Weights;
        /// <summary>[Channels][RowLength] int16 at MasterExponent; null in <see cref="TrainingStateMode.FusedInt8"/> (the int8 weights are all there is) and <see cref="TrainingStateMode.FusedInt8Residue"/> (<see cref="Residues"/> instead).</summary>
        public short[] MasterWeights;
        /// <summary>
        /// [Channels·RowLength/2, rounded up] the 4-bit residue below each int8 weight, two per byte
        /// (<see cref="PackedResidue"/>); only in <see cref="TrainingStateMode.FusedInt8Residue"/>, else null.
        /// </summary>
        public byte[] Residues;
        /// <summary>[Channels] int32 at BiasExponent.</summary>
        public readonly int[] Bias;
        public int WeightExponent;
        public int MasterExponent;
        public int BiasExponent;

        /// <summary>[Channels] which output channels the update may change. Set through the network.</summary>
        public readonly bool[] ChannelTrainable;
        /// <summary>[Channels] of the trainable channels, those whose weights stay frozen: only the bias trains.</summary>
        public readonly bool[] ChannelBiasOnly;

        // Training arena views, derived from the masks in AssignTrainingRows only. Channel c's weight
        // gradients start at weightRowOffset[c] (-1: frozen or bias-only), its bias gradient is at
        // biasOffset[c] (-1: frozen). The layer's rows are contiguous: [arenaStart, arenaEnd).
        private int[] gradientPool;
        private int[] velocityPool;
        private readonly int[] weightRowOffset; // [Channels]
        private readonly int[] biasOffset;      // [Channels]
        private int arenaStart, arenaEnd;
        private int trainableChannels;
        private int weightTrainableChannels;

        private TrainingStateMode trainingMode = TrainingStateMode.GradientArena;

        /// <summary>
        /// The rate a fused mode applies to each sample's gradient as its backward pass runs (the
        /// network sets it: <see cref="Network.SetLearningRate"/>); unused by the gradient arena.
        /// </summary>
        public ShiftSum FusedLearningRate;

        private readonly AlignedExponent gradientAlignment = new AlignedExponent(GradientGuardBits);
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
            ChannelBiasOnly = new bool[channels];
            weightRowOffset = new int[channels];
            biasOffset = new int[channels];
            for (int c = 0; c < channels; c++) { weightRowOffset[c] = -1; biasOffset[c] = -1; }
        }

        public int ParameterCount { get { return Channels * (RowLength + 1); } }

        /// <summary>How this layer holds its training state (set by the network it belongs to).</summary>
        public TrainingStateMode TrainingMode { get { return trainingMode; } }

        /// <summary>Whether the layer has a backward kernel that updates as it goes (the fused modes need one).</summary>
        public virtual bool HasFusedUpdate { get { return false; } }

        /// <summary>
        /// Switches the layer to a training-state mode, once, before training. FusedInt8 drops the
        /// master copy: the int8 weights become the parameters (MasterExponent then follows
        /// WeightExponent, so a saved model reads master = int8 · 2^7, exactly).
        /// </summary>
        internal void UseTrainingMode(TrainingStateMode mode)
        {
            if (mode != TrainingStateMode.GradientArena && !HasFusedUpdate)
                throw new ArgumentException(Kind == LayerKind.Dense ? "this layer has no fused update" : "a layer of kind " + (int)Kind + " has no fused update kernel: use the gradient-arena mode");
            trainingMode = mode;
            if (mode == TrainingStateMode.FusedInt8Residue) SplitMasterIntoResidues();
            if (mode == TrainingStateMode.FusedInt8 || mode == TrainingStateMode.FusedInt8Residue)
            {
                MasterWeights = null;
                MasterExponent = WeightExponent;
            }
        }

        /// <summary>
        /// FusedInt8Residue: the master copy rounded to 4 bits below the int8 weights' exponent
        /// becomes the int8 weights and their residues (a master written from residues, 2^3 finer,
        /// comes back exactly).
        /// </summary>
        private void SplitMasterIntoResidues()
        {
            int shift = WeightExponent - MasterExponent - PackedResidue.Bits;
            int n = Weights.Length;
            Residues = new byte[PackedResidue.BytesFor(n)];
            for (int k = 0; k < n; k++)
            {
                int fine = shift >= 0 ? QMath.RoundingShiftRight(MasterWeights[k], shift) : MasterWeights[k] << -shift;
                PackedResidue.Store(Weights, Residues, k, fine);
            }
        }

        /// <summary>Ints of training arena one trainable channel occupies (weights and bias); a bias-only one takes 1.</summary>
        public int TrainingRowInts { get { return RowLength + 1; } }

        /// <summary>Arena ints of a selection of this layer: so many fully trainable and so many bias-only channels.</summary>
        public int TrainingIntsFor(int weightChannels, int biasOnlyChannels) { return weightChannels * TrainingRowInts + biasOnlyChannels; }

        /// <summary>Channels the update changes (weights and bias, or bias only).</summary>
        public int TrainableChannelCount { get { return trainableChannels; } }

        /// <summary>Channels whose weights the update changes.</summary>
        public int WeightTrainableChannelCount { get { return weightTrainableChannels; } }

        public bool HasTrainableChannels { get { return trainableChannels > 0; } }

        /// <summary>Set by the network while it only scores channels: Backward then propagates the error but forms no gradients.</summary>
        public bool WeightGradientsSuspended;

        /// <summary>Whether Backward forms gradients now (weight rows and/or biases).</summary>
        protected bool FormsGradients { get { return trainableChannels > 0 && !WeightGradientsSuspended; } }

        /// <summary>
        /// A parameter layer keeps its input to form weight gradients. A layer that only passes the
        /// error down is counted as keeping it too (the conservative accounting the selector has
        /// always budgeted with; Dense's input gradient does not read it), unless it trains biases:
        /// a bias gradient needs only the output gradient.
        /// </summary>
        public override bool KeepsInputForBackward(bool propagatesError, int weightChannels, int biasOnlyChannels)
        {
            return weightChannels > 0 || (propagatesError && biasOnlyChannels == 0);
        }

        /// <summary>Arena offset of a channel's gradient row (a bias-only channel's row is its bias), or -1 when it is frozen.</summary>
        public int GradientOffset(int channel) { return weightRowOffset[channel] >= 0 ? weightRowOffset[channel] : biasOffset[channel]; }

        /// <summary>
        /// Lays the trainable channels' rows out in the arena from offset on and returns the next
        /// free offset. The only place gradient offsets are written.
        /// </summary>
        internal int AssignTrainingRows(int[] gradients, int[] velocities, int offset)
        {
            gradientPool = gradients;
            velocityPool = velocities;
            trainableChannels = 0;
            weightTrainableChannels = 0;
            arenaStart = offset;
            for (int c = 0; c < Channels; c++)
            {
                weightRowOffset[c] = -1;
                biasOffset[c] = -1;
                if (!ChannelTrainable[c]) continue;
                trainableChannels++;
                if (ChannelBiasOnly[c])
                {
                    biasOffset[c] = offset;
                    offset += 1;
                }
                else
                {
                    weightRowOffset[c] = offset;
                    biasOffset[c] = offset + RowLength;
                    offset += TrainingRowInts;
                    weightTrainableChannels++;
                }
            }
            arenaEnd = offset;
            gradientAlignment.Reset();
            velocityEmpty = true;
            accumulatedSamples = 0;
            return offset;
        }

        /// <summary>Int32 slots this layer's current masks need in the arena.</summary>
        public int RequiredTrainingInts()
        {
            int weights = 0, biases = 0;
            for (int c = 0; c < Channels; c++)
            {
                if (!ChannelTrainable[c]) continue;
                if (ChannelBiasOnly[c]) biases++;
                else weights++;
            }
            return TrainingIntsFor(weights, biases);
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
            XorShift32 random = new XorShift32(seed);
            uint span = (uint)(2 * bound + 1);
            for (int i = 0; i < MasterWeights.Length; i++)
                MasterWeights[i] = (short)((int)(long)(random.Next() % span) - (int)bound);
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
            if (MasterWeights == null) return; // FusedInt8: the int8 weights are the parameters
            DeriveInt8Weights(QMath.Int8ShiftFor(TargetUpdateKernels.MaxAbs(MasterWeights, 0, MasterWeights.Length)));
        }

        /// <summary>int8 weights = master / 2^shift rounded to nearest and saturated; WeightExponent = MasterExponent + shift.</summary>
        public void DeriveInt8Weights(int shift)
        {
            if (shift < 0 || shift > 15) throw new ArgumentException("int8 weight shift must be in [0, 15]");
            if (MasterWeights == null) throw new InvalidOperationException("this layer keeps no master copy (FusedInt8)");
            int n = MasterWeights.Length;
            TargetUpdateKernels.RoundingShiftToInt8(MasterWeights, 0, n, shift, Weights, 0);
            WeightExponent = MasterExponent + shift;
            Counters.Add(0, 2L * n, 2L * n, n);
        }

        /// <summary>
        /// Keeps the master copy's largest magnitude in [MasterLow, MasterHigh]: a bit of headroom
        /// above so an update cannot saturate, enough bits below so small steps still register.
        /// Rescaling left is exact; rescaling right rounds to nearest.
        /// </summary>
        public void RenormalizeMaster() { RenormalizeMasterAndMax(-1); }

        /// <summary>
        /// <see cref="RenormalizeMaster"/>, returning the master copy's largest magnitude after it (for the
        /// int8 refresh that follows); knownMax ≥ 0 is the current largest magnitude, already measured.
        /// </summary>
        private int RenormalizeMasterAndMax(int knownMax)
        {
            short[] master = MasterWeights;
            if (master == null) { RenormalizeBias(); return 0; }
            int n = master.Length;
            int max = knownMax >= 0 ? knownMax : TargetUpdateKernels.MaxAbs(master, 0, n);
            if (max == 0) return 0;
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
                max = TargetUpdateKernels.MaxAbs(master, 0, n);
            }
            RenormalizeBias();
            Counters.Add(0, n, 2L * n, 0);
            return max;
        }

        /// <summary>Keeps the biases below BiasHigh (room for the forward sum), rounding to nearest.</summary>
        private void RenormalizeBias()
        {
            int biasMax = QMath.MaxAbs(Bias, 0, Bias.Length);
            int biasShift = 0;
            while ((biasMax >> biasShift) > BiasHigh && BiasExponent + biasShift < MaxExponent) biasShift++;
            if (biasShift > 0)
            {
                for (int c = 0; c < Channels; c++) Bias[c] = QMath.RoundingShiftRight(Bias[c], biasShift);
                BiasExponent += biasShift;
            }
            Counters.Add(0, Channels, 0, 0);
        }

        /// <summary>
        /// FusedInt8, every channel training its weights: keeps the int8 weights' largest magnitude
        /// in [64, 126] by halving (rounding to nearest; when one reached 127 and may have
        /// saturated) or doubling (exactly; when all fell below 64), moving WeightExponent with it.
        /// </summary>
        private void RescaleInt8Weights()
        {
            sbyte[] w = Weights;
            int n = w.Length;
            int max = QMath.MaxAbs(w, n);
            if (Residues != null)
            {
                RescaleFineWeights(max);
                return;
            }
            if (max >= QMath.Int8Max && WeightExponent < MaxExponent)
            {
                for (int i = 0; i < n; i++) w[i] = (sbyte)QMath.RoundingShiftRight(w[i], 1);
                WeightExponent++;
                Counters.Add(0, n, n, n);
            }
            else if (max > 0 && max < 64 && WeightExponent > MinExponent)
            {
                for (int i = 0; i < n; i++) w[i] = (sbyte)(w[i] * 2);
                WeightExponent--;
                Counters.Add(0, n, n, n);
            }
            MasterExponent = WeightExponent;
            Counters.Add(0, n, n, 0);
        }

        /// <summary>
        /// FusedInt8Residue: the same rule on the 12-bit fine values (16 · w + r): halved rounding to
        /// nearest when an int8 weight reached 127, doubled exactly when all fell below 64.
        /// </summary>
        private void RescaleFineWeights(int max)
        {
            sbyte[] w = Weights;
            byte[] r = Residues;
            int n = w.Length;
            if (max >= QMath.Int8Max && WeightExponent < MaxExponent)
            {
                for (int k = 0; k < n; k++) PackedResidue.Store(w, r, k, QMath.RoundingShiftRight(PackedResidue.Fine(w, r, k), 1));
                WeightExponent++;
                Counters.Add(0, 4L * n, 2L * n, 2L * n);
            }
            else if (max > 0 && max < 64 && WeightExponent > MinExponent)
            {
                for (int k = 0; k < n; k++) PackedResidue.Store(w, r, k, 2 * PackedResidue.Fine(w, r, k));
                WeightExponent--;
                Counters.Add(0, 4L * n, 2L * n, 2L * n);
            }
            MasterExponent = WeightExponent;
            Counters.Add(0, n, n, 0);
        }

        /// <summary>
        /// After a fused backward-and-update of one sample: a layer whose every channel trains its
        /// weights re-chooses its exponents (master and int8 weights, or the int8 weights alone);
        /// a partly frozen one keeps them so frozen channels stay bit-for-bit unchanged (FusedMaster
        /// refreshes the trained int8 rows; FusedInt8 saturated in place).
        /// </summary>
        protected void FinishFusedUpdate()
        {
            if (weightTrainableChannels == Channels)
            {
                if (MasterWeights == null) { RescaleInt8Weights(); RenormalizeBias(); } // FusedInt8, FusedInt8Residue
                else { RenormalizeMaster(); RefreshInt8Weights(); }
            }
            else
            {
                if (weightTrainableChannels > 0 && trainingMode == TrainingStateMode.FusedMaster) RefreshTrainableRows();
                // Biases (even of bias-only channels) share one exponent: rescale only when every channel trains.
            }
        }

        /// <summary>The learning rate a fused backward applies; throws when none was set.</summary>
        protected ShiftSum RequireFusedLearningRate()
        {
            if (FusedLearningRate == null)
                throw new InvalidOperationException("a fused training mode updates during backward: call Network.SetLearningRate before training");
            return FusedLearningRate;
        }

        // ---- gradients ---------------------------------------------------------------------------

        /// <summary>Exponent of the gradient rows: real gradient = pool value · 2^GradientExponent.</summary>
        public int GradientExponent { get { return gradientAlignment.Exponent; } }

        /// <summary>
        /// Aligns the gradient rows for a new contribution at contributionExponent (see
        /// <see cref="AlignedExponent"/>, GradientGuardBits) and returns the shift that brings the
        /// contribution to GradientExponent: ≥ 0 means multiply by 2^shift, &lt; 0 means divide
        /// (pseudo-stochastic rounding). A layer with weight rows aligns on the weight gradient's
        /// exponent (output gradient + input); a layer training biases only, on the output gradient's.
        /// </summary>
        protected int AlignGradientContribution(int contributionExponent)
        {
            if (accumulatedSamples >= MaxAccumulatedSamples)
                throw new InvalidOperationException("more than 128 samples accumulated without an update");
            accumulatedSamples++;
            int rescale = gradientAlignment.Admit(contributionExponent);
            if (rescale > 0)
            {
                TargetUpdateKernels.PseudoStochasticShiftRight(gradientPool, arenaStart, arenaEnd - arenaStart, rescale);
                long ints = arenaEnd - arenaStart;
                Counters.Add(0, ints, ints * 4, ints * 4);
            }
            return contributionExponent - gradientAlignment.Exponent;
        }

        protected int[] GradientPool { get { return gradientPool; } }

        /// <summary>[Channels] arena offsets of the weight-gradient rows, -1 for frozen and bias-only channels (read-only use).</summary>
        protected int[] WeightRowOffsets { get { return weightRowOffset; } }

        /// <summary>[Channels] arena offsets of the bias gradients, -1 for frozen channels (read-only use).</summary>
        protected int[] BiasOffsets { get { return biasOffset; } }

        /// <summary>Clears the gradient rows (after an update, or to discard accumulated gradients).</summary>
        public void ZeroGradients()
        {
            if (gradientPool != null && arenaEnd > arenaStart) Array.Clear(gradientPool, arenaStart, arenaEnd - arenaStart);
            gradientAlignment.Reset();
            accumulatedSamples = 0;
        }

        /// <summary>Samples accumulated since the last update.</summary>
        public int AccumulatedSamples { get { return accumulatedSamples; } }

        /// <summary>
        /// Copies a trainable channel's gradient row into destination[0 .. RowLength] (weights, then
        /// the bias; a bias-only channel's weight part reads 0); false when the channel is frozen.
        /// </summary>
        public bool CopyGradientRow(int channel, int[] destination)
        {
            if (biasOffset[channel] < 0) return false;
            int offset = weightRowOffset[channel];
            if (gradientPool == null) return false; // fused modes store no gradient
            if (offset >= 0) Array.Copy(gradientPool, offset, destination, 0, RowLength);
            else Array.Clear(destination, 0, RowLength);
            destination[RowLength] = gradientPool[biasOffset[channel]];
            return true;
        }

        // ---- update ------------------------------------------------------------------------------

        /// <summary>
        /// Integer SGD on the trainable channels: master −= lr · g (or lr · v with momentum,
        /// v = β·v + g), with pseudo-stochastic rounding and int16 saturation; bias −= lr · g_bias.
        /// A layer whose every channel trains its weights then re-chooses its exponents from the
        /// largest magnitudes (RenormalizeMaster, RefreshInt8Weights). Otherwise it keeps its
        /// exponents and refreshes only the trained weight rows, saturating: frozen channels' int8
        /// weights, master weights and biases, and bias-only channels' weights, stay bit-for-bit
        /// unchanged, as the sparse update promises.
        /// </summary>
        public void ApplyUpdate(ShiftSum learningRate, ShiftSum momentum)
        {
            if (gradientAlignment.IsEmpty || trainableChannels == 0) { ZeroGradients(); return; }
            bool useMomentum = momentum != null && !momentum.IsZero;
            int ints = arenaEnd - arenaStart;
            if (useMomentum)
            {
                if (velocityEmpty) { VelocityExponent = GradientExponent; velocityEmpty = false; }
                UpdateKernels.AccumulateVelocity(gradientPool, GradientExponent, momentum, arenaStart, ints, VelocityExponent, velocityPool);
            }
            int[] source = useMomentum ? velocityPool : gradientPool;
            int sourceExponent = useMomentum ? VelocityExponent : GradientExponent;
            // The trained rows' int8 weights are refreshed at the current shift in the SGD pass itself,
            // which also returns their largest magnitude; a full layer whose exponents then move
            // derives them again below (rare: the master or int8 shift changed).
            int int8Shift = WeightExponent - MasterExponent;
            int trainedMax = -1;
            if (weightTrainableChannels > 0)
                trainedMax = TargetUpdateKernels.SgdMasterRowsRefresh(source, sourceExponent - RateShift, learningRate, weightRowOffset, Channels, RowLength,
                    MasterExponent, MasterWeights, int8Shift, Weights);
            UpdateKernels.SgdBias(source, sourceExponent, learningRate, biasOffset, Channels, BiasExponent, Bias);
            long touched = ints;
            Counters.Add(touched, touched * (useMomentum ? 4 : 2), touched * (useMomentum ? 10 : 6), touched * (useMomentum ? 6 : 2));
            ZeroGradients();
            if (weightTrainableChannels == Channels)
            {
                // RenormalizeMaster (every row trained: the pass's largest magnitude is the layer's), then
                // RefreshInt8Weights unless the pass already wrote what it would.
                int masterExponent = MasterExponent;
                int shift = QMath.Int8ShiftFor(RenormalizeMasterAndMax(trainedMax));
                if (MasterExponent != masterExponent || shift != int8Shift) DeriveInt8Weights(shift);
                else
                {
                    long n = MasterWeights.Length;
                    Counters.Add(0, 2L * n, 2L * n, n); // what DeriveInt8Weights counts
                }
            }
            else if (weightTrainableChannels > 0)
            {
                long n = (long)weightTrainableChannels * RowLength;
                Counters.Add(0, 2L * n, 2L * n, n); // what RefreshTrainableRows counts
            }
        }

        /// <summary>
        /// A trial step for the look-ahead fill: the accumulated gradients move the int8 weights of the trained rows (as
        /// <see cref="ApplyUpdate"/> would derive them from the stepped master at the current exponents, no momentum) and
        /// the trained biases; the master copy and every exponent stay as they are, and each consumed gradient slot keeps the
        /// value it replaced, so <see cref="UndoTrialStep"/> restores the layer bit for bit without a snapshot buffer. The
        /// gradient-arena mode only (the fused modes hold no gradients). Allocation-free. Returns the ints touched.
        /// </summary>
        public int ApplyTrialStep(ShiftSum learningRate)
        {
            if (trialPending) throw new InvalidOperationException("a trial step is already applied: undo it first");
            if (trainingMode != TrainingStateMode.GradientArena || MasterWeights == null || gradientPool == null)
                throw new InvalidOperationException("a trial step needs the gradient-arena training mode");
            trialPending = true;
            trialStepped = !gradientAlignment.IsEmpty && trainableChannels > 0;
            if (!trialStepped) return 0;
            if (weightTrainableChannels > 0)
                UpdateKernels.TrialInt8Rows(gradientPool, GradientExponent - RateShift, learningRate, weightRowOffset, Channels, RowLength,
                    MasterExponent, MasterWeights, WeightExponent - MasterExponent, Weights);
            UpdateKernels.TrialBias(gradientPool, GradientExponent, learningRate, biasOffset, Channels, BiasExponent, Bias);
            int touched = arenaEnd - arenaStart;
            Counters.Add(touched, 4L * touched, 7L * touched, 5L * touched);
            return touched;
        }

        /// <summary>Undoes <see cref="ApplyTrialStep"/> (int8 weights and biases back from the gradient slots), then clears the gradients.</summary>
        public void UndoTrialStep()
        {
            if (!trialPending) throw new InvalidOperationException("no trial step to undo");
            trialPending = false;
            if (trialStepped)
            {
                if (weightTrainableChannels > 0) UpdateKernels.UndoTrialInt8Rows(gradientPool, weightRowOffset, Channels, RowLength, Weights);
                UpdateKernels.UndoTrialBias(gradientPool, biasOffset, Channels, Bias);
                int touched = arenaEnd - arenaStart;
                Counters.Add(0, touched, 5L * touched, 2L * touched);
            }
            ZeroGradients();
        }

        private bool trialPending, trialStepped;

        /// <summary>Whether a trial step is applied and not yet undone (a new selection must wait for the undo).</summary>
        public bool TrialPending { get { return trialPending; } }

        /// <summary>Re-derives the int8 weights of the trained weight rows only, with the layer's current shift.</summary>
        private void RefreshTrainableRows()
        {
            int shift = WeightExponent - MasterExponent;
            for (int c = 0; c < Channels; c++)
                if (weightRowOffset[c] >= 0) TargetUpdateKernels.RoundingShiftToInt8(MasterWeights, c * RowLength, RowLength, shift, Weights, c * RowLength);
            long n = (long)weightTrainableChannels * RowLength;
            Counters.Add(0, 2L * n, 2L * n, n);
        }

        /// <summary>Forgets momentum (after a re-selection or a reset).</summary>
        public void ResetVelocity()
        {
            if (velocityPool != null && gradientPool != null && arenaEnd > arenaStart) Array.Clear(velocityPool, arenaStart, arenaEnd - arenaStart);
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
