using System;

namespace TinTin.Core
{
    /// <summary>
    /// The on-device continual-learning loop: observe → predict → remember; late labels for spans
    /// of remembered samples; rate-capped, class-balanced updates of new labelled samples mixed
    /// with replay; TinyTrain re-selection of what to train on demand, periodically and on drift.
    ///
    /// Memory: everything is allocated in the constructor. Observe, LabelRecent and UpdateIfDue
    /// (including the re-selections it triggers) allocate nothing.
    ///
    /// Samples: Observe normalises the raw fixed-point features with Model.Normalizer (or, with no
    /// normaliser, takes them as int8 at exponent 0), predicts, and writes the int8 input, its time
    /// and the prediction into a ring of HistorySamples. LabelRecent(label, from, to) labels every
    /// remembered sample with from ≤ time ≤ to (a button pressed after the fact), making it
    /// pending; each newly labelled sample feeds the drift detector with whether its prediction
    /// was wrong. A pending sample overwritten by the ring before an update used it is lost.
    ///
    /// An update (UpdateIfDue, when labels are pending and fewer than MaxUpdatesPerMinute updates
    /// happened in the last 60 s): a batch of BatchSize samples — up to half pending samples
    /// (all of it while the replay buffer is empty), oldest first and round-robin over classes,
    /// then replay samples of whichever class the batch has fewest of, then more pending samples
    /// if the replay has run out — forward/backward each, one SGD step (no momentum). The pending
    /// samples used then enter the replay buffer. Counters give the update's MACs.
    /// </summary>
    public sealed class ContinualLearner
    {
        private const byte Unlabelled = 0, Pending = 1, Used = 2;

        private readonly Model model;
        private readonly Network network;
        private readonly ContinualConfig config;
        private readonly int features;
        private readonly int classes;
        private readonly int inputExponent;

        // history ring
        private readonly int historyCapacity;
        private readonly sbyte[] historyData;   // [H · features]
        private readonly long[] historyTime;    // [H]
        private readonly sbyte[] historyPrediction; // [H]
        private readonly sbyte[] historyLabel;  // [H], -1 unlabelled
        private readonly byte[] historyState;   // [H]
        private int historyHead;                // next slot to write
        private int historyCount;

        // batch
        private readonly int[] batchSlot;       // [B] history slot, or replay data offset
        private readonly bool[] batchFromReplay;
        private readonly int[] batchLabel;
        private readonly int[] classInBatch;    // [classes]
        private readonly int[] classCursor;     // [classes] scan position (age order) for pending picks
        private int batchCount;

        // rate cap
        private readonly long[] updateTimes;    // [MaxUpdatesPerMinute] ring
        private int updateTimesHead;
        private int updateTimesCount;

        // bias-only gradients
        private readonly int[] biasGradient;    // [scorer.TotalChannels]
        private readonly int[] biasGradientExponent; // [parameter layers]
        private readonly int[] biasGradientTop;
        private readonly bool[] biasGradientEmpty;
        private readonly int biasOnlyBytes;

        public readonly ReplayBuffer Replay;
        public readonly FisherScorer Scorer;
        public readonly ChannelSelector Selector;
        public readonly DriftDetector Drift;

        private bool reselectRequested;
        private int updates, pendingLabels, reselections, lastLoss, lastBytes, lastBatch, lastPrediction = -1;
        private long lastMacs;
        private int budgetBytes;
        private long budgetMacs;
        private readonly int staticBytes;
        private uint randomState;               // xorshift32 of the Random criterion

