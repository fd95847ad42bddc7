using System;
using System.Collections;
using TinTin.Core;

namespace TinTin.NFUnitTest
{
    /// <summary>One recorded piece of engine state: a kind (what the on-device test checks), a name, the values.</summary>
    public sealed class GoldenSection
    {
        public readonly string Kind;
        public readonly string Name;
        public readonly int[] Values;

        public GoldenSection(string kind, string name, int[] values)
        {
            Kind = kind;
            Name = name;
            Values = values;
        }
    }

    /// <summary>
    /// The golden-vector scenario, shared word for word by the host generator (tests/TinTin.NanoBuild.Tests)
    /// and the on-device tests, so both run the same engine calls: a small MLP trained for a few
    /// mini-batches on given inputs, recording after each call what it produced. Nano-subset C#.
    /// </summary>
    public static class GoldenScenario
    {
        public const string Forward = "forward";
        public const string Loss = "loss";
        public const string ActivationGradient = "activation-gradient";
        public const string WeightGradient = "weight-gradient";
        public const string AfterStep = "after-step";
        /// <summary>QMath rounding of large negative magnitudes, and the results widened to long.</summary>
        public const string Rounding = "rounding";
        /// <summary>The default firmware model under ContinualLearner: several LabelRecent + UpdateIfDue.</summary>
        public const string Continual = "continual";
        /// <summary>The lean training-state modes (fused int16 master, int8 only): weights after every sample.</summary>
        public const string TrainingModes = "training-modes";
        /// <summary>A 64-input first layer under fan-in rate scaling (ParameterLayer.RateShift 2), in every training-state mode.</summary>
        public const string FanIn = "fan-in";

        /// <summary>Layer sizes of the MLP (Dense 4→6, ReLU, Dense 6→3).</summary>
        public static readonly int[] Sizes = new int[] { 4, 6, 3 };
        public const int BatchSize = 2;
        public const int Steps = 3;
        /// <summary>Learning rate 1/16 as at most 3 shift terms.</summary>
        public const int LearningRateNumerator = 1;
        public const int LearningRateDenominator = 16;
        public const int LearningRateTerms = 3;

        public static int SampleCount { get { return BatchSize * Steps; } }

        /// <summary>
        /// Runs the scenario for one seed. inputs holds SampleCount rows of Sizes[0] int8 values at
        /// inputExponents[sample]; labels one class per sample. Returns the GoldenSection list in order.
        /// </summary>
        public static ArrayList Run(uint seed, sbyte[] inputs, int[] inputExponents, int[] labels)
        {
            int width = Sizes[0];
            if (inputs.Length != SampleCount * width || inputExponents.Length != SampleCount || labels.Length != SampleCount)
                throw new ArgumentException("golden inputs do not match the scenario shape");
            ArrayList trace = new ArrayList();
            Network net = Network.CreateMlp(Sizes, seed, -1, false);
            net.SetAllTrainable(true);
            ShiftSum lr = ShiftSum.FromRatio(LearningRateNumerator, LearningRateDenominator, LearningRateTerms);
            int top = net.Layers.Length;
            for (int step = 0; step < Steps; step++)
            {
                for (int b = 0; b < BatchSize; b++)
                {
                    int sample = step * BatchSize + b;
                    string at = "step" + step + ".sample" + sample;
                    QTensor input = net.Input;
                    for (int i = 0; i < width; i++) input.Data[i] = inputs[sample * width + i];
                    input.Exponent = inputExponents[sample];
                    net.Forward();
                    for (int l = 1; l <= top; l++) trace.Add(new GoldenSection(Forward, at + ".activation" + l, Tensor(net.Activations[l])));
                    int loss = net.Backward(labels[sample]);
                    trace.Add(new GoldenSection(Loss, at + ".lossQ16", new int[] { loss }));
                    for (int l = 1; l <= top; l++) trace.Add(new GoldenSection(ActivationGradient, at + ".gradient" + l, Tensor(net.Gradients[l])));
                }
                string before = "step" + step;
                for (int l = 0; l < top; l++)
                {
                    ParameterLayer p = net.Layers[l] as ParameterLayer;
                    if (p == null) continue;
                    int[] row = new int[p.TrainingRowInts];
                    for (int c = 0; c < p.Channels; c++)
                    {
                        if (!p.CopyGradientRow(c, row)) throw new InvalidOperationException("layer " + l + " channel " + c + " has no gradient row");
                        trace.Add(new GoldenSection(WeightGradient, before + ".layer" + l + ".row" + c, Prefixed(p.GradientExponent, row)));
                    }
                }
                net.Step(lr, null);
                for (int l = 0; l < top; l++)
                {
                    ParameterLayer p = net.Layers[l] as ParameterLayer;
                    if (p == null) continue;
                    string after = "step" + step + ".layer" + l;
                    int[] master = new int[p.MasterWeights.Length];
                    for (int i = 0; i < master.Length; i++) master[i] = p.MasterWeights[i];
                    trace.Add(new GoldenSection(AfterStep, after + ".master", Prefixed(p.MasterExponent, master)));
                    int[] weights = new int[p.Weights.Length];
                    for (int i = 0; i < weights.Length; i++) weights[i] = p.Weights[i];
                    trace.Add(new GoldenSection(AfterStep, after + ".weights", Prefixed(p.WeightExponent, weights)));
                    trace.Add(new GoldenSection(AfterStep, after + ".bias", Prefixed(p.BiasExponent, p.Bias)));
                }
            }
            return trace;
        }

