using System;

namespace TinTin.Core
{
    /// <summary>
    /// The on-device continual-learning loop: observe → predict → remember; late labels for spans
    /// of remembered samples; rate-capped, class-balanced updates of new labelled samples mixed
    /// with replay; TinyTrain re-selection of what to train on demand, periodically and on drift.
    /// Its parts: <see cref="HistoryRing"/> (recent samples), <see cref="BatchBuilder"/>,
    /// <see cref="UpdateRateLimiter"/>, <see cref="ReplayBuffer"/>, <see cref="DriftDetector"/>,
    /// and <see cref="FisherScorer"/> + <see cref="ChannelSelector"/> for what to train. Every
    /// policy, bias-only included, trains through the network's one backward and update path.
    ///
    /// Memory: everything is allocated in the constructor. Observe, LabelRecent and UpdateIfDue
    /// (including the re-selections it triggers) allocate nothing.
    ///
    /// Samples: Observe normalises the raw fixed-point features with Model.Normalizer (or, with no
    /// normaliser, takes them as int8 at exponent 0), predicts, and remembers the int8 input, its
    /// time and the prediction in the history. LabelRecent(label, from, to) labels every
    /// remembered sample with from ≤ time ≤ to (a button pressed after the fact), making it
    /// pending; each newly labelled sample feeds the drift detector with whether its prediction
    /// was wrong. A pending sample overwritten by the ring before an update used it is lost.
    ///
    /// An update (UpdateIfDue, when labels are pending and the rate limiter allows): a batch from
    /// the BatchBuilder, forward/backward each, one SGD step (no momentum). The pending samples
    /// used then enter the replay buffer. Counters give the update's MACs.
    /// </summary>
    public sealed class ContinualLearner
    {
        private readonly Model model;
        private readonly Network network;
        private readonly ContinualConfig config;
        private readonly int features;
        private readonly int classes;
        private readonly int inputExponent;

        public readonly HistoryRing History;
        private readonly BatchBuilder batch;
        private readonly UpdateRateLimiter rateLimiter;
        public readonly ReplayBuffer Replay;
        public readonly FisherScorer Scorer;
        public readonly ChannelSelector Selector;
        public readonly DriftDetector Drift;

        private bool reselectRequested;
        private int updates, pendingLabels, reselections, lastLoss, lastBytes, lastBatch, lastPrediction = -1;
        private int lastNewlyLabelled, lastNewlyLabelledCorrect;
        private int labelledTotal;                   // samples labelled for the first time since start-up (LayerScoreOrderBelowLabels)
        private readonly bool scoredFill;            // a scored criterion: the fill options apply
        private long lastMacs;
        private long scoredSamples;
        private int budgetBytes;
        private long budgetMacs;
        private readonly int staticBytes;
        private readonly XorShift32 randomSelection; // draws the Random criterion's scores
        private readonly bool freshScores;           // ScoreFromUpdates in force (a scored sparse criterion)
        private int freshReselections;
        private readonly int[] lookAheadSlots;       // [BatchSize] history slots of a trial step's samples; null when LookAheadFill is off
        private int lookAheadTrials, lookAheadLowerChosen;
        private long lookAheadMacs, lookAheadSamples;

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
            if (config.BudgetBytes < 0 || config.BudgetMacs < 0) throw new ArgumentException("budgets must not be negative (0 = the profile's default)");
            if (config.ReselectEveryUpdates < 0) throw new ArgumentException("ReselectEveryUpdates must not be negative");
            if (config.ScoringSamples < 1) throw new ArgumentException("ScoringSamples must be at least 1");
            if (config.FreshReselectEveryUpdates < 0) throw new ArgumentException("FreshReselectEveryUpdates must not be negative");
            if (config.Profile == null) throw new ArgumentException("Profile is missing");
            if (config.Policy < UpdatePolicy.None || config.Policy > UpdatePolicy.BiasOnly) throw new ArgumentException("unknown update policy " + (int)config.Policy);
            if (config.Criterion < SelectionCriterion.Fisher || config.Criterion > SelectionCriterion.LastLayer) throw new ArgumentException("unknown selection criterion " + (int)config.Criterion);
            this.model = model;
            this.config = config;
            network = model.Network;
            network.SetFanInRateScaling(config.ScaleRateByFanIn);
            features = network.InputLength;
            classes = network.ClassCount;
            inputExponent = model.Normalizer != null ? model.Normalizer.InputExponent : 0;

