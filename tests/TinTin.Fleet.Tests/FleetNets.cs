using System;
using TinTin.Core;

namespace TinTin.Fleet.Tests
{
    /// <summary>Small networks for the fleet tests: the default model's shape (6 → 16 → 2), trained a little on a synthetic rule.</summary>
    internal static class FleetNets
    {
        public static readonly byte[] FleetKey = System.Text.Encoding.ASCII.GetBytes("fleet-key-for-tests-0123456789");
        public static readonly byte[] BoardKey = System.Text.Encoding.ASCII.GetBytes("board-a-key");

        public static Network Create(uint seed = 11) => Network.CreateMlp(new[] { 6, 16, 2 }, seed, -1, false);

        /// <summary>Trains the network on samples of the rule "class 1 when x0 + x1 &gt; 0" (shifted by bias), a few batches.</summary>
        public static void Train(Network network, int seed, int batches, int bias = 0)
        {
            var random = new Random(seed);
            ShiftSum lr = ShiftSum.FromRatio(1, 32, 3);
            for (int b = 0; b < batches; b++)
            {
                for (int s = 0; s < 8; s++)
                {
                    int label = Fill(network, random, bias);
                    network.TrainSample(label);
                }
                network.Step(lr, null);
            }
        }

        public static int Fill(Network network, Random random, int bias)
        {
            sbyte[] x = network.Input.Data;
            for (int i = 0; i < x.Length; i++) x[i] = (sbyte)random.Next(-100, 101);
            network.Input.Exponent = -7;
            return x[0] + x[1] + bias > 0 ? 1 : 0;
        }

        /// <summary>Accuracy (of 1000) of the network on the rule.</summary>
        public static int Accuracy(Network network, int seed, int bias = 0, int samples = 1000)
        {
            var random = new Random(seed);
            int correct = 0;
            for (int s = 0; s < samples; s++)
            {
                int label = Fill(network, random, bias);
                if (network.Predict() == label) correct++;
            }
            return correct;
        }

        /// <summary>Real value of each int8 weight (as a double, tests only) of parameter layer l.</summary>
        public static double[] RealWeights(Network network, int parameterLayer)
        {
            int seen = 0;
            foreach (Layer layer in network.Layers)
            {
                if (layer is not ParameterLayer p) continue;
                if (seen++ != parameterLayer) continue;
                var result = new double[p.Weights.Length];
                for (int i = 0; i < result.Length; i++) result[i] = p.Weights[i] * Math.Pow(2, p.WeightExponent);
                return result;
            }
            throw new ArgumentException("no such parameter layer");
        }

        public static Network Also(this Network network, Action<Network> action) { action(network); return network; }
    }
}