        /// <summary>
        /// Values for <see cref="RunRounding"/>: int.MinValue, the large negative magnitudes around -2^30
        /// and -2^31 where rounding a magnitude goes through uint, a few small ones, and positives for contrast.
        /// </summary>
        public static readonly int[] RoundingInputs = new int[]
        {
            int.MinValue, int.MinValue + 1, int.MinValue + 2, -2147483000, -1610612736, -1073741825, -1073741824,
            -1073741823, -805306368, -123456789, -65537, -294912, -6, -1, 0, 1, 6, 1073741824, int.MaxValue - 1, int.MaxValue,
        };
        public const int MaxShift = 31;

        /// <summary>
        /// For every value of <see cref="RoundingInputs"/> and every shift 1..31: the rounding result r
        /// of RoundingShiftRight and PseudoStochasticShiftRight, r widened to long (its high word) and
        /// SaturatingAdd(r, 1). nanoCLR zero-extends an int that came from an unconverted uint when it is
        /// widened, so a wrong cast in QMath shows here as a high word of 0 for a negative r. Then the
        /// int8 requantisation of all values together.
        /// </summary>
        public static ArrayList RunRounding()
        {
            ArrayList trace = new ArrayList();
            for (int v = 0; v < RoundingInputs.Length; v++)
            {
                int value = RoundingInputs[v];
                int[] nearest = new int[MaxShift * 3];
                int[] stochastic = new int[MaxShift * 3];
                for (int shift = 1; shift <= MaxShift; shift++)
                {
                    int at = (shift - 1) * 3;
                    // Each result goes straight into the call that widens it, as in the engine's own
                    // expressions (stored in a local first, nanoCLR loses the unsigned tag and hides the fault).
                    nearest[at] = QMath.RoundingShiftRight(value, shift);
                    nearest[at + 1] = (int)(Widen(QMath.RoundingShiftRight(value, shift)) >> 32);
                    nearest[at + 2] = QMath.SaturatingAdd(QMath.RoundingShiftRight(value, shift), 1);
                    stochastic[at] = QMath.PseudoStochasticShiftRight(value, shift);
                    stochastic[at + 1] = (int)(Widen(QMath.PseudoStochasticShiftRight(value, shift)) >> 32);
                    stochastic[at + 2] = QMath.SaturatingAdd(QMath.PseudoStochasticShiftRight(value, shift), 1);
                }
                trace.Add(new GoldenSection(Rounding, "value" + v + ".nearest", nearest));
                trace.Add(new GoldenSection(Rounding, "value" + v + ".stochastic", stochastic));
            }
            sbyte[] int8 = new sbyte[RoundingInputs.Length];
            int requantShift = QMath.RequantizeToInt8(RoundingInputs, RoundingInputs.Length, int8);
            int[] requant = new int[int8.Length + 1];
            requant[0] = requantShift;
            for (int i = 0; i < int8.Length; i++) requant[i + 1] = int8[i];
            trace.Add(new GoldenSection(Rounding, "requantize", requant));
            return trace;
        }