            randomSelection = new XorShift32(config.Seed * 2654435761u + 12345u);
            if (config.WindowRows < 1 || features % config.WindowRows != 0)
                throw new ArgumentException("WindowRows " + config.WindowRows + " does not divide the model's " + features + " inputs into equal rows");
            if (config.WindowRows > 1) CheckRowsScaledAlike(model.Normalizer, config.WindowRows, config.WindowTimeMajor);
            History = new HistoryRing(config.HistorySamples, features, config.WindowRows, config.WindowTimeMajor);
            Replay = new ReplayBuffer(config.ReplayCapacity, features, classes, config.Seed);
            batch = new BatchBuilder(config.BatchSize, classes, History, Replay);
            rateLimiter = new UpdateRateLimiter(config.MaxUpdatesPerMinute);
            Replay.Recency = config.ReplayRecency;
            Scorer = new FisherScorer(network);
            Scorer.NormaliseLayerScore = config.NormaliseLayerScore;
            Selector = new ChannelSelector(network, Scorer, config.BatchSize);
            // The baselines keep the layer fill: random and topdown are the simple choices the scored ones are judged against.
            scoredFill = config.Criterion == SelectionCriterion.GradMag || config.Criterion == SelectionCriterion.Fisher;
            if (config.LayerScoreOrderBelowLabels < 0) throw new ArgumentException("LayerScoreOrderBelowLabels must not be negative");
            Selector.PricedFill = config.PricedFill && scoredFill;
            Selector.LayersTopDown = config.LayersTopDown && scoredFill;
            Selector.WholeLayerFill = config.WholeLayerFill && scoredFill;
            if (config.LookAheadFill && scoredFill && config.Policy == UpdatePolicy.Sparse && !config.PricedFill)
            {
                if (network.Mode != TrainingStateMode.GradientArena)
                    throw new ArgumentException("LookAheadFill needs the gradient-arena training mode (a trial step undoes itself in the gradient slots)");
                lookAheadSlots = new int[config.BatchSize];
            }
            Drift = new DriftDetector(config.DriftDeltaQ8, config.DriftLambdaQ8, config.DriftMinSamples);
            freshScores = config.ScoreFromUpdates && config.Policy == UpdatePolicy.Sparse
                && (config.Criterion == SelectionCriterion.GradMag || config.Criterion == SelectionCriterion.Fisher);

            // The budget and the arena come from one split of the engine's bytes (Network.BytesBesideBackward,
            // Network.ArenaIntsWithin): what they allocate is what the memory plan then counts.
            staticBytes = network.BytesBesideBackward() + LearnerBytes;
            ApplyBudget(config.BudgetBytes, config.BudgetMacs);
            if (network.ArenaDeferred) network.AllocateTrainingArena(network.ArenaIntsWithin(budgetBytes));
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
            if (History.Add(input.Data, timeMs, predicted) == LabelState.Pending) pendingLabels--;
            lastPrediction = predicted;
            return predicted;
        }

