using System;
using TinTin.Core;

namespace TinTin.Reference
{
    /// <summary>How to train: the same options drive the integer engine and the float reference.</summary>
    public sealed class TrainOptions
    {
        public int Epochs { get; set; } = 1;
        public int BatchSize { get; set; } = 16;
        /// <summary>Learning rate for the batch-mean gradient, as a ratio (no float reaches the engine).</summary>
        public int LearningRateNumerator { get; set; } = 1;
        public int LearningRateDenominator { get; set; } = 32;
        /// <summary>Momentum β as a ratio; 0 for plain SGD.</summary>
        public int MomentumNumerator { get; set; }
        public int MomentumDenominator { get; set; } = 10;
        public int ShuffleSeed { get; set; } = 1;
        public int ShiftTerms { get; set; } = 4;

        /// <summary>
        /// Learning-rate schedule: halve the rate every this many epochs (0: constant). Each halving is the same
        /// ShiftSum with one more fraction bit, so the schedule stays shifts and adds.
        /// </summary>
        public int HalveRateEvery { get; set; }

        /// <summary>
        /// The engine's learning rate for a gradient summed over a batch in the given epoch (0-based):
        /// lr / BatchSize / 2^(epoch / HalveRateEvery) as a ShiftSum.
        /// </summary>
        public ShiftSum SumLearningRate(int epoch = 0)
        {
            long denominator = (long)LearningRateDenominator * BatchSize;
            int halvings = HalveRateEvery > 0 ? epoch / HalveRateEvery : 0;
            while (halvings-- > 0 && denominator <= int.MaxValue / 2) denominator *= 2;
            if (denominator > int.MaxValue) throw new ArgumentException($"learning rate {LearningRateNumerator}/{LearningRateDenominator} over batches of {BatchSize} is too small to express");
            return ShiftSum.FromRatio(LearningRateNumerator, (int)denominator, ShiftTerms);
        }
        public ShiftSum Momentum() => MomentumNumerator == 0 ? null : ShiftSum.FromRatio(MomentumNumerator, MomentumDenominator, ShiftTerms);

        /// <summary>The exact real values of those ShiftSums, so the float reference uses the very same rates.</summary>
        public static double Value(ShiftSum s) => s == null ? 0 : s.Mantissa / Math.Pow(2, s.FractionBits);

        /// <summary>The sample order of one epoch: a permutation from (seed, epoch).</summary>
        public int[] Order(int count, int epoch)
        {
            var order = new int[count];
            for (int i = 0; i < count; i++) order[i] = i;
            new Random(ShuffleSeed * 7919 + epoch).Shuffle(order);
            return order;
        }
    }

    /// <summary>Trains and evaluates an engine network or its float reference on a QDataset.</summary>
    public static class Trainer
    {
        /// <summary>Integer training; progress(samplesDone, total) after every batch. Returns the mean loss of the last epoch (nats).</summary>
        public static double TrainInteger(Network network, QDataset data, TrainOptions options, Action<long, long> progress = null)
        {
            if (network.LowestTrainableLayer >= network.Layers.Length)
                throw new InvalidOperationException("nothing in this network is trainable: call SetAllTrainable(true) or apply a selection first");
            ShiftSum momentum = options.Momentum();
            long total = (long)options.Epochs * data.Count, done = 0;
            double lastEpochLoss = 0;
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                ShiftSum lr = options.SumLearningRate(epoch);
                network.SetLearningRate(lr); // the fused modes apply it during backward
                int[] order = options.Order(data.Count, epoch);
                long lossSum = 0;
                for (int k = 0; k < order.Length; k++)
                {
                    data.Load(order[k], network.Input);
                    lossSum += network.TrainSample(data.Labels[order[k]]);
                    if ((k + 1) % options.BatchSize == 0 || k == order.Length - 1)
                    {
                        network.Step(lr, momentum);
                        done = (long)epoch * data.Count + k + 1;
                        progress?.Invoke(done, total);
                    }
                }
                lastEpochLoss = lossSum / 65536.0 / data.Count;
            }
            return lastEpochLoss;
        }

        /// <summary>Float training with the same order, batches and (exact) rates.</summary>
        public static double TrainFloat(FloatMlp model, QDataset data, TrainOptions options, Action<long, long> progress = null)
        {
            double momentum = TrainOptions.Value(options.Momentum());
            long total = (long)options.Epochs * data.Count;
            double lastEpochLoss = 0;
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                double lr = TrainOptions.Value(options.SumLearningRate(epoch));
                int[] order = options.Order(data.Count, epoch);
                double lossSum = 0;
                for (int k = 0; k < order.Length; k++)
                {
                    model.LoadInput(data, order[k]);
                    model.Forward();
                    lossSum += model.Backward(data.Labels[order[k]]);
                    if ((k + 1) % options.BatchSize == 0 || k == order.Length - 1)
                    {
                        model.Step(lr, momentum);
                        progress?.Invoke((long)epoch * data.Count + k + 1, total);
                    }
                }
                lastEpochLoss = lossSum / data.Count;
            }
            return lastEpochLoss;
        }

        public static double Accuracy(Network network, QDataset data)
        {
            int correct = 0;
            for (int i = 0; i < data.Count; i++)
            {
                data.Load(i, network.Input);
                if (network.Predict() == data.Labels[i]) correct++;
            }
            return (double)correct / data.Count;
        }

        public static double Accuracy(FloatMlp model, QDataset data)
        {
            int correct = 0;
            for (int i = 0; i < data.Count; i++)
            {
                model.LoadInput(data, i);
                if (model.Predict() == data.Labels[i]) correct++;
            }
            return (double)correct / data.Count;
        }
    }
}
