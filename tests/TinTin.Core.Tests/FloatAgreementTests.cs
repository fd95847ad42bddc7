using System;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Core;
using TinTin.Reference;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>Integer layers against the float32 reference, within the error the int8 format implies.</summary>
    public class FloatAgreementTests
    {
        [Property(MaxTest = 100)]
        public void Dense_forward_is_within_half_an_output_unit_of_float(sbyte[] input, int[] biases, uint weightSeed)
        {
            // With the same int8 inputs and int8 weights, the only errors are the rounding of the
            // bias into the accumulator (≤ ½·2^accExp) and of the output to int8 (≤ ½·2^outExp).
            // FsCheck: the input values and biases shrink toward zero on a failure.
            var layer = new DenseLayer(20, 8);
            layer.InitializeHeUniform(weightSeed == 0 ? 1 : weightSeed, 20);
            for (int o = 0; o < 8; o++) layer.Bias[o] = o < biases.Length ? biases[o] % (1 << 20) : 0;
            var net = new Network(new Layer[] { layer }, -1, false);
            QTensor x = TestData.Tensor(input, 20, -6);
            net.Input.CopyFrom(x);
            net.Forward();
            QTensor y = net.Output;
            int accExp = x.Exponent + layer.WeightExponent;
            double bound = 0.5 * Math.Pow(2, y.Exponent) + 0.5 * Math.Pow(2, accExp) + 1e-12;
            for (int o = 0; o < 8; o++)
            {
                double exact = TestData.Real(layer.Bias[o], layer.BiasExponent);
                for (int i = 0; i < 20; i++)
                    exact += TestData.Real(layer.Weights[o * 20 + i], layer.WeightExponent) * TestData.Real(x.Data[i], x.Exponent);
                Assert.InRange(TestData.Real(y.Data[o], y.Exponent) - exact, -bound, bound);
            }
        }

        [Fact]
        public void Dense_backward_gradients_match_float_exactly_or_within_half_a_unit()
        {
            var random = new Random(2);
            var layer = new DenseLayer(12, 5);
            layer.InitializeHeUniform(9, 12);
            var net = new Network(new Layer[] { new DenseLayer(3, 12), new ReluLayer(12), layer }, -1, false);
            ((DenseLayer)net.Layers[0]).InitializeHeUniform(4, 3);
            net.SetAllTrainable(true);
            QTensor x = TestData.RandomTensor(random, 12, -5);
            QTensor dy = TestData.RandomTensor(random, 5, -11);
            var dx = new QTensor(12);
            layer.Backward(x, null, dy, dx);
            // Weight gradients: products of int8 values are exact and the first contribution only
            // gains guard bits, so the integer row equals the float outer product exactly.
            var row = new int[13];
            for (int o = 0; o < 5; o++)
            {
                Assert.True(layer.CopyGradientRow(o, row));
                for (int i = 0; i < 12; i++)
                    Assert.Equal(TestData.Real(dy.Data[o], dy.Exponent) * TestData.Real(x.Data[i], x.Exponent), TestData.Real(row[i], layer.GradientExponent), 12);
                Assert.Equal(TestData.Real(dy.Data[o], dy.Exponent), TestData.Real(row[12], layer.GradientExponent), 12);
            }
            // Input gradient: one rounding to int8, ≤ ½·2^dxExp.
            double bound = 0.5 * Math.Pow(2, dx.Exponent) + 1e-12;
            for (int i = 0; i < 12; i++)
            {
                double exact = 0;
                for (int o = 0; o < 5; o++) exact += TestData.Real(layer.Weights[o * 12 + i], layer.WeightExponent) * TestData.Real(dy.Data[o], dy.Exponent);
                Assert.InRange(TestData.Real(dx.Data[i], dx.Exponent) - exact, -bound, bound);
            }
        }

        [Property(MaxTest = 200)]
        public void Softmax_probabilities_and_loss_match_float(sbyte[] logits, byte exponentSeed, byte labelSeed)
        {
            var loss = new SoftmaxCrossEntropy(10);
            QTensor z = TestData.Tensor(logits, 10, -7 + exponentSeed % 5); // exponents -7..-3
            loss.Forward(z);
            double[] real = z.Data.Select(v => TestData.Real(v, z.Exponent)).ToArray();
            double max = real.Max(), sum = real.Sum(v => Math.Exp(v - max));
            int label = labelSeed % 10;
            for (int i = 0; i < 10; i++)
            {
                double p = Math.Exp(real[i] - max) / sum;
                // Table interpolation < 1e-4 relative, plus Q16 rounding of each term.
                Assert.InRange(loss.Probabilities[i] / 65536.0 - p, -0.0012, 0.0012);
            }
            double exactLoss = -(real[label] - max - Math.Log(sum));
            Assert.InRange(loss.LossQ16(label) / 65536.0 - exactLoss, -0.01 - 0.002 * exactLoss, 0.01 + 0.002 * exactLoss);
            var grad = new QTensor(10);
            loss.Backward(label, grad);
            for (int i = 0; i < 10; i++)
            {
                double exact = Math.Exp(real[i] - max) / sum - (i == label ? 1 : 0);
                Assert.InRange(TestData.Real(grad.Data[i], grad.Exponent) - exact, -0.5 * Math.Pow(2, grad.Exponent) - 0.0012, 0.5 * Math.Pow(2, grad.Exponent) + 0.0012);
            }
        }

        [Fact]
        public void Exp2_and_log2_tables_are_accurate()
        {
            for (int t = -16 * 65536; t <= 0; t += 977)
            {
                double exact = Math.Pow(2, t / 65536.0) * 65536;
                Assert.InRange(SoftmaxCrossEntropy.Exp2Q16(t) - exact, -1.0 - 1e-4 * exact, 1.0 + 1e-4 * exact);
            }
            for (long x = 1; x < 1 << 30; x = x * 5 / 3 + 1)
                Assert.InRange(SoftmaxCrossEntropy.Log2Q16((int)x) / 65536.0 - Math.Log2(x), -2e-4, 2e-4); // 32 linear segments: < 2e-4
        }

        [Fact]
        public void Whole_network_weight_gradients_agree_with_the_float_reference()
        {
            // Integer activations and errors are int8 with one exponent per tensor: each error
            // propagated through a layer is rounded to 7 bits of the largest element, and a ReLU
            // input near 0 can round to the other side. Measured over 20 networks × 8 samples:
            // the output layer's gradient agrees to cosine ≥ 0.998, hidden layers ≥ 0.95, mean
            // 0.992. Bounds: every layer cosine ≥ 0.94 and norm within ±12 %, mean ≥ 0.98,
            // output layer ≥ 0.995.
            var random = new Random(4);
            var cosines = new System.Collections.Generic.List<double>();
            foreach (uint seed in Enumerable.Range(1, 20).Select(i => (uint)i))
            {
                Network net = TestData.Mlp(new[] { 6, 24, 16, 4 }, seed);
                var reference = new FloatMlp(net);
                for (int s = 0; s < 8; s++)
                {
                    QTensor x = TestData.RandomTensor(random, 6, -5);
                    int label = random.Next(4);
                    net.Input.CopyFrom(x);
                    net.TrainSample(label);
                    for (int i = 0; i < 6; i++) reference.Input[i] = (float)TestData.Real(x.Data[i], x.Exponent);
                    reference.Forward();
                    reference.Backward(label);
                }
                for (int l = 0; l < net.Layers.Length; l++)
                {
                    if (net.Layers[l] is not DenseLayer dense) continue;
                    var integer = new double[dense.ParameterCount];
                    var row = new int[dense.TrainingRowInts];
                    for (int c = 0; c < dense.Channels; c++)
                    {
                        Assert.True(dense.CopyGradientRow(c, row));
                        for (int i = 0; i < dense.RowLength; i++) integer[c * dense.RowLength + i] = TestData.Real(row[i], dense.GradientExponent);
                        integer[dense.Channels * dense.RowLength + c] = TestData.Real(row[dense.RowLength], dense.GradientExponent);
                    }
                    double[] floats = reference.WeightGradientsOf(l).Select(v => (double)v).Concat(reference.BiasGradientsOf(l).Select(v => (double)v)).ToArray();
                    double dot = 0, ni = 0, nf = 0;
                    for (int k = 0; k < floats.Length; k++) { dot += integer[k] * floats[k]; ni += integer[k] * integer[k]; nf += floats[k] * floats[k]; }
                    double cosine = dot / Math.Sqrt(ni * nf);
                    Assert.True(cosine >= 0.94, $"seed {seed} layer {l}: cosine {cosine:F4}");
                    if (l == net.Layers.Length - 1) Assert.True(cosine >= 0.995, $"seed {seed} output layer: cosine {cosine:F4}");
                    Assert.InRange(Math.Sqrt(ni / nf), 0.88, 1.12);
                    cosines.Add(cosine);
                }
            }
            Assert.True(cosines.Average() >= 0.98, $"mean cosine {cosines.Average():F4}");
        }
    }
}
