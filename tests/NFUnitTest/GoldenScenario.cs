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

        /// <summary>[exponent, data...] of a tensor.</summary>
        static int[] Tensor(QTensor t)
        {
            int[] v = new int[t.Length + 1];
            v[0] = t.Exponent;
            for (int i = 0; i < t.Length; i++) v[i + 1] = t.Data[i];
            return v;
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