        /// <summary>
        /// The training-step inputs of one case, trained sample by sample in each lean training-state mode
        /// (FusedMaster, FusedInt8, FusedInt8Residue: backward and update fused per row, no gradient arena). After
        /// every sample: each parameter layer's master (when the mode keeps one), int8 weights, 4-bit residues
        /// (when the mode keeps them) and bias, with exponents.
        /// </summary>
        public static ArrayList RunTrainingModes(uint seed, sbyte[] inputs, int[] inputExponents, int[] labels)
        {
            int width = Sizes[0];
            if (inputs.Length != SampleCount * width || inputExponents.Length != SampleCount || labels.Length != SampleCount)
                throw new ArgumentException("golden inputs do not match the scenario shape");
            ArrayList trace = new ArrayList();
            TrainingStateMode[] modes = new TrainingStateMode[] { TrainingStateMode.FusedMaster, TrainingStateMode.FusedInt8, TrainingStateMode.FusedInt8Residue };
            for (int m = 0; m < modes.Length; m++)
            {
                Network net = Network.CreateMlp(Sizes, seed, -1, false, modes[m]);
                net.SetAllTrainable(true);
                net.SetLearningRate(ShiftSum.FromRatio(LearningRateNumerator, LearningRateDenominator, LearningRateTerms));
                for (int sample = 0; sample < SampleCount; sample++)
                {
                    QTensor input = net.Input;
                    for (int i = 0; i < width; i++) input.Data[i] = inputs[sample * width + i];
                    input.Exponent = inputExponents[sample];
                    int loss = net.TrainSample(labels[sample]);
                    string at = "mode" + (int)modes[m] + ".sample" + sample;
                    trace.Add(new GoldenSection(TrainingModes, at + ".lossQ16", new int[] { loss }));
                    for (int l = 0; l < net.Layers.Length; l++)
                    {
                        ParameterLayer p = net.Layers[l] as ParameterLayer;
                        if (p == null) continue;
                        AddLayerState(trace, TrainingModes, at + ".layer" + l, p);
                    }
                }
            }
            return trace;
        }

        /// <summary>Layer sizes of <see cref="RunFanIn"/>: a first layer with 64 inputs, past ReferenceFanIn 16, so its weights step at lr · 2^-2.</summary>
        public static readonly int[] FanInSizes = new int[] { 64, 2, 2 };
        public const int FanInSamples = 4;
        /// <summary>Learning rate 1/4 (3 shift terms): large enough that the scaled int8 weights move within a few samples.</summary>
        public const int FanInRateDenominator = 4;