        public ContinualLearner(Model model, ContinualConfig config)
        {
            if (model == null) throw new ArgumentException("the learner needs a model");
            if (config == null) throw new ArgumentException("the learner needs a config");
            if (config.HistorySamples < 1) throw new ArgumentException("HistorySamples must be at least 1");
            if (config.ReplayCapacity < 0) throw new ArgumentException("ReplayCapacity must not be negative");
            if (config.ReplayRecency < 0) throw new ArgumentException("ReplayRecency must not be negative");
            if (config.BatchSize < 1 || config.BatchSize > ParameterLayer.MaxAccumulatedSamples)
                throw new ArgumentException("BatchSize must be in 1.." + ParameterLayer.MaxAccumulatedSamples);
            if (config.MaxUpdatesPerMinute < 0) throw new ArgumentException("MaxUpdatesPerMinute must not be negative");
            if (config.LearningRate == null) throw new ArgumentException("LearningRate is missing");
            if (config.BudgetBytes < 0 || config.BudgetMacs < 0) throw new ArgumentException("budgets must not be negative (0 = default/unlimited)");
            if (config.ReselectEveryUpdates < 0) throw new ArgumentException("ReselectEveryUpdates must not be negative");
            if (config.ScoringSamples < 1) throw new ArgumentException("ScoringSamples must be at least 1");
            if (config.Profile == null) throw new ArgumentException("Profile is missing");
            if (config.Policy < UpdatePolicy.None || config.Policy > UpdatePolicy.BiasOnly) throw new ArgumentException("unknown update policy " + (int)config.Policy);
            if (config.Criterion < SelectionCriterion.Fisher || config.Criterion > SelectionCriterion.LastLayer) throw new ArgumentException("unknown selection criterion " + (int)config.Criterion);
            this.model = model;
            this.config = config;
            network = model.Network;
            features = network.InputLength;
            classes = network.ClassCount;
            inputExponent = model.Normalizer != null ? model.Normalizer.InputExponent : 0;

            historyCapacity = config.HistorySamples;
            historyData = new sbyte[historyCapacity * features];
            historyTime = new long[historyCapacity];
            historyPrediction = new sbyte[historyCapacity];
            historyLabel = new sbyte[historyCapacity];
            historyState = new byte[historyCapacity];
            for (int i = 0; i < historyCapacity; i++) historyLabel[i] = -1;

            int b = config.BatchSize;
            batchSlot = new int[b];
            batchFromReplay = new bool[b];
            batchLabel = new int[b];
            classInBatch = new int[classes];
            classCursor = new int[classes];
            updateTimes = new long[config.MaxUpdatesPerMinute > 0 ? config.MaxUpdatesPerMinute : 1];

            randomState = config.Seed * 2654435761u + 12345u;
            Replay = new ReplayBuffer(config.ReplayCapacity, features, classes, config.Seed);
            Replay.Recency = config.ReplayRecency;
            Scorer = new FisherScorer(network);
            Selector = new ChannelSelector(network, Scorer, b);
            Drift = new DriftDetector(config.DriftDeltaQ8, config.DriftLambdaQ8, config.DriftMinSamples);

            biasGradient = new int[Scorer.TotalChannels];
            int layerCount = Scorer.ParameterLayerCount;
            biasGradientExponent = new int[layerCount];
            biasGradientTop = new int[layerCount];
            biasGradientEmpty = new bool[layerCount];
            for (int k = 0; k < layerCount; k++) biasGradientEmpty[k] = true;
            biasOnlyBytes = ComputeBiasOnlyBytes();

            MemoryPlan plan = network.DescribeMemory();
            staticBytes = plan.BytesIn(MemoryCategory.Weights) + plan.BytesIn(MemoryCategory.MasterWeights)
                + plan.BytesIn(MemoryCategory.Scratch) + LearnerBytes;
            ApplyBudget(config.BudgetBytes, config.BudgetMacs);
            Select();
        }

        // ---- contract --------------------------------------------------------------------------------

        public Model Model { get { return model; } }

