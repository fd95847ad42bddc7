using System;
using TinTin.Core;

namespace TinTin.Fleet
{
    /// <summary>
    /// Federated averaging of integer models, layer by layer in a shared exponent, no float.
    ///
    /// Each contribution is one channel row (int8 weights or int16 masters, at its own exponent,
    /// plus its int32 bias at its own exponent) with a weight, normally the contributing board's
    /// labelled-sample count. Per layer the shared weight exponent is the coarsest contribution
    /// exponent minus <see cref="GuardBits"/>, the shared bias exponent the coarsest bias exponent;
    /// rows are aligned to it (left shifts exact, right shifts rounded), multiplied by their weight
    /// and summed in int64; the average is rounded to nearest and brought back to int16 masters in
    /// [MasterLow, MasterHigh] and biases below BiasHigh, as the engine keeps them.
    ///
    /// Ranges (why int64 cannot overflow): |aligned weight| &lt; 2^15·2^8 = 2^23, weight ≤ 2^20,
    /// at most 2^11 = 2048 contributions per channel: |sum| &lt; 2^54. |bias| &lt; 2^31 ⇒ |bias sum| &lt; 2^62,
    /// and the rounding's half of Σ weight (≤ 2^30) keeps it below 2^63. 2048 is the most boards one
    /// fleet merges (FleetConfig refuses more; it was 256 until session 14, below a 300-board building).
    ///
    /// Use: Begin; Declare every contribution's exponents (pass 1); Fix; AddRow every contribution
    /// (pass 2); Finish into a ParameterSet. Every channel needs at least one contribution.
    /// Buffers are allocated in the constructor; a merge allocates nothing.
    /// </summary>
    public sealed class ModelMerger
    {
        public const int GuardBits = 8;
        public const int MaxWeight = 1 << 20;
        public const int MaxContributionsPerChannel = 2048;

        private readonly ParameterSet shape;
        private readonly long[][] weightSums;  // [layers][channels·row] Σ weight·aligned value
        private readonly long[][] biasSums;    // [layers][channels]
        private readonly long[][] totals;      // [layers][channels] Σ weight
        private readonly int[][] contributions; // [layers][channels]
        private readonly int[] topWeightExponent; // [layers] pass 1
        private readonly int[] topBiasExponent;
        private readonly bool[] declared;
        private readonly int[] sharedExponent;   // [layers] after Fix
        private readonly int[] sharedBiasExponent;
        private bool fixedExponents;

        public ModelMerger(ParameterSet shapeOf)
        {
            if (shapeOf == null) throw new ArgumentException("a merger needs the model's shape");
            shape = shapeOf;
            int layers = shape.LayerCount;
            weightSums = new long[layers][];
            biasSums = new long[layers][];
            totals = new long[layers][];
            contributions = new int[layers][];
            for (int l = 0; l < layers; l++)
            {
                weightSums[l] = new long[shape.Master[l].Length];
                biasSums[l] = new long[shape.Channels[l]];
                totals[l] = new long[shape.Channels[l]];
                contributions[l] = new int[shape.Channels[l]];
            }
            topWeightExponent = new int[layers];
            topBiasExponent = new int[layers];
            declared = new bool[layers];
            sharedExponent = new int[layers];
            sharedBiasExponent = new int[layers];
        }

        public void Begin()
        {
            for (int l = 0; l < shape.LayerCount; l++)
            {
                Array.Clear(weightSums[l], 0, weightSums[l].Length);
                Array.Clear(biasSums[l], 0, biasSums[l].Length);
                Array.Clear(totals[l], 0, totals[l].Length);
                Array.Clear(contributions[l], 0, contributions[l].Length);
                declared[l] = false;
            }
            fixedExponents = false;
        }

        /// <summary>Pass 1: a contribution to layer will come at these exponents.</summary>
        public void Declare(int layer, int weightExponent, int biasExponent)
        {
            if (fixedExponents) throw new InvalidOperationException("Declare after Fix: begin a new merge");
            CheckLayer(layer);
            if (!declared[layer] || weightExponent > topWeightExponent[layer]) topWeightExponent[layer] = weightExponent;
            if (!declared[layer] || biasExponent > topBiasExponent[layer]) topBiasExponent[layer] = biasExponent;
            declared[layer] = true;
        }

        /// <summary>Chooses the shared exponents from what was declared.</summary>
        public void Fix()
        {
            for (int l = 0; l < shape.LayerCount; l++)
            {
                if (!declared[l]) throw new InvalidOperationException("parameter layer " + l + " has no contributions");
                sharedExponent[l] = topWeightExponent[l] - GuardBits;
                sharedBiasExponent[l] = topBiasExponent[l];
            }
            fixedExponents = true;
        }

        /// <summary>Pass 2: one channel row of int16 master weights (values[offset..+row]) at exponent.</summary>
        public void AddRow(int layer, int channel, short[] values, int offset, int exponent, int bias, int biasExponent, int weight)
        {
            int shift = PrepareRow(layer, channel, exponent, bias, biasExponent, weight);
            long[] sums = weightSums[layer];
            int row = shape.RowLength[layer];
            int start = channel * row;
            for (int i = 0; i < row; i++) sums[start + i] += weight * Align(values[offset + i], shift);
        }