        /// <summary>
        /// Fan-in learning-rate scaling (ContinualConfig.ScaleRateByFanIn, on by default) in every training-state
        /// mode: the gradient arena (Forward, Backward, Step after each pair of samples) and the fused modes
        /// (TrainSample per sample). Inputs: FanInSamples rows of int8 drawn from xorshift32 at exponent -7,
        /// labels from the same stream. Records each layer's RateShift, then after every update the loss(es) and a CRC-32
        /// of each parameter layer's state, and after the last update each parameter layer's master (when kept),
        /// int8 weights, residues (when kept) and bias, with exponents. (All of them after every update would
        /// push NFUnitTest's signature table, which holds the constant arrays, past nanoCLR's 64 KB.)
        /// scaleByFanIn false gives the unscaled run the host compares against.
        /// </summary>
        public static ArrayList RunFanIn(uint seed, bool scaleByFanIn)
        {
            ArrayList trace = new ArrayList();
            int width = FanInSizes[0];
            int classes = FanInSizes[FanInSizes.Length - 1];
            sbyte[] inputs = new sbyte[FanInSamples * width];
            int[] labels = new int[FanInSamples];
            uint state = seed * 2654435761u + 0x9E3779B9u;
            if (state == 0) state = 1;
            for (int s = 0; s < FanInSamples; s++)
            {
                for (int i = 0; i < width; i++)
                {
                    state ^= state << 13; state ^= state >> 17; state ^= state << 5;
                    inputs[s * width + i] = (sbyte)((int)(long)(state % 201u) - 100);
                }
                state ^= state << 13; state ^= state >> 17; state ^= state << 5;
                labels[s] = (int)(long)(state % (uint)classes);
            }
            ShiftSum lr = ShiftSum.FromRatio(1, FanInRateDenominator, LearningRateTerms);
            TrainingStateMode[] modes = new TrainingStateMode[] { TrainingStateMode.GradientArena, TrainingStateMode.FusedMaster, TrainingStateMode.FusedInt8, TrainingStateMode.FusedInt8Residue };
            for (int m = 0; m < modes.Length; m++)
            {
                Network net = Network.CreateMlp(FanInSizes, seed, -1, false, modes[m]);
                net.SetAllTrainable(true);
                net.SetFanInRateScaling(scaleByFanIn);
                net.SetLearningRate(lr);
                string mode = "mode" + (int)modes[m];
                int[] shifts = new int[net.Layers.Length];
                for (int l = 0; l < net.Layers.Length; l++)
                {
                    ParameterLayer p = net.Layers[l] as ParameterLayer;
                    shifts[l] = p == null ? -1 : p.RateShift;
                }
                trace.Add(new GoldenSection(FanIn, mode + ".rateShift", shifts));
                bool arena = modes[m] == TrainingStateMode.GradientArena;
                int perUpdate = arena ? 2 : 1;
                for (int first = 0; first < FanInSamples; first += perUpdate)
                {
                    int[] losses = new int[perUpdate];
                    for (int b = 0; b < perUpdate; b++)
                    {
                        int sample = first + b;
                        QTensor input = net.Input;
                        for (int i = 0; i < width; i++) input.Data[i] = inputs[sample * width + i];
                        input.Exponent = -7;
                        losses[b] = net.TrainSample(labels[sample]);
                    }
                    if (arena) net.Step(lr, null);
                    string at = mode + ".update" + (first / perUpdate);
                    trace.Add(new GoldenSection(FanIn, at + ".lossQ16", losses));
                    int[] crcs = new int[net.Layers.Length];
                    for (int l = 0; l < net.Layers.Length; l++)
                    {
                        ParameterLayer p = net.Layers[l] as ParameterLayer;
                        if (p != null) crcs[l] = (int)(long)StateCrc(p);
                    }
                    trace.Add(new GoldenSection(FanIn, at + ".stateCrc", crcs));
                    if (first + perUpdate < FanInSamples) continue; // the CRCs stand for the parameters before the last update
                    for (int l = 0; l < net.Layers.Length; l++)
                    {
                        ParameterLayer p = net.Layers[l] as ParameterLayer;
                        if (p == null) continue;
                        AddLayerState(trace, FanIn, at + ".layer" + l, p);
                    }
                }
            }
            return trace;
        }