        /// <summary>Normalises (Model.Normalizer), predicts and remembers one sample; returns the predicted class.</summary>
        public int Observe(int[] rawFeatures, long timeMs)
        {
            if (rawFeatures == null || rawFeatures.Length < features)
                throw new ArgumentException("Observe needs " + features + " raw features");
            QTensor input = network.Input;
            if (model.Normalizer != null) model.Normalizer.Normalize(rawFeatures, input);
            else
            {
                for (int i = 0; i < features; i++) input.Data[i] = QMath.SaturateToInt8(rawFeatures[i]);
                input.Exponent = 0;
            }
            int predicted = network.Predict();
            int slot = historyHead;
            if (historyState[slot] == Pending) pendingLabels--;
            Array.Copy(input.Data, 0, historyData, slot * features, features);
            historyTime[slot] = timeMs;
            historyPrediction[slot] = (sbyte)predicted;
            historyLabel[slot] = -1;
            historyState[slot] = Unlabelled;
            historyHead = slot + 1 == historyCapacity ? 0 : slot + 1;
            if (historyCount < historyCapacity) historyCount++;
            lastPrediction = predicted;
            return predicted;
        }

        /// <summary>Labels every remembered sample with fromMs ≤ time ≤ toMs; returns how many.</summary>
        public int LabelRecent(int label, long fromMs, long toMs)
        {
            if (label < 0 || label >= classes) throw new ArgumentException("label " + label + " is outside 0.." + (classes - 1));
            if (fromMs > toMs) throw new ArgumentException("the label span starts after it ends");
            int labelled = 0;
            int slot = OldestSlot();
            for (int n = 0; n < historyCount; n++)
            {
                long t = historyTime[slot];
                if (t >= fromMs && t <= toMs)
                {
                    byte state = historyState[slot];
                    if (state == Unlabelled)
                    {
                        historyState[slot] = Pending;
                        pendingLabels++;
                        if (Drift.Add(historyPrediction[slot] != label) && config.ReselectOnDrift) reselectRequested = true;
                    }
                    else if (state == Used && historyLabel[slot] != label)
                    {
                        historyState[slot] = Pending; // corrected: learn it again
                        pendingLabels++;
                    }
                    historyLabel[slot] = (sbyte)label;
                    labelled++;
                }
                slot = slot + 1 == historyCapacity ? 0 : slot + 1;
            }
            return labelled;
        }

        /// <summary>At most one update, if labels are pending and the rate cap allows. True when it updated.</summary>
        public bool UpdateIfDue(long nowMs)
        {
            if (pendingLabels == 0 || config.Policy == UpdatePolicy.None) return false;
            int cap = config.MaxUpdatesPerMinute;
            if (cap > 0 && updateTimesCount >= cap && nowMs - updateTimes[updateTimesHead] < 60000L) return false;
            if (reselectRequested) { reselectRequested = false; Reselect(); }
            bool biasOnly = config.Policy == UpdatePolicy.BiasOnly;
            if (!biasOnly && Selector.SelectedChannels == 0) return false; // the budget allows nothing
            BuildBatch();
            if (batchCount == 0) return false;

            network.Counters.BeginStep();
            long lossSum = 0;
            for (int i = 0; i < batchCount; i++)
            {
                LoadBatchSample(i);
                lossSum += biasOnly ? TrainBiasSample(batchLabel[i]) : network.TrainSample(batchLabel[i]);
            }
            if (biasOnly) ApplyBiasUpdate(config.LearningRate);
            else network.Step(config.LearningRate, null);
            lastMacs = network.Counters.StepMacs;
            lastBytes = biasOnly ? biasOnlyBytes : Selector.SelectedBytes;
            lastLoss = (int)(lossSum / batchCount);
            lastBatch = batchCount;

            for (int i = 0; i < batchCount; i++)
            {
                if (batchFromReplay[i]) continue;
                int slot = batchSlot[i];
                if (historyState[slot] != Pending) continue;
                historyState[slot] = Used;
                pendingLabels--;
                Replay.Add(historyData, slot * features, batchLabel[i]);
            }
            if (cap > 0)
            {
                updateTimes[updateTimesHead] = nowMs;
                updateTimesHead = updateTimesHead + 1 == cap ? 0 : updateTimesHead + 1;
                if (updateTimesCount < cap) updateTimesCount++;
            }
            updates++;
            if (config.ReselectEveryUpdates > 0 && updates % config.ReselectEveryUpdates == 0) Reselect();
            return true;
        }

