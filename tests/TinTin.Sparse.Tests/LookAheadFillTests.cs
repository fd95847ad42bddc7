using System;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Core;
using TinTin.Experiments;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Sparse.Tests
{
    /// <summary>
    /// The look-ahead fill (<see cref="ContinualConfig.LookAheadFill"/>) and its trial step
    /// (<see cref="ParameterLayer.ApplyTrialStep"/>), issue 16 item 4, session 11.
    /// </summary>
    public class LookAheadFillTests
    {
        private static readonly ShiftSum Rate = ShiftSum.FromRatio(1, 64, 3);

        /// <summary>
        /// A trial step moves exactly the trained rows' int8 weights and biases, as a plain re-computation from the gradients
        /// says (the stepped master at the current exponents, rounded to int8), equal to what the real update gives on a
        /// partly trained layer; masters, exponents and frozen rows stay; the undo restores every bit and clears the
        /// gradients; nothing is allocated.
        /// </summary>
        [Property(MaxTest = 150)]
        public void ATrialStepMovesTheTrainedRowsAsThePlainStepSaysAndUndoesBitForBit(byte inputs, byte hidden1, byte hidden2, byte classes, uint seed, bool fanIn, int maskSeed, int dataSeed, byte samples)
        {
            Network net = TestNets.Mlp(inputs, new[] { hidden1, hidden2 }, classes, seed, false);
            Network twin = TestNets.Mlp(inputs, new[] { hidden1, hidden2 }, classes, seed, false);
            net.SetFanInRateScaling(fanIn);
            twin.SetFanInRateScaling(fanIn);
            ParameterLayer[] layers = TestNets.ParameterLayers(net), twins = TestNets.ParameterLayers(twin);
            var masks = new Random(maskSeed);
            for (int k = 0; k < layers.Length; k++)
            {
                int mode = masks.Next(3); // frozen, partly trained, every channel trained
                for (int c = 0; c < layers[k].Channels; c++)
                    twins[k].ChannelTrainable[c] = layers[k].ChannelTrainable[c] = mode == 2 || (mode == 1 && masks.Next(2) == 0);
            }
            net.ApplySelection();
            twin.ApplySelection();
            var rng = new Random(dataSeed);
            int n = 1 + samples % 8;
            sbyte[][] x = TestNets.RandomInputs(rng, n, net.InputLength);
            int[] y = TestNets.RandomLabels(rng, n, net.ClassCount);
            for (int i = 0; i < n; i++) { TestNets.Load(net, x[i]); net.TrainSample(y[i]); TestNets.Load(twin, x[i]); twin.TrainSample(y[i]); }

            string before = TestNets.Fingerprint(net);
            var expectedWeights = new sbyte[layers.Length][];
            var expectedBias = new int[layers.Length][];
            for (int k = 0; k < layers.Length; k++) (expectedWeights[k], expectedBias[k]) = PlainTrialStep(layers[k], Rate);
            var masters = layers.Select(p => (short[])p.MasterWeights.Clone()).ToArray();

            foreach (ParameterLayer p in layers) p.ApplyTrialStep(Rate);
            twin.Step(Rate, null);
            for (int k = 0; k < layers.Length; k++)
            {
                ParameterLayer p = layers[k];
                Assert.Equal(expectedWeights[k], p.Weights);
                Assert.Equal(expectedBias[k], p.Bias);
                Assert.Equal(masters[k], p.MasterWeights);
                if (p.WeightTrainableChannelCount < p.Channels)
                {
                    // a partly trained layer keeps its exponents in the real update too: the trial is that update's forward view
                    Assert.Equal(twins[k].Weights, p.Weights);
                    Assert.Equal(twins[k].Bias, p.Bias);
                }
            }
            Assert.Throws<InvalidOperationException>(() => net.ApplySelection()); // not while a trial is applied
            foreach (ParameterLayer p in layers) p.UndoTrialStep();
            Assert.Equal(before, TestNets.Fingerprint(net));
            foreach (ParameterLayer p in layers)
            {
                Assert.Equal(0, p.AccumulatedSamples);
                var row = new int[p.RowLength + 1];
                for (int c = 0; c < p.Channels; c++)
                    if (p.CopyGradientRow(c, row)) Assert.All(row, v => Assert.Equal(0, v));
            }

            // the same again allocates nothing
            Assert.Equal(0, Allocations.FewestBytes(() =>
            {
                for (int i = 0; i < n; i++) { TestNets.Load(net, x[i]); net.TrainSample(y[i]); }
                foreach (ParameterLayer p in layers) p.ApplyTrialStep(Rate);
                foreach (ParameterLayer p in layers) p.UndoTrialStep();
            }));
            Assert.Equal(before, TestNets.Fingerprint(net));
        }

        /// <summary>
        /// The trial step computed plainly from the layer's gradient rows (64-bit, QMath's stochastic shift): per trained
        /// weight, master − lr · g · 2^(gradient exponent − RateShift − master exponent), saturated to ±32767, rounded to
        /// nearest at the int8 shift and saturated to ±127; per trained bias, bias − lr · g · 2^(gradient − bias exponent).
        /// </summary>
        private static (sbyte[], int[]) PlainTrialStep(ParameterLayer p, ShiftSum lr)
        {
            var weights = (sbyte[])p.Weights.Clone();
            var bias = (int[])p.Bias.Clone();
            if (p.AccumulatedSamples == 0) return (weights, bias);
            int int8Shift = p.WeightExponent - p.MasterExponent;
            int weightShift = lr.FractionBits + p.MasterExponent - (p.GradientExponent - p.RateShift);
            var row = new int[p.RowLength + 1];
            for (int c = 0; c < p.Channels; c++)
            {
                if (!p.CopyGradientRow(c, row)) continue;
                if (!p.ChannelBiasOnly[c])
                    for (int i = 0; i < p.RowLength; i++)
                    {
                        long delta = Math.Clamp((long)QMath.ShiftStochastic64(row[i] * lr.Mantissa, weightShift), -65534, 65534);
                        long m = Math.Clamp(p.MasterWeights[c * p.RowLength + i] - delta, -32767, 32767);
                        long half = int8Shift > 0 ? 1L << (int8Shift - 1) : 0;
                        long r = m >= 0 ? (m + half) >> int8Shift : -((-m + half) >> int8Shift);
                        weights[c * p.RowLength + i] = (sbyte)Math.Clamp(r, -127, 127);
                    }
                long b = (long)bias[c] - QMath.ShiftStochastic64(row[p.RowLength] * lr.Mantissa, lr.FractionBits + p.BiasExponent - p.GradientExponent);
                bias[c] = (int)Math.Clamp(b, -int.MaxValue, int.MaxValue);
            }
            return (weights, bias);
        }

        /// <summary>
        /// Against a plain reference: after a re-selection with the look-ahead fill, the selection is the one of the layer-fill
        /// orders "top layer, then layer b, then the rest top down" (<see cref="TestNets.FillInOrder"/>, from the learner's
        /// scores) whose plain trial step on the newest labelled history samples (at most BatchSize) lowers the summed Q16
        /// loss over those samples and replay (round-robin by class, at most ScoringSamples) most; ties: the top-first
        /// order. The budgets hold, the trained state is untouched, a twin learner fed the same chooses the same, and a
        /// re-selection allocates nothing.
        /// </summary>
        [Property(MaxTest = 60)]
        public void TheLookAheadKeepsTheOrderWhoseTrialStepLowersTheLossMostWithinTheBudgets(byte inputs, byte hidden1, byte hidden2, byte[] more, byte classes, uint seed, bool fisher, byte bytesShare, byte macsShare, int dataSeed, byte labelEvery)
        {
            byte[] hidden = new[] { hidden1, hidden2 }.Concat((more ?? new byte[0]).Take(1)).ToArray();
            ContinualLearner Build()
            {
                Network net = TestNets.Mlp(inputs, hidden, classes, seed, false);
                int fullBytes = net.FullBackwardBytes();
                long forward = 4L * net.ForwardMacs();
                var config = new ContinualConfig
                {
                    LookAheadFill = true,
                    Criterion = fisher ? SelectionCriterion.Fisher : SelectionCriterion.GradMag,
                    BatchSize = 4,
                    ScoringSamples = 12,
                    ReplayCapacity = 8,
                    ReselectEveryUpdates = 0,
                    ReselectOnDrift = false,
                    BudgetBytes = Math.Max(1, fullBytes * (1 + bytesShare % 100) / 100),
                    BudgetMacs = forward + (net.FullUpdateMacs(4) - forward) * (1 + macsShare % 100) / 100,
                };
                return new ContinualLearner(new Model(net, null), config);
            }
            ContinualLearner learner = Build(), twin = Build();
            var rng = new Random(dataSeed);
            int every = 1 + labelEvery % 4;
            foreach (ContinualLearner l in new[] { learner, twin })
            {
                var r = new Random(dataSeed);
                for (int t = 0; t < 40; t++)
                {
                    var raw = Enumerable.Range(0, l.Model.Network.InputLength).Select(_ => r.Next(-100, 101)).ToArray();
                    l.Observe(raw, t * 20_000L);
                    if (t % every == 0) l.LabelRecent(r.Next(l.Model.Network.ClassCount), t * 20_000L, t * 20_000L);
                    l.UpdateIfDue(t * 20_000L);
                }
            }
            Network network = learner.Model.Network;
            string state = TestNets.Fingerprint(network);
            learner.Reselect();
            twin.Reselect();
            string mask = Mask(network);
            Assert.Equal(state, TestNets.Fingerprint(network)); // the trials leave the trained state as it was
            Assert.Equal(mask, Mask(twin.Model.Network));
            Assert.Equal(learner.LookAheadTrials, twin.LookAheadTrials);
            if (learner.SelectedChannels > 0)
            {
                Assert.True(learner.Selector.SelectedBytes <= learner.BudgetBytes, $"{learner.Selector.SelectedBytes} B > {learner.BudgetBytes} B");
                Assert.True(learner.Selector.SelectedUpdateMacs <= learner.BudgetMacs, $"{learner.Selector.SelectedUpdateMacs} MACs > {learner.BudgetMacs}");
            }
            Assert.Equal(0, Allocations.FewestBytes(() => learner.Reselect()));
            Assert.Equal(mask, Mask(network));

            // the plain reference, from the learner's own scores
            ParameterLayer[] layers = TestNets.ParameterLayers(network);
            int top = layers.Length - 1;
            int[] steps = NewestLabelled(learner.History, learner.Config.BatchSize);
            if (!learner.Scorer.HasScores || steps.Length == 0 || top < 2) return;
            long lossBefore = EvaluationLoss(learner, steps);
            string best = null;
            long bestChange = 0;
            for (int b = top - 1; b >= 0; b--)
            {
                int[] order = new[] { top, b }.Concat(Enumerable.Range(0, top).Reverse().Where(k => k != b)).ToArray();
                bool[][] taken = TestNets.FillInOrder(learner.Selector, learner.Scorer, layers, order, network.Layers.Length);
                if (taken.All(t => !t.Any(v => v))) continue;
                for (int k = 0; k < layers.Length; k++)
                    for (int c = 0; c < layers[k].Channels; c++) { layers[k].ChannelTrainable[c] = taken[k][c]; layers[k].ChannelBiasOnly[c] = false; }
                network.ApplySelection();
                foreach (int slot in steps)
                {
                    learner.History.LoadInput(slot, network.Input.Data, 0);
                    network.Input.Exponent = 0;
                    network.TrainSample(learner.History.LabelAt(slot));
                }
                var saved = layers.Select(p => ((sbyte[])p.Weights.Clone(), (int[])p.Bias.Clone())).ToArray();
                for (int k = 0; k < layers.Length; k++)
                {
                    (sbyte[] w, int[] bias) = PlainTrialStep(layers[k], learner.Config.LearningRate);
                    Array.Copy(w, layers[k].Weights, w.Length);
                    Array.Copy(bias, layers[k].Bias, bias.Length);
                }
                long change = EvaluationLoss(learner, steps) - lossBefore;
                for (int k = 0; k < layers.Length; k++)
                {
                    Array.Copy(saved[k].Item1, layers[k].Weights, saved[k].Item1.Length);
                    Array.Copy(saved[k].Item2, layers[k].Bias, saved[k].Item2.Length);
                }
                network.ZeroGradients();
                if (best == null || change < bestChange) { best = string.Concat(taken.SelectMany(t => t).Select(t => t ? '1' : '0')); bestChange = change; }
            }
            if (best != null) Assert.Equal(best, mask);
        }

        private static int[] NewestLabelled(HistoryRing history, int most)
        {
            var slots = new System.Collections.Generic.List<int>();
            int slot = history.NewestSlot();
            for (int n = 0; n < history.Count && slots.Count < most; n++, slot = history.PreviousSlot(slot))
                if (history.StateAt(slot) != LabelState.Unlabelled) slots.Add(slot);
            return slots.ToArray();
        }

        /// <summary>Σ Q16 loss of the trial's samples, then replay by rounds over the classes, at most ScoringSamples in all.</summary>
        private static long EvaluationLoss(ContinualLearner learner, int[] steps)
        {
            Network net = learner.Model.Network;
            var evaluated = steps.Select(s => { var x = new sbyte[net.InputLength]; learner.History.LoadInput(s, x, 0); return (x, learner.History.LabelAt(s)); }).ToList();
            ReplayBuffer replay = learner.Replay;
            for (int r = 0; r < replay.PerClass; r++)
                for (int c = 0; c < net.ClassCount; c++)
                    if (r < replay.CountOf(c)) evaluated.Add((replay.Data.Skip(replay.OffsetOf(c, r)).Take(net.InputLength).ToArray(), c));
            long sum = 0;
            foreach (var (x, label) in evaluated.Take(Math.Max(steps.Length, learner.Config.ScoringSamples)))
            {
                Array.Copy(x, net.Input.Data, x.Length);
                net.Input.Exponent = 0;
                net.Forward();
                net.Loss.Forward(net.Output);
                sum += net.Loss.LossQ16(label);
            }
            return sum;
        }

        [Fact]
        public void TheLearnerAndTheSpecsSetTheLookAheadForScoredCriteriaInTheArenaModeOnly()
        {
            var model = new Model(Network.CreateMlp(new[] { 2, 8, 8, 2 }, 3, -1, false), null);
            var scored = new ContinualLearner(model, new ContinualConfig { LookAheadFill = true });
            var plain = new ContinualLearner(model, new ContinualConfig());
            Assert.Equal(plain.LearnerBytes + 4 * new ContinualConfig().BatchSize, scored.LearnerBytes); // the trial's slots, counted
            Assert.Equal(plain.LearnerBytes, new ContinualLearner(model, new ContinualConfig { LookAheadFill = true, Criterion = SelectionCriterion.Random }).LearnerBytes);
            var fused = new Model(Network.CreateMlp(new[] { 2, 8, 8, 2 }, 3, -1, false, TrainingStateMode.FusedMaster), null);
            Assert.Contains("gradient-arena", Assert.Throws<ArgumentException>(() => new ContinualLearner(fused, new ContinualConfig { LookAheadFill = true })).Message);
            new ContinualLearner(fused, new ContinualConfig { LookAheadFill = true, Criterion = SelectionCriterion.TopDown }); // a baseline ignores it
            ExperimentOptions o = ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--fill", "lookahead" });
            Assert.True(o.LookAheadFill && o.LayersTopDown && !o.WholeLayerFill && !o.PricedFill);
            Assert.False(ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--fill", "whole" }).LookAheadFill);
            Assert.True(SelectionSpec.Apply("gradmag+lookahead+lambda512", new ExperimentOptions()).LookAheadFill);
            Assert.False(SelectionSpec.Apply("gradmag+lookahead+topfirst", new ExperimentOptions()).LookAheadFill);
            Assert.False(new ContinualConfig().LookAheadFill);
        }

        private static string Mask(Network net) =>
            string.Concat(TestNets.ParameterLayers(net).SelectMany(p => p.ChannelTrainable).Select(t => t ? '1' : '0'));
    }
}