        /// <summary>
        /// CRC-32 of a parameter layer's trained state: the exponents, then master (when kept), int8 weights,
        /// residues (when kept) and bias, each value as 4 little-endian bytes. Any value that differs changes it.
        /// </summary>
        static uint StateCrc(ParameterLayer p)
        {
            byte[] word = new byte[4];
            uint crc = 0xFFFFFFFFu;
            crc = CrcInt(crc, word, p.MasterExponent);
            crc = CrcInt(crc, word, p.WeightExponent);
            crc = CrcInt(crc, word, p.BiasExponent);
            if (p.MasterWeights != null) for (int i = 0; i < p.MasterWeights.Length; i++) crc = CrcInt(crc, word, p.MasterWeights[i]);
            for (int i = 0; i < p.Weights.Length; i++) crc = CrcInt(crc, word, p.Weights[i]);
            if (p.Residues != null) for (int i = 0; i < p.Weights.Length; i++) crc = CrcInt(crc, word, PackedResidue.Get(p.Residues, i));
            for (int i = 0; i < p.Bias.Length; i++) crc = CrcInt(crc, word, p.Bias[i]);
            return crc ^ 0xFFFFFFFFu;
        }

        static uint CrcInt(uint crc, byte[] word, int value)
        {
            word[0] = (byte)value;
            word[1] = (byte)(value >> 8);
            word[2] = (byte)(value >> 16);
            word[3] = (byte)(value >> 24);
            return Crc32.Update(crc, word, 0, 4);
        }

        /// <summary>An int argument widened to long (sign-extended on .NET; see <see cref="RunRounding"/>).</summary>
        static long Widen(int value)
        {
            return value;
        }

        /// <summary>Updates <see cref="RunContinual"/> asks for, each after 8 new samples.</summary>
        public const int ContinualUpdates = 12;
        public const int SamplesPerUpdate = 8;
        /// <summary>Samples each label covers, counted back from the newest (overlapping, so some are relabelled).</summary>
        public const int LabelSpan = 12;
        public const long SamplePeriodMs = 10000;

        /// <summary>
        /// The firmware's training loop on the default model: ModelFile.Load of modelBytes (no
        /// momentum, as the firmware loads it), the default ContinualConfig, the history filled with
        /// HistorySamples samples, then ContinualUpdates rounds of SamplesPerUpdate new samples,
        /// LabelRecent over the newest LabelSpan and UpdateIfDue. Records every prediction, the
        /// learner's state after each update (with the model file's CRC-32), every parameter layer's
        /// exponents and state CRC after the first, second and last update, and after the last the top
        /// layer's values and every bias. (Every parameter after every update, or the 6-48-24-2 default's
        /// hidden weights at all, would push NFUnitTest's constant data past what one nanoFramework
        /// assembly can hold: nanoCLR then fails to resolve it.)
        /// Raw features are offset ± a few standard deviations from an integer xorshift32 stream.
        /// </summary>
        public static ArrayList RunContinual(uint seed, byte[] modelBytes) { return RunContinual(seed, modelBytes, false); }