        /// <summary>Pass 2: one channel row of int8 weights (values[offset..+row]) at exponent.</summary>
        public void AddRow(int layer, int channel, sbyte[] values, int offset, int exponent, int bias, int biasExponent, int weight)
        {
            int shift = PrepareRow(layer, channel, exponent, bias, biasExponent, weight);
            long[] sums = weightSums[layer];
            int row = shape.RowLength[layer];
            int start = channel * row;
            for (int i = 0; i < row; i++) sums[start + i] += weight * Align(values[offset + i], shift);
        }

        /// <summary>Writes the weighted averages into destination (same shape), in the engine's master and bias ranges.</summary>
        public void Finish(ParameterSet destination)
        {
            if (!fixedExponents) throw new InvalidOperationException("Finish before Fix");
            if (!shape.SameShape(destination)) throw new ArgumentException("destination has another shape than the merger");
            for (int l = 0; l < shape.LayerCount; l++)
            {
                int row = shape.RowLength[l];
                long[] sums = weightSums[l];
                long[] total = totals[l];
                short[] master = destination.Master[l];
                long max = 0;
                for (int c = 0; c < shape.Channels[l]; c++)
                {
                    if (total[c] <= 0) throw new InvalidOperationException("channel " + c + " of parameter layer " + l + " has no contribution");
                    for (int i = c * row; i < (c + 1) * row; i++)
                    {
                        long average = RoundedDivide(sums[i], total[c]);
                        sums[i] = average; // reuse: the sum is no longer needed
                        long magnitude = average < 0 ? -average : average;
                        if (magnitude > max) max = magnitude;
                    }
                }
                // The engine's master rule: largest magnitude in [MasterLow, MasterHigh].
                int shift = 0;
                if (max > ParameterLayer.MasterHigh) { while (RoundedShift(max, shift) > ParameterLayer.MasterHigh) shift++; }
                else if (max > 0) { while ((max << -shift) < ParameterLayer.MasterLow) shift--; }
                for (int i = 0; i < master.Length; i++)
                {
                    long v = shift >= 0 ? RoundedShift(sums[i], shift) : sums[i] << -shift;
                    master[i] = (short)(v > 32767 ? 32767 : (v < -32767 ? -32767 : v));
                }
                destination.MasterExponent[l] = sharedExponent[l] + shift;

                long[] biasSum = biasSums[l];
                int[] bias = destination.Bias[l];
                long biasMax = 0;
                for (int c = 0; c < bias.Length; c++)
                {
                    biasSum[c] = RoundedDivide(biasSum[c], total[c]);
                    long magnitude = biasSum[c] < 0 ? -biasSum[c] : biasSum[c];
                    if (magnitude > biasMax) biasMax = magnitude;
                }
                int biasShift = 0;
                while (RoundedShift(biasMax, biasShift) > ParameterLayer.BiasHigh) biasShift++;
                for (int c = 0; c < bias.Length; c++) bias[c] = (int)RoundedShift(biasSum[c], biasShift);
                destination.BiasExponent[l] = sharedBiasExponent[l] + biasShift;
            }
            destination.DeriveInt8Shifts();
        }

        /// <summary>Contributions the channel received in this merge.</summary>
        public int ContributionsTo(int layer, int channel) { return contributions[layer][channel]; }

        private int PrepareRow(int layer, int channel, int exponent, int bias, int biasExponent, int weight)
        {
            if (!fixedExponents) throw new InvalidOperationException("AddRow before Fix");
            CheckLayer(layer);
            if (channel < 0 || channel >= shape.Channels[layer]) throw new ArgumentException("channel " + channel + " is outside parameter layer " + layer);
            if (weight <= 0 || weight > MaxWeight) throw new ArgumentException("a contribution weight must be in 1.." + MaxWeight + ", not " + weight);
            if (exponent > topWeightExponent[layer] || biasExponent > topBiasExponent[layer])
                throw new ArgumentException("a contribution to parameter layer " + layer + " comes at an exponent that was not declared");
            if (contributions[layer][channel] >= MaxContributionsPerChannel)
                throw new ArgumentException("more than " + MaxContributionsPerChannel + " contributions to one channel");
            contributions[layer][channel]++;
            totals[layer][channel] += weight;
            biasSums[layer][channel] += weight * Align(bias, biasExponent - sharedBiasExponent[layer]);
            return exponent - sharedExponent[layer];
        }

        private void CheckLayer(int layer)
        {
            if (layer < 0 || layer >= shape.LayerCount) throw new ArgumentException("parameter layer " + layer + " does not exist");
        }

        /// <summary>value · 2^shift: exact for shift ≥ 0 (shift ≤ GuardBits by construction), rounded to nearest below.</summary>
        private static long Align(long value, int shift)
        {
            if (shift >= 0) return value << shift;
            return RoundedShift(value, -shift);
        }

        /// <summary>value / 2^shift rounded to nearest, halves away from zero (shift ≥ 0).</summary>
        private static long RoundedShift(long value, int shift)
        {
            if (shift <= 0) return value;
            if (shift > 62) return 0;
            long half = 1L << (shift - 1);
            return value >= 0 ? (value + half) >> shift : -((-value + half) >> shift);
        }

        private static long RoundedDivide(long value, long divisor)
        {
            long half = divisor >> 1;
            return value >= 0 ? (value + half) / divisor : -((-value + half) / divisor);
        }
    }
}