        /// <summary>
        /// Labels every remembered sample with fromMs ≤ time ≤ toMs; returns how many. Those labelled
        /// for the first time are counted in LastNewlyLabelled (and LastNewlyLabelledCorrect when
        /// the prediction made at the time was right): the prequential score.
        /// </summary>
        public int LabelRecent(int label, long fromMs, long toMs)
        {
            if (label < 0 || label >= classes) throw new ArgumentException("label " + label + " is outside 0.." + (classes - 1));
            if (fromMs > toMs) throw new ArgumentException("the label span starts after it ends");
            int labelled = 0;
            lastNewlyLabelled = 0;
            lastNewlyLabelledCorrect = 0;
            // Age order, oldest first; the ring finds the samples in the span (one loop, no call per slot).
            for (int age = History.FindInSpan(fromMs, toMs, 0); age >= 0; age = History.FindInSpan(fromMs, toMs, age + 1))
            {
                int slot = History.SlotAtAge(age);
                LabelState state = History.StateAt(slot);
                if (state == LabelState.Unlabelled)
                {
                    History.SetState(slot, LabelState.Pending);
                    pendingLabels++;
                    bool wrong = History.PredictionAt(slot) != label;
                    lastNewlyLabelled++;
                    labelledTotal++;
                    if (!wrong) lastNewlyLabelledCorrect++;
                    if (Drift.Add(wrong) && config.ReselectOnDrift) reselectRequested = true;
                }
                else if (state == LabelState.Used && History.LabelAt(slot) != label)
                {
                    History.SetState(slot, LabelState.Pending); // corrected: learn it again
                    pendingLabels++;
                }
                History.SetLabel(slot, label);
                labelled++;
            }
            return labelled;
        }

        /// <summary>At most one update, if labels are pending and the rate cap allows. True when it updated.</summary>
        public bool UpdateIfDue(long nowMs)
        {
            if (pendingLabels == 0 || config.Policy == UpdatePolicy.None) return false;
            if (!rateLimiter.Allows(nowMs)) return false;
            if (reselectRequested) { reselectRequested = false; Reselect(); }
            if (Selector.SelectedChannels == 0) return false; // the budget allows nothing
            batch.Build();
            int count = batch.Count;
            if (count == 0) return false;

            network.Counters.BeginStep();
            network.SetLearningRate(config.LearningRate); // a fused mode applies it sample by sample
            if (freshScores) Scorer.BeginUpdateRound(network.LowestTrainableLayer);
            long lossSum = 0;
            for (int i = 0; i < count; i++)
            {
                batch.Load(i, network.Input, inputExponent);
                lossSum += network.TrainSample(batch.LabelOf(i));
                // The sample's own gradients, before the next overwrites them; with ScoreRecentOnly (as the scoring
                // pass) only the batch's new labels, not its replay (a batch of replay alone leaves the scores as they were).
                if (freshScores && (!config.ScoreRecentOnly || !batch.IsReplay(i))) Scorer.AccumulateUpdate();
            }
            network.Step(config.LearningRate, null);
            if (freshScores) Scorer.FinishUpdateRound();
            lastMacs = network.Counters.StepMacs;
            lastBytes = Selector.SelectedBytes;
            lastLoss = (int)(lossSum / count);
            lastBatch = count;

            for (int i = 0; i < count; i++)
            {
                if (batch.IsReplay(i)) continue;
                int slot = batch.SlotOf(i);
                if (History.StateAt(slot) != LabelState.Pending) continue;
                History.SetState(slot, LabelState.Used);
                pendingLabels--;
                Replay.AddFrom(History, slot, batch.LabelOf(i));
            }
            rateLimiter.Record(nowMs);
            updates++;
            if (config.ReselectEveryUpdates > 0 && updates % config.ReselectEveryUpdates == 0) Reselect();
            else if (freshScores && config.FreshReselectEveryUpdates > 0 && updates % config.FreshReselectEveryUpdates == 0)
            {
                Selector.SelectSparse(); // from the fresh scores (layers below the update's reach keep their last)
                freshReselections++;
            }
            return true;
        }