        /// <summary>
        /// As above; lookAhead: the opt-in look-ahead fill (ContinualConfig.LookAheadFill) with a scored re-selection after
        /// every LookAheadReselectEvery updates, so its trial steps and undo run: per update only the learner's state with the
        /// model file's CRC (no predictions or layer values: NFUnitTest's signature table has no room), and the look-ahead's
        /// counters last.
        /// </summary>
        public static ArrayList RunContinual(uint seed, byte[] modelBytes, bool lookAhead)
        {
            ArrayList trace = new ArrayList();
            Model model = ModelFile.Load(modelBytes, modelBytes.Length, -1, false);
            ContinualConfig config = new ContinualConfig();
            if (lookAhead) { config.LookAheadFill = true; config.ReselectEveryUpdates = LookAheadReselectEvery; }
            ContinualLearner learner = new ContinualLearner(model, config);
            Network net = model.Network;
            int features = net.InputLength;
            int classes = net.ClassCount;
            int top = TopParameterLayer(net);

            // Per feature, the raw distance (a power of two) that moves the normalised input by at least 32 units.
            int[] unit = new int[features];
            for (int i = 0; i < features; i++)
            {
                FeatureScale f = model.Normalizer.Features[i];
                int d = 1;
                while (d < (1 << 24) && f.Scale.ApplyRounded(d, 0) < 32) d <<= 1;
                unit[i] = d;
            }

            uint state = seed * 2654435761u + 0x9E3779B9u;
            if (state == 0) state = 1;
            int[] raw = new int[features];
            long time = 0;

            int[] fill = new int[config.HistorySamples];
            for (int n = 0; n < fill.Length; n++)
            {
                state = NextRaw(state, model.Normalizer, unit, raw);
                fill[n] = learner.Observe(raw, time);
                time += SamplePeriodMs;
            }
            if (!lookAhead) trace.Add(new GoldenSection(Continual, "fill.predictions", fill));

            for (int u = 0; u < ContinualUpdates; u++)
            {
                string at = "update" + u;
                int[] predictions = new int[SamplesPerUpdate];
                for (int n = 0; n < SamplesPerUpdate; n++)
                {
                    state = NextRaw(state, model.Normalizer, unit, raw);
                    predictions[n] = learner.Observe(raw, time);
                    time += SamplePeriodMs;
                }
                if (!lookAhead) trace.Add(new GoldenSection(Continual, at + ".predictions", predictions));
                state ^= state << 13; state ^= state >> 17; state ^= state << 5;
                int label = (int)(long)(state % (uint)classes);
                long newest = time - SamplePeriodMs;
                int labelled = learner.LabelRecent(label, newest - (LabelSpan - 1) * SamplePeriodMs, newest);
                bool updated = learner.UpdateIfDue(newest);
                // The CRC-32 the model file stores (over everything before it): any parameter that differs changes it.
                uint crc = Crc32.Compute(ModelFile.Save(model), 0, ModelFile.SizeOf(model) - 4);
                trace.Add(new GoldenSection(Continual, at + ".learner", new int[]
                {
                    label, labelled, updated ? 1 : 0, learner.Updates, learner.PendingLabels, learner.LastLossQ16,
                    learner.SelectedChannels, learner.LastBatchSize, learner.Reselections, learner.DriftSignals,
                    (int)learner.LastUpdateMacs, (int)(long)crc,
                }));
                if (u > 1 && u < ContinualUpdates - 1) continue; // the CRC stands for the parameters in between
                if (lookAhead) continue;
                bool lastUpdate = u == ContinualUpdates - 1;
                for (int l = 0; l < net.Layers.Length; l++)
                {
                    ParameterLayer p = net.Layers[l] as ParameterLayer;
                    if (p == null) continue;
                    string layer = at + ".layer" + l;
                    // Per layer: exponents and the CRC of every value (a wrong value names its layer and update).
                    trace.Add(new GoldenSection(Continual, layer + ".state", new int[]
                    {
                        p.MasterExponent, p.WeightExponent, p.BiasExponent, (int)(long)StateCrc(p),
                    }));
                    if (!lastUpdate) continue;
                    // Full values only at the end: the top layer's state and every bias (the default model's
                    // hidden weights, all of them, would put NFUnitTest's signature table over 64 KB).
                    if (l == top) AddLayerState(trace, Continual, layer, p);
                    else trace.Add(new GoldenSection(Continual, layer + ".bias", Prefixed(p.BiasExponent, p.Bias)));
                }
            }
            if (lookAhead)
                trace.Add(new GoldenSection(Continual, "lookahead", new int[]
                {
                    learner.LookAheadTrials, learner.LookAheadLowerChosen, (int)learner.LookAheadMacs, (int)learner.LookAheadSamples,
                }));
            return trace;
        }

        /// <summary>Updates between scored re-selections in <see cref="RunContinual(uint, byte[], bool)"/>'s look-ahead case.</summary>
        public const int LookAheadReselectEvery = 3;

        /// <summary>Sections of <see cref="RunWindowContinual"/>: a window model's learner keeping its history as rows.</summary>
        public const string WindowHistory = "window-history";
        /// <summary>The window scenario's shape: WindowRows rows of WindowRowFeatures raw features.</summary>
        public const int WindowRows = 4;
        public const int WindowRowFeatures = 3;
        public const int WindowSamples = 150;
        /// <summary>Record the learner's state every so many samples.</summary>
        public const int WindowRecordEvery = 30;

