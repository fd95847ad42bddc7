namespace TinTin.Core
{
    /// <summary>ReLU on int8: the exponent passes through unchanged, so no requantisation.</summary>
    public sealed class ReluLayer : Layer
    {
        public ReluLayer(int length) : base(length, length) { }

        public override LayerKind Kind { get { return LayerKind.Relu; } }

        public override void Forward(QTensor input, QTensor output)
        {
            sbyte[] x = input.Data;   // [Length]
            sbyte[] y = output.Data;  // [Length]
            int n = InputLength;
            int i = 0;
            for (int n4 = n - 3; i < n4; i += 4) // unrolled: one loop test per four values
            {
                sbyte v = x[i]; y[i] = v > 0 ? v : (sbyte)0;
                v = x[i + 1]; y[i + 1] = v > 0 ? v : (sbyte)0;
                v = x[i + 2]; y[i + 2] = v > 0 ? v : (sbyte)0;
                v = x[i + 3]; y[i + 3] = v > 0 ? v : (sbyte)0;
            }
            for (; i < n; i++)
            {
                sbyte v = x[i];
                y[i] = v > 0 ? v : (sbyte)0;
            }
            output.Exponent = input.Exponent;
            Counters.Add(0, n, n, n);
        }

        public override void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad)
        {
            if (inputGrad == null) return;
            sbyte[] x = input.Data;        // [Length]
            sbyte[] dy = outputGrad.Data;  // [Length]
            sbyte[] dx = inputGrad.Data;   // [Length]
            int n = InputLength;
            int i = 0;
            for (int n4 = n - 3; i < n4; i += 4)
            {
                dx[i] = x[i] > 0 ? dy[i] : (sbyte)0;
                dx[i + 1] = x[i + 1] > 0 ? dy[i + 1] : (sbyte)0;
                dx[i + 2] = x[i + 2] > 0 ? dy[i + 2] : (sbyte)0;
                dx[i + 3] = x[i + 3] > 0 ? dy[i + 3] : (sbyte)0;
            }
            for (; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : (sbyte)0;
            inputGrad.Exponent = outputGrad.Exponent;
            Counters.Add(0, n, 2 * n, n);
        }

        public override bool KeepsInputForBackward(bool propagatesError, int weightChannels, int biasOnlyChannels) { return propagatesError; }
    }
}
