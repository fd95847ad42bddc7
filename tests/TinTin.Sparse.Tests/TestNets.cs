using System;
using System.Linq;
using TinTin.Core;

namespace TinTin.Sparse.Tests
{
    /// <summary>Random networks and samples for the property tests (System.Random: host only).</summary>
    internal static class TestNets
    {
        /// <summary>
        /// The layer fill re-implemented plainly, the fill properties' reference: two passes (scored channels, then unscored),
        /// the parameter layers in `order`, within a layer channels by potential (ties: lower index), each taken while the
        /// whole selection fits (<see cref="ChannelSelector.Fits"/>); the first that does not ends the layer. Channels taken per layer.
        /// </summary>
        public static bool[][] FillInOrder(ChannelSelector selector, FisherScorer scorer, ParameterLayer[] layers, int[] order, int layerCount)
        {
            var counts = new int[layerCount];
            var taken = layers.Select(p => new bool[p.Channels]).ToArray();
            for (int pass = 0; pass < 2; pass++)
                foreach (int k in order)
                {
                    int[] channels = Enumerable.Range(0, layers[k].Channels).OrderByDescending(c => scorer.Potential(k, c)).ThenBy(c => c).ToArray();
                    foreach (int c in channels)
                    {
                        if (taken[k][c] || (scorer.Potential(k, c) > 0) != (pass == 0)) continue;
                        counts[scorer.LayerIndex[k]]++;
                        if (!selector.Fits(counts)) { counts[scorer.LayerIndex[k]]--; break; }
                        taken[k][c] = true;
                    }
                }
            return taken;
        }

        /// <summary>
        /// Selects once without limits (every channel: the full update's bytes and MACs), sets the budgets to 1..100 % of
        /// that full update (the shares folded: FsCheck's small ints would otherwise leave nearly nothing), selects again and
        /// checks that both budgets hold whenever anything was selected. batchSize: the selector's.
        /// </summary>
        public static void SelectWithinSharesOfTheFullUpdate(ChannelSelector selector, FisherScorer scorer, Network net, int batchSize, byte bytesShare, byte macsShare)
        {
            Xunit.Assert.Equal(scorer.TotalChannels, selector.SelectSparse()); // unlimited: everything
            int fullBytes = selector.SelectedBytes;
            long fullMacs = selector.SelectedUpdateMacs;
            long forward = batchSize * (long)net.ForwardMacs();
            selector.BudgetBytes = Math.Max(1, fullBytes * (1 + bytesShare % 100) / 100);
            selector.BudgetMacs = forward + (fullMacs - forward) * (1 + macsShare % 100) / 100;
            selector.SelectSparse();
            if (selector.SelectedChannels > 0)
            {
                Xunit.Assert.True(selector.SelectedBytes <= selector.BudgetBytes, $"{selector.SelectedBytes} B > {selector.BudgetBytes} B");
                Xunit.Assert.True(selector.SelectedUpdateMacs <= selector.BudgetMacs, $"{selector.SelectedUpdateMacs} MACs > {selector.BudgetMacs}");
            }
        }

        /// <summary>
        /// An MLP from FsCheck property inputs, each byte folded into its range (input 2..8, one to three
        /// hidden layers of 2..24, 2..5 classes): FsCheck shrinks bytes toward 0 and arrays toward fewer
        /// elements, so a failing case shrinks toward the smallest network 2-2-2.
        /// </summary>
        public static Network Mlp(byte inputs, byte[] hidden, byte classes, uint seed, bool momentum)
        {
            int hiddenLayers = Math.Clamp(hidden?.Length ?? 0, 1, 3);
            var sizes = new int[hiddenLayers + 2];
            sizes[0] = 2 + inputs % 7;
            for (int h = 1; h <= hiddenLayers; h++) sizes[h] = 2 + (hidden != null && h - 1 < hidden.Length ? hidden[h - 1] % 23 : 0);
            sizes[hiddenLayers + 1] = 2 + classes % 4;
            return Network.CreateMlp(sizes, seed == 0 ? 1 : seed, -1, momentum);
        }

        public static sbyte[][] RandomInputs(Random rng, int count, int length)
        {
            var x = new sbyte[count][];
            for (int i = 0; i < count; i++)
            {
                x[i] = new sbyte[length];
                for (int j = 0; j < length; j++) x[i][j] = (sbyte)rng.Next(-127, 128);
            }
            return x;
        }

        public static int[] RandomLabels(Random rng, int count, int classes)
        {
            var y = new int[count];
            for (int i = 0; i < count; i++) y[i] = rng.Next(classes);
            return y;
        }

        public static void Load(Network net, sbyte[] x, int exponent = -5)
        {
            Array.Copy(x, net.Input.Data, x.Length);
            net.Input.Exponent = exponent;
        }

        /// <summary>Scores the samples with the scorer (one ScoringMode backward each).</summary>
        public static void Score(FisherScorer scorer, sbyte[][] x, int[] y)
        {
            scorer.Begin();
            for (int i = 0; i < x.Length; i++) scorer.AddSample(x[i], 0, -5, y[i]);
            scorer.Finish();
        }

        /// <summary>One update of the samples: TrainSample each, then Step; returns the counted MACs.</summary>
        public static long Update(Network net, sbyte[][] x, int[] y, ShiftSum lr)
        {
            net.Counters.BeginStep();
            for (int i = 0; i < x.Length; i++) { Load(net, x[i]); net.TrainSample(y[i]); }
            net.Step(lr, null);
            return net.Counters.StepMacs;
        }

        public static ParameterLayer[] ParameterLayers(Network net)
        {
            int n = 0;
            foreach (Layer l in net.Layers) if (l is ParameterLayer) n++;
            var result = new ParameterLayer[n];
            n = 0;
            foreach (Layer l in net.Layers) if (l is ParameterLayer p) result[n++] = p;
            return result;
        }

        /// <summary>Trained state of every parameter layer, for bit-for-bit comparisons.</summary>
        public static string Fingerprint(Network net)
        {
            var sb = new System.Text.StringBuilder();
            foreach (ParameterLayer p in ParameterLayers(net))
            {
                sb.Append(p.WeightExponent).Append('/').Append(p.MasterExponent).Append('/').Append(p.BiasExponent).Append(':');
                sb.Append(Convert.ToBase64String((byte[])(Array)p.Weights));
                var master = new byte[p.MasterWeights.Length * 2];
                Buffer.BlockCopy(p.MasterWeights, 0, master, 0, master.Length);
                sb.Append(Convert.ToBase64String(master));
                var bias = new byte[p.Bias.Length * 4];
                Buffer.BlockCopy(p.Bias, 0, bias, 0, bias.Length);
                sb.Append(Convert.ToBase64String(bias)).Append('|');
            }
            return sb.ToString();
        }
    }
}