        /// <summary>
        /// A learner on a model over a window of WindowRows rows (issue 16 item 4, session 8): timeMajor false a lagged
        /// MLP 12-8-2 ([feature][rows back]), true a Conv1D 4x3 k2 c4 + 12-6-2 ([oldest..now][feature]), both from the seed,
        /// the row normaliser repeated at every lag. WindowSamples windows of an xorshift32 random walk (the earliest row
        /// padding the first), a label over the newest 3 samples every 4th, UpdateIfDue after each; a history of 24
        /// (it wraps), replay 8, batch 4, a 400 B budget (sparse). asRows: ContinualConfig.WindowRows = WindowRows (the
        /// history keeps rows); else 1 (whole windows, the layout before). Records every WindowRecordEvery samples the
        /// learner's state with the model file's CRC, the predictions' checksum, then the top layer's state; the
        /// history's bytes come last in their own section ("memory": the one section the two layouts differ in).
        /// </summary>
        public static ArrayList RunWindowContinual(uint seed, bool timeMajor, bool asRows)
        {
            ArrayList trace = new ArrayList();
            int rows = WindowRows, width = WindowRowFeatures, inputs = rows * width;
            Network net;
            if (timeMajor)
            {
                Conv1DLayer conv = new Conv1DLayer(rows, width, 4, 2);
                conv.InitializeHeUniform(seed, 2 * width);
                DenseLayer hidden = new DenseLayer(conv.OutputLength, 6);
                hidden.InitializeHeUniform(seed + 7919u, conv.OutputLength);
                DenseLayer top = new DenseLayer(6, 2);
                top.InitializeHeUniform(seed + 2u * 7919u, 6);
                net = new Network(new Layer[] { conv, new ReluLayer(conv.OutputLength), hidden, new ReluLayer(6), top }, -1, false);
            }
            else net = Network.CreateMlp(new int[] { inputs, 8, 2 }, seed, -1, false);
            FeatureScale[] scales = new FeatureScale[inputs];
            for (int j = 0; j < width; j++)
            {
                FeatureScale scale = new FeatureScale(100 * j, ShiftSum.FromRatio(2 + j, 3, 3));
                for (int back = 0; back < rows; back++) scales[timeMajor ? (rows - 1 - back) * width + j : j * rows + back] = scale;
            }
            Model model = new Model(net, new InputNormalizer(scales, -5));
            ContinualConfig config = new ContinualConfig();
            config.WindowRows = asRows ? rows : 1;
            config.WindowTimeMajor = timeMajor;
            config.HistorySamples = 24;
            config.ReplayCapacity = 8;
            config.BatchSize = 4;
            config.BudgetBytes = 400;
            config.BudgetMacs = long.MaxValue;
            config.ReselectEveryUpdates = 5;
            config.Seed = seed;
            ContinualLearner learner = new ContinualLearner(model, config);

            uint state = seed * 2654435761u + 0x9E3779B9u;
            if (state == 0) state = 1;
            int[] recent = new int[rows * width];   // [rows back][feature], 0 = newest
            int[] raw = new int[inputs];
            int level = 0, checksum = 0;
            long time = 0;
            for (int n = 0; n < WindowSamples; n++)
            {
                // The new row: a random walk, a copy of it with noise, and noise; older rows move back one.
                for (int i = recent.Length - 1; i >= width; i--) recent[i] = recent[i - width];
                state ^= state << 13; state ^= state >> 17; state ^= state << 5;
                level += (int)(long)(state % 41u) - 20;
                recent[0] = level;
                recent[1] = 100 + level / 2 + (int)(long)((state >> 8) % 21u) - 10;
                recent[2] = 200 + (int)(long)((state >> 16) % 61u) - 30;
                if (n == 0) for (int i = width; i < recent.Length; i++) recent[i] = recent[i % width];
                for (int j = 0; j < width; j++)
                    for (int back = 0; back < rows; back++) raw[timeMajor ? (rows - 1 - back) * width + j : j * rows + back] = recent[back * width + j];
                int predicted = learner.Observe(raw, time);
                checksum = checksum * 31 + predicted + 1;
                if (n % 4 == 3) learner.LabelRecent(recent[0] > recent[(rows - 1) * width] ? 1 : 0, time - 2 * SamplePeriodMs, time);
                learner.UpdateIfDue(time);
                time += SamplePeriodMs;
                if (n % WindowRecordEvery != WindowRecordEvery - 1) continue;
                uint crc = Crc32.Compute(ModelFile.Save(model), 0, ModelFile.SizeOf(model) - 4);
                trace.Add(new GoldenSection(WindowHistory, "sample" + n + ".learner", new int[]
                {
                    learner.Updates, learner.PendingLabels, learner.LastLossQ16, learner.SelectedChannels, learner.LastBatchSize,
                    learner.Reselections, learner.DriftSignals, (int)learner.LastUpdateMacs, learner.Replay.Count, checksum, (int)(long)crc,
                }));
            }
            ParameterLayer head = (ParameterLayer)net.Layers[TopParameterLayer(net)];
            AddLayerState(trace, WindowHistory, "end.top", head);
            trace.Add(new GoldenSection(WindowHistory, "end.memory", new int[] { learner.History.Bytes, learner.LearnerBytes }));
            return trace;
        }