        /// <summary>Sets the budgets (0 = from the profile: its heap left for bytes, its time allowance for MACs), then re-selects.</summary>
        public void SetBudget(int bytes, long macs)
        {
            if (bytes < 0 || macs < 0) throw new ArgumentException("budgets must not be negative (0 = the profile's default)");
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
        /// <summary>Re-selections from an update's own scores (ScoreFromUpdates), beside the scored <see cref="Reselections"/>.</summary>
        public int FreshReselections { get { return freshReselections; } }
        /// <summary>Look-ahead fill: trial steps taken (one per candidate order and re-selection), and re-selections that kept an order other than top-first.</summary>
        public int LookAheadTrials { get { return lookAheadTrials; } }
        public int LookAheadLowerChosen { get { return lookAheadLowerChosen; } }
        /// <summary>Look-ahead fill: MACs its trial steps and loss evaluations counted (a cost of choosing, like scoring, outside the per-update budget), and the samples its trial steps trained on.</summary>
        public long LookAheadMacs { get { return lookAheadMacs; } }
        public long LookAheadSamples { get { return lookAheadSamples; } }
        public int DriftSignals { get { return Drift.Signals; } }
        /// <summary>Samples scored (one error-only forward and backward each) over all re-selections so far: the cost of choosing, beside the updates'.</summary>
        public long ScoredSamples { get { return scoredSamples; } }

        public ContinualConfig Config { get { return config; } }
        /// <summary>The backward-bytes budget in force (resolved from the profile when 0 was given).</summary>
        public int BudgetBytes { get { return budgetBytes; } }
        public long BudgetMacs { get { return budgetMacs; } }
        /// <summary>
        /// Bytes the learner's own buffers take (history, replay, batch, rate limiter, scorer), plus
        /// 4 per channel the bias-only trainer's gradients took before bias-only training moved into
        /// the network's arena: kept so the default budget and the reported heap stay as they were
        /// (an over-count of 4 B per channel, to drop in a change that may move those figures).
        /// </summary>
        public int LearnerBytes
        {
            get
            {
                return History.Bytes + Replay.Data.Length + batch.Bytes + rateLimiter.Bytes
                    + 12 * Scorer.TotalChannels + 4 * Scorer.TotalChannels
                    + (lookAheadSlots != null ? 4 * lookAheadSlots.Length : 0);
            }
        }
        /// <summary>
        /// Heap the board's budget derivation counts as used: the firmware's reserve (the profile's
        /// ReservedBytes), the engine as allocated (its memory plan: with the arena sized within the budget)
        /// and the learner's buffers. The profile's heap less this is the emulated free heap of the virtual
        /// board's `memory:` line and of `tintin prepare`'s board table (payload bytes, no array headers).
        /// </summary>
        public int HeapUsedBytes() { return config.Profile.ReservedBytes + network.TotalMemoryBytes() + LearnerBytes; }
        /// <summary>
        /// Bytes the backward budget does not pay for (what the budget default subtracts): the engine's
        /// weights, masters, scratch and activations no backward keeps (Network.BytesBesideBackward) and
        /// the learner's buffers.
        /// </summary>
        public int StaticBytes { get { return staticBytes; } }
        /// <summary>Backward bytes of the current selection (the network's cost model).</summary>
        public int SelectedBytes { get { return Selector.SelectedBytes; } }
        /// <summary>Samples of a class in the last update's batch.</summary>
        public int LastBatchCountOf(int label) { return batch.CountOf(label); }
        /// <summary>Replay samples in the last update's batch.</summary>
        public int LastBatchReplayCount { get { return batch.ReplayCount; } }
        /// <summary>Samples in the last update's batch.</summary>
        public int LastBatchSize { get { return lastBatch; } }
        public int LastPrediction { get { return lastPrediction; } }
        public int HistoryCount { get { return History.Count; } }
        /// <summary>Samples labelled for the first time since start-up.</summary>
        public int LabelledTotal { get { return labelledTotal; } }

        /// <summary>Samples the last LabelRecent labelled for the first time.</summary>
        public int LastNewlyLabelled { get { return lastNewlyLabelled; } }
        /// <summary>Of those, the ones whose prediction (made when observed) equals the label.</summary>
        public int LastNewlyLabelledCorrect { get { return lastNewlyLabelledCorrect; } }
        /// <summary>Whether a drift signal asked for a re-selection that has not happened yet.</summary>
        public bool ReselectPending { get { return reselectRequested; } }
        /// <summary>Estimated energy of the last update on the profile's board (µJ).</summary>
        public long LastUpdateMicrojoules { get { return config.Profile.MicrojoulesFor(lastMacs); } }

        // ---- internals -------------------------------------------------------------------------------

        /// <summary>
        /// A window kept as rows is rebuilt from rows normalised once: every row position of the window must be
        /// normalised alike (each feature's offset and scale the same at every lag), else the rebuilt window would
        /// differ from the observed one.
        /// </summary>
        private static void CheckRowsScaledAlike(InputNormalizer normalizer, int rows, bool timeMajor)
        {
            if (normalizer == null) return;
            FeatureScale[] f = normalizer.Features;
            int width = f.Length / rows;
            for (int j = 0; j < width; j++)
                for (int back = 1; back < rows; back++)
                {
                    FeatureScale newest = f[timeMajor ? (rows - 1) * width + j : j * rows];
                    FeatureScale older = f[timeMajor ? (rows - 1 - back) * width + j : j * rows + back];
                    if (older.Offset != newest.Offset || older.Scale.PlusMask != newest.Scale.PlusMask
                        || older.Scale.MinusMask != newest.Scale.MinusMask || older.Scale.FractionBits != newest.Scale.FractionBits)
                        throw new ArgumentException("WindowRows " + rows + ": feature " + j + " is normalised differently " + back
                            + " rows back; a window kept as rows needs every row scaled alike (fit the normaliser on rows, then repeat it)");
                }
        }

        private void ApplyBudget(int bytes, long macs)
        {
            budgetBytes = bytes > 0 ? bytes : config.Profile.TrainingBudgetBytes(staticBytes);
            if (budgetBytes == 0) budgetBytes = 1; // nothing left: select nothing rather than "unlimited"
            budgetMacs = macs > 0 ? macs : config.Profile.TrainingBudgetMacs();
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
                case SelectionCriterion.Random: Scorer.FillRandom(randomSelection); break;
                default: Scorer.Criterion = config.Criterion; ScoreLabelledSamples(); break;
            }
            if (scoredFill && config.LayerScoreOrderBelowLabels > 0)
            {
                bool few = labelledTotal < config.LayerScoreOrderBelowLabels;
                Selector.LayersTopDown = config.LayersTopDown && !few;
                Selector.WholeLayerFill = config.WholeLayerFill && !few;
            }
            if (lookAheadSlots != null && Scorer.HasScores && Scorer.ParameterLayerCount > 2 && LookAheadSelect()) return;
            Selector.SelectSparse();
        }