        /// <summary>Sets the budgets (bytes 0 = from the profile, MACs 0 = unlimited), then re-selects.</summary>
        public void SetBudget(int bytes, long macs)
        {
            if (bytes < 0 || macs < 0) throw new ArgumentException("budgets must not be negative (0 = default/unlimited)");
            ApplyBudget(bytes, macs);
            Reselect();
        }

        /// <summary>Scores channels on recent labelled samples and replay (Fisher potential), then selects within the budget.</summary>
        public void Reselect()
        {
            Select();
            reselections++;
        }

        public int Updates { get { return updates; } }
        public int PendingLabels { get { return pendingLabels; } }
        public int SelectedChannels { get { return Selector.SelectedChannels; } }
        public long LastUpdateMacs { get { return lastMacs; } }
        public int LastUpdateBytes { get { return lastBytes; } }
        public int LastLossQ16 { get { return lastLoss; } }
        public int Reselections { get { return reselections; } }
        public int DriftSignals { get { return Drift.Signals; } }

        // ---- additions -------------------------------------------------------------------------------

        public ContinualConfig Config { get { return config; } }
        /// <summary>The backward-bytes budget in force (resolved from the profile when 0 was given).</summary>
        public int BudgetBytes { get { return budgetBytes; } }
        public long BudgetMacs { get { return budgetMacs; } }
        /// <summary>Bytes the learner's own buffers take (history, replay, batch, scorer).</summary>
        public int LearnerBytes
        {
            get
            {
                return historyData.Length + 8 * historyCapacity + 3 * historyCapacity + Replay.Data.Length
                    + 12 * batchSlot.Length + 8 * classes + 8 * updateTimes.Length
                    + 12 * Scorer.TotalChannels + 4 * biasGradient.Length;
            }
        }
        /// <summary>Bytes of the model's weights, master copy, scratch and the learner's buffers (what the budget default subtracts).</summary>
        public int StaticBytes { get { return staticBytes; } }
        /// <summary>Backward bytes of the current selection (bias-only: its own).</summary>
        public int SelectedBytes { get { return config.Policy == UpdatePolicy.BiasOnly ? biasOnlyBytes : Selector.SelectedBytes; } }
        /// <summary>Samples of a class in the last update's batch.</summary>
        public int LastBatchCountOf(int label) { return classInBatch[label]; }
        /// <summary>Replay samples in the last update's batch.</summary>
        public int LastBatchReplayCount
        {
            get { int n = 0; for (int i = 0; i < batchCount; i++) if (batchFromReplay[i]) n++; return n; }
        }
        /// <summary>Samples in the last update's batch.</summary>
        public int LastBatchSize { get { return lastBatch; } }
        public int LastPrediction { get { return lastPrediction; } }
        public int HistoryCount { get { return historyCount; } }
        /// <summary>Whether a drift signal asked for a re-selection that has not happened yet.</summary>
        public bool ReselectPending { get { return reselectRequested; } }
        /// <summary>Estimated energy of the last update on the profile's board (µJ).</summary>
        public long LastUpdateMicrojoules { get { return config.Profile.MicrojoulesFor(lastMacs); } }

        // ---- internals -------------------------------------------------------------------------------

        private void ApplyBudget(int bytes, long macs)
        {
            budgetBytes = bytes > 0 ? bytes : config.Profile.TrainingBudgetBytes(staticBytes);
            if (budgetBytes == 0) budgetBytes = 1; // nothing left: select nothing rather than "unlimited"
            budgetMacs = macs;
            Selector.BudgetBytes = budgetBytes;
            Selector.BudgetMacs = budgetMacs;
        }