        /// <summary>Index of the last parameter layer (the classifier head).</summary>
        static int TopParameterLayer(Network net)
        {
            int top = -1;
            for (int l = 0; l < net.Layers.Length; l++) if (net.Layers[l] is ParameterLayer) top = l;
            return top;
        }

        /// <summary>One sample of raw features: offset + (-100..100)/32 · unit per feature. Returns the new xorshift32 state.</summary>
        static uint NextRaw(uint state, InputNormalizer normalizer, int[] unit, int[] raw)
        {
            for (int i = 0; i < raw.Length; i++)
            {
                state ^= state << 13; state ^= state >> 17; state ^= state << 5;
                int step = (int)(long)(state % 201u) - 100;
                raw[i] = normalizer.Features[i].Offset + step * unit[i] / 32;
            }
            return state;
        }

        /// <summary>[exponent, data...] of a tensor.</summary>
        static int[] Tensor(QTensor t)
        {
            int[] v = new int[t.Length + 1];
            v[0] = t.Exponent;
            for (int i = 0; i < t.Length; i++) v[i + 1] = t.Data[i];
            return v;
        }

        /// <summary>A parameter layer's trained state as golden sections named prefix.master/.weights/.residue/.bias
        /// (master and residue only when the training-state mode keeps them; exponents lead their sections).</summary>
        static void AddLayerState(ArrayList trace, string kind, string prefix, ParameterLayer p)
        {
            if (p.MasterWeights != null)
            {
                int[] master = new int[p.MasterWeights.Length];
                for (int i = 0; i < master.Length; i++) master[i] = p.MasterWeights[i];
                trace.Add(new GoldenSection(kind, prefix + ".master", Prefixed(p.MasterExponent, master)));
            }
            int[] weights = new int[p.Weights.Length];
            for (int i = 0; i < weights.Length; i++) weights[i] = p.Weights[i];
            trace.Add(new GoldenSection(kind, prefix + ".weights", Prefixed(p.WeightExponent, weights)));
            if (p.Residues != null)
            {
                int[] residues = new int[p.Weights.Length];
                for (int i = 0; i < residues.Length; i++) residues[i] = PackedResidue.Get(p.Residues, i);
                trace.Add(new GoldenSection(kind, prefix + ".residue", residues));
            }
            trace.Add(new GoldenSection(kind, prefix + ".bias", Prefixed(p.BiasExponent, p.Bias)));
        }

        static int[] Prefixed(int first, int[] rest)
        {
            int[] v = new int[rest.Length + 1];
            v[0] = first;
            Array.Copy(rest, 0, v, 1, rest.Length);
            return v;
        }
    }
}