        /// <summary>
        /// The look-ahead fill (<see cref="ContinualConfig.LookAheadFill"/>): every candidate order of the layer fill
        /// (<see cref="ChannelSelector.SelectTopThen"/>, the top-first order first) is committed, takes one trial step on
        /// the newest labelled history samples (at most BatchSize: a batch of the selection within the byte and MAC
        /// budgets) and is judged by the change of the summed Q16 loss over those samples and replay (round-robin by
        /// class, at most ScoringSamples in all), then undone bit for bit. The largest drop is kept (ties: the earlier
        /// order). False, selecting nothing, when no labelled sample is in the history or no candidate selects a channel.
        /// </summary>
        private bool LookAheadSelect()
        {
            int steps = 0;
            int slot = History.NewestSlot();
            for (int n = 0; n < History.Count && steps < lookAheadSlots.Length; n++, slot = History.PreviousSlot(slot))
                if (History.StateAt(slot) != LabelState.Unlabelled) lookAheadSlots[steps++] = slot;
            if (steps == 0) return false;
            long macsBefore = network.Counters.TotalMacs;
            long before = EvaluationLoss(steps);
            int layersCount = Scorer.ParameterLayerCount;
            int best = -1;
            long bestChange = 0;
            for (int b = layersCount - 2; b >= 0; b--)
            {
                if (Selector.SelectTopThen(b) == 0) continue;
                QTensor input = network.Input;
                for (int i = 0; i < steps; i++)
                {
                    History.LoadInput(lookAheadSlots[i], input.Data, 0);
                    input.Exponent = inputExponent;
                    network.TrainSample(History.LabelAt(lookAheadSlots[i]));
                }
                for (int l = 0; l < network.Layers.Length; l++)
                {
                    ParameterLayer p = network.Layers[l] as ParameterLayer;
                    if (p != null) p.ApplyTrialStep(config.LearningRate);
                }
                long change = EvaluationLoss(steps) - before;
                for (int l = 0; l < network.Layers.Length; l++)
                {
                    ParameterLayer p = network.Layers[l] as ParameterLayer;
                    if (p != null) p.UndoTrialStep();
                }
                lookAheadTrials++;
                lookAheadSamples += steps;
                if (best < 0 || change < bestChange) { best = b; bestChange = change; }
            }
            if (best > 0) Selector.SelectTopThen(best); // b = 0, the last candidate, is still committed
            if (best >= 0 && best != layersCount - 2) lookAheadLowerChosen++;
            lookAheadMacs += network.Counters.TotalMacs - macsBefore;
            return best >= 0;
        }