        private void Select()
        {
            if (config.Policy != UpdatePolicy.Sparse) { Selector.SelectFor(config.Policy); return; }
            switch (config.Criterion)
            {
                case SelectionCriterion.FirstLayer: Selector.SelectLayerWithinBudget(0); return;
                case SelectionCriterion.LastLayer: Selector.SelectLayerWithinBudget(Scorer.ParameterLayerCount - 1); return;
                case SelectionCriterion.TopDown: Scorer.Begin(); Scorer.Finish(); break; // no scores: fallback order
                case SelectionCriterion.Random: randomState = Scorer.FillRandom(randomState); break;
                default: Scorer.Criterion = config.Criterion; ScoreLabelledSamples(); break;
            }
            Selector.SelectSparse();
        }

        /// <summary>One ScoringMode backward per labelled sample: the newest labelled history first, then replay.</summary>
        private void ScoreLabelledSamples()
        {
            int total = config.ScoringSamples;
            int replayCount = Replay.Count;
            int replayShare = replayCount < total / 2 ? replayCount : total / 2;
            int recentQuota = total - replayShare;
            Scorer.Begin();
            int taken = 0;
            int slot = historyHead;
            for (int n = 0; n < historyCount && taken < recentQuota; n++)
            {
                slot = slot == 0 ? historyCapacity - 1 : slot - 1; // newest first
                if (historyState[slot] == Unlabelled) continue;
                Scorer.AddSample(historyData, slot * features, inputExponent, historyLabel[slot]);
                taken++;
            }
            int replayTake = total - taken;
            if (replayTake > replayCount) replayTake = replayCount;
            // Replay: round-robin over classes, slots in order (deterministic; the reservoir is already a random sample).
            int[] perClassNext = classCursor; // reused as scratch here
            Array.Clear(perClassNext, 0, classes);
            int added = 0;
            while (added < replayTake)
            {
                bool any = false;
                for (int c = 0; c < classes && added < replayTake; c++)
                {
                    if (perClassNext[c] >= Replay.CountOf(c)) continue;
                    Scorer.AddSample(Replay.Data, Replay.OffsetOf(c, perClassNext[c]), inputExponent, c);
                    perClassNext[c]++;
                    added++;
                    any = true;
                }
                if (!any) break;
            }
            Scorer.Finish();
        }

        private int OldestSlot()
        {
            int slot = historyHead - historyCount;
            return slot < 0 ? slot + historyCapacity : slot;
        }

        private void BuildBatch()
        {
            int b = config.BatchSize;
            batchCount = 0;
            Array.Clear(classInBatch, 0, classes);
            Array.Clear(classCursor, 0, classes);
            int newQuota = Replay.Count > 0 ? b - b / 2 : b;
            PickPending(newQuota);
            // Replay: the class the batch has fewest of, among classes the replay holds.
            while (batchCount < b)
            {
                int best = -1;
                for (int c = 0; c < classes; c++)
                    if (Replay.CountOf(c) > 0 && (best < 0 || classInBatch[c] < classInBatch[best])) best = c;
                if (best < 0) break;
                batchSlot[batchCount] = Replay.OffsetOf(best, Replay.RandomSlot(best));
                batchFromReplay[batchCount] = true;
                batchLabel[batchCount] = best;
                classInBatch[best]++;
                batchCount++;
            }
            PickPending(b);
        }

        /// <summary>Adds pending samples, oldest first, round-robin over classes, until the batch holds `until`.</summary>
        private void PickPending(int until)
        {
            while (batchCount < until)
            {
                bool any = false;
                for (int c = 0; c < classes && batchCount < until; c++)
                {
                    int slot = NextPending(c);
                    if (slot < 0) continue;
                    batchSlot[batchCount] = slot;
                    batchFromReplay[batchCount] = false;
                    batchLabel[batchCount] = c;
                    classInBatch[c]++;
                    batchCount++;
                    any = true;
                }
                if (!any) return;
            }
        }

