using System;
using System.Collections.Generic;
using TinTin.Core;

namespace TinTin.Reference
{
    /// <summary>
    /// The float32 yardstick: the same sequential network as an engine <see cref="Network"/>
    /// (Dense and ReLU), the same initial weights (dequantised from the master copy), softmax
    /// cross-entropy, and the same SGD semantics (gradients summed over a batch, then
    /// w −= lr·sum, optional momentum v = β·v + g). Host only.
    /// </summary>
    public sealed class FloatMlp
    {
        private sealed class Dense
        {
            public int In, Out;
            public float[] W, B;       // [Out][In], [Out]
            public float[] GW, GB;     // gradient sums
            public float[] VW, VB;     // momentum
        }

        private readonly object[] layers;     // Dense or null (ReLU)
        private readonly float[][] acts;      // [L+1]
        private readonly float[][] grads;     // [L+1]
        private readonly double[] probabilities;  // [classes] softmax scratch of Backward
        public int ClassCount { get; }
        public int InputLength { get; }

        /// <summary>Mirrors the network's architecture and current weights.</summary>
        public FloatMlp(Network network)
        {
            int count = network.Layers.Length;
            layers = new object[count];
            acts = new float[count + 1][];
            grads = new float[count + 1][];
            acts[0] = new float[network.InputLength];
            for (int l = 0; l < count; l++)
            {
                Layer layer = network.Layers[l];
                acts[l + 1] = new float[layer.OutputLength];
                grads[l + 1] = new float[layer.OutputLength];
                if (layer is DenseLayer d)
                {
                    var dense = new Dense { In = d.InputLength, Out = d.OutputLength, W = new float[d.MasterWeights.Length], B = new float[d.Bias.Length] };
                    float wScale = (float)Math.Pow(2, d.MasterExponent), bScale = (float)Math.Pow(2, d.BiasExponent);
                    for (int i = 0; i < dense.W.Length; i++) dense.W[i] = d.MasterWeights[i] * wScale;
                    for (int i = 0; i < dense.B.Length; i++) dense.B[i] = d.Bias[i] * bScale;
                    dense.GW = new float[dense.W.Length]; dense.GB = new float[dense.B.Length];
                    dense.VW = new float[dense.W.Length]; dense.VB = new float[dense.B.Length];
                    layers[l] = dense;
                }
                else if (layer is not ReluLayer) throw new NotSupportedException($"layer {l}: {layer.GetType().Name}");
            }
            InputLength = network.InputLength;
            ClassCount = network.ClassCount;
            probabilities = new double[acts[count].Length];
        }

        public float[] Input => acts[0];
        public float[] Output => acts[acts.Length - 1];

        /// <summary>The real weights of Dense layer l (for comparisons).</summary>
        public float[] WeightsOf(int layer) => ((Dense)layers[layer]).W;
        public float[] BiasOf(int layer) => ((Dense)layers[layer]).B;
        /// <summary>Gradient sums of Dense layer l accumulated since the last step.</summary>
        public float[] WeightGradientsOf(int layer) => ((Dense)layers[layer]).GW;
        public float[] BiasGradientsOf(int layer) => ((Dense)layers[layer]).GB;
        /// <summary>dLoss/d(activation a) after Backward.</summary>
        public float[] ActivationGradient(int a) => grads[a];
        public float[] Activation(int a) => acts[a];

        public void Forward()
        {
            for (int l = 0; l < layers.Length; l++)
            {
                float[] x = acts[l], y = acts[l + 1];
                if (layers[l] is Dense d)
                {
                    for (int o = 0; o < d.Out; o++)
                    {
                        float s = d.B[o];
                        int row = o * d.In;
                        for (int i = 0; i < d.In; i++) s += d.W[row + i] * x[i];
                        y[o] = s;
                    }
                }
                else for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0;
            }
        }

        public int Predict()
        {
            Forward();
            float[] z = Output;
            int best = 0;
            for (int i = 1; i < z.Length; i++) if (z[i] > z[best]) best = i;
            return best;
        }

        /// <summary>Softmax probabilities of the last Forward (a new array).</summary>
        public double[] Probabilities()
        {
            var p = new double[Output.Length];
            SoftmaxInto(p);
            return p;
        }

        /// <summary>Softmax of the output into p [classes]: Backward reuses one buffer, so training allocates nothing per sample.</summary>
        private void SoftmaxInto(double[] p)
        {
            float[] z = Output;
            double max = double.NegativeInfinity;
            foreach (float v in z) max = Math.Max(max, v);
            double sum = 0;
            for (int i = 0; i < z.Length; i++) { p[i] = Math.Exp(z[i] - max); sum += p[i]; }
            for (int i = 0; i < z.Length; i++) p[i] /= sum;
        }

        /// <summary>Loss and backward for one sample after Forward; adds into the gradient sums. Returns the loss in nats.</summary>
        public double Backward(int label)
        {
            double[] p = probabilities;
            SoftmaxInto(p);
            float[] g = grads[grads.Length - 1];
            for (int i = 0; i < g.Length; i++) g[i] = (float)(p[i] - (i == label ? 1 : 0));
            for (int l = layers.Length - 1; l >= 0; l--)
            {
                float[] x = acts[l], dy = grads[l + 1];
                float[] dx = grads[l] ??= new float[x.Length];
                if (layers[l] is Dense d)
                {
                    Array.Clear(dx);
                    for (int o = 0; o < d.Out; o++)
                    {
                        float e = dy[o];
                        int row = o * d.In;
                        for (int i = 0; i < d.In; i++) { d.GW[row + i] += e * x[i]; dx[i] += d.W[row + i] * e; }
                        d.GB[o] += e;
                    }
                }
                else for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
            }
            return -Math.Log(Math.Max(p[label], 1e-30));
        }

        /// <summary>w −= lr·(gradient sum) (or lr·v with momentum v = β·v + g), then clears the sums.</summary>
        public void Step(double learningRate, double momentum)
        {
            float lr = (float)learningRate, beta = (float)momentum;
            foreach (object o in layers)
            {
                if (o is not Dense d) continue;
                Apply(d.W, d.GW, d.VW, lr, beta);
                Apply(d.B, d.GB, d.VB, lr, beta);
            }
        }

        private static void Apply(float[] w, float[] g, float[] v, float lr, float beta)
        {
            for (int i = 0; i < w.Length; i++)
            {
                float step = g[i];
                if (beta != 0) { v[i] = beta * v[i] + g[i]; step = v[i]; }
                w[i] -= lr * step;
                g[i] = 0;
            }
        }

        public void LoadInput(QDataset data, int i) => LoadInput(data.Inputs[i], data.Exponent);

        /// <summary>One int8 input x [In] at 2^exponent, converted into the input activations (no float copy of a data set).</summary>
        public void LoadInput(sbyte[] x, int exponent)
        {
            float scale = (float)Math.Pow(2, exponent);
            for (int j = 0; j < x.Length; j++) acts[0][j] = x[j] * scale;
        }
    }
}