        /// <summary>Σ Q16 loss (forward only) over the trial's samples, then replay round-robin by class, at most ScoringSamples in all.</summary>
        private long EvaluationLoss(int steps)
        {
            QTensor input = network.Input;
            long sum = 0;
            int taken = 0;
            for (int i = 0; i < steps; i++)
            {
                History.LoadInput(lookAheadSlots[i], input.Data, 0);
                input.Exponent = inputExponent;
                network.Forward();
                network.Loss.Forward(network.Output);
                sum += network.Loss.LossQ16(History.LabelAt(lookAheadSlots[i]));
                taken++;
            }
            for (int r = 0; taken < config.ScoringSamples; r++)
            {
                bool any = false;
                for (int c = 0; c < classes && taken < config.ScoringSamples; c++)
                {
                    if (r >= Replay.CountOf(c)) continue;
                    Array.Copy(Replay.Data, Replay.OffsetOf(c, r), input.Data, 0, input.Length);
                    input.Exponent = inputExponent;
                    network.Forward();
                    network.Loss.Forward(network.Output);
                    sum += network.Loss.LossQ16(c);
                    taken++;
                    any = true;
                }
                if (!any) break;
            }
            return sum;
        }

        /// <summary>
        /// One ScoringMode backward per labelled sample, at most ScoringSamples: the newest labelled
        /// history first; then replay (with ScoreRecentOnly only when the history holds no labelled sample).
        /// </summary>
        private void ScoreLabelledSamples()
        {
            int total = config.ScoringSamples;
            int replayCount = Replay.Count;
            int replayShare = replayCount < total / 2 ? replayCount : total / 2;
            int recentQuota = config.ScoreRecentOnly ? total : total - replayShare;
            Scorer.Begin();
            int taken = 0;
            int slot = History.NewestSlot();
            for (int n = 0; n < History.Count && taken < recentQuota; n++, slot = History.PreviousSlot(slot))
            {
                if (History.StateAt(slot) == LabelState.Unlabelled) continue;
                QTensor input = network.Input;
                History.LoadInput(slot, input.Data, 0);
                input.Exponent = inputExponent;
                Scorer.AddCurrentInput(History.LabelAt(slot));
                taken++;
            }
            int replayTake = config.ScoreRecentOnly && taken > 0 ? 0 : total - taken;
            if (replayTake > replayCount) replayTake = replayCount;
            // Replay: round-robin over classes (round r takes slot r of every class that has one;
            // deterministic, the reservoir is already a random sample).
            int added = 0;
            for (int r = 0; added < replayTake; r++)
            {
                bool any = false;
                for (int c = 0; c < classes && added < replayTake; c++)
                {
                    if (r >= Replay.CountOf(c)) continue;
                    Scorer.AddSample(Replay.Data, Replay.OffsetOf(c, r), inputExponent, c);
                    added++;
                    any = true;
                }
                if (!any) break;
            }
            Scorer.Finish();
            scoredSamples += Scorer.Samples;
        }
    }
}