        /// <summary>The next pending history slot of a class in age order after its cursor, or -1.</summary>
        private int NextPending(int label)
        {
            int oldest = OldestSlot();
            while (classCursor[label] < historyCount)
            {
                int slot = oldest + classCursor[label];
                if (slot >= historyCapacity) slot -= historyCapacity;
                classCursor[label]++;
                if (historyState[slot] == Pending && historyLabel[slot] == label) return slot;
            }
            return -1;
        }

        private void LoadBatchSample(int i)
        {
            QTensor input = network.Input;
            if (batchFromReplay[i]) Array.Copy(Replay.Data, batchSlot[i], input.Data, 0, features);
            else Array.Copy(historyData, batchSlot[i] * features, input.Data, 0, features);
            input.Exponent = inputExponent;
        }

        // ---- bias-only update (a baseline: every layer's biases, no weights) -------------------------

        /// <summary>Forward and an error-only backward (ScoringMode); adds each layer's output gradient into its bias gradient.</summary>
        private int TrainBiasSample(int label)
        {
            network.ScoringMode = true;
            network.Forward();
            int loss = network.Backward(label);
            network.ScoringMode = false;
            for (int k = 0; k < Scorer.ParameterLayerCount; k++)
            {
                int l = Scorer.LayerIndex[k];
                QTensor g = network.Gradients[l + 1];
                ParameterLayer p = (ParameterLayer)network.Layers[l];
                int e = g.Exponent;
                int start = Scorer.ChannelStart[k];
                if (biasGradientEmpty[k])
                {
                    biasGradientEmpty[k] = false;
                    biasGradientTop[k] = e;
                    biasGradientExponent[k] = e - ParameterLayer.GradientGuardBits;
                }
                else if (e > biasGradientTop[k])
                {
                    int rescale = e - biasGradientTop[k];
                    for (int c = 0; c < p.Channels; c++)
                        biasGradient[start + c] = QMath.PseudoStochasticShiftRight(biasGradient[start + c], rescale);
                    biasGradientExponent[k] += rescale;
                    biasGradientTop[k] = e;
                }
                int shift = e - biasGradientExponent[k];
                sbyte[] dy = g.Data;
                int positions = g.Length / p.Channels;
                for (int c = 0; c < p.Channels; c++)
                {
                    int sum = 0;
                    for (int i = c * positions; i < (c + 1) * positions; i++) sum += dy[i];
                    if (sum != 0) biasGradient[start + c] = QMath.SaturatingAdd(biasGradient[start + c], QMath.ShiftStochastic(sum, -shift));
                }
            }
            return loss;
        }

        private void ApplyBiasUpdate(ShiftSum learningRate)
        {
            long touched = 0;
            for (int k = 0; k < Scorer.ParameterLayerCount; k++)
            {
                if (biasGradientEmpty[k]) continue;
                ParameterLayer p = (ParameterLayer)network.Layers[Scorer.LayerIndex[k]];
                int start = Scorer.ChannelStart[k];
                int shift = p.BiasExponent - biasGradientExponent[k];
                for (int c = 0; c < p.Channels; c++)
                {
                    int delta = learningRate.ApplyStochastic(biasGradient[start + c], shift);
                    p.Bias[c] = QMath.SaturatingAdd(p.Bias[c], -delta);
                    biasGradient[start + c] = 0;
                }
                biasGradientEmpty[k] = true;
                touched += p.Channels;
            }
            network.Counters.Add(touched, 2 * touched, 8 * touched, 4 * touched);
        }

        /// <summary>Backward bytes of the bias-only update: ReLU masks kept, every activation gradient, int32 bias gradients.</summary>
        private int ComputeBiasOnlyBytes()
        {
            int bytes = 0;
            Layer[] layers = network.Layers;
            for (int a = 0; a < layers.Length; a++)
            {
                if (!(layers[a] is ParameterLayer) && layers[a].KeepsInputForBackward(a > 0)) bytes += network.Activations[a].Bytes;
                bytes += network.Gradients[a + 1].Bytes;
            }
            return bytes + 4 * biasGradient.Length;
        }
    }
}
