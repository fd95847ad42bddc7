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
            // Copy (native), then zero the negatives: a read and a test per value, a write only for the negatives.
            System.Array.Copy(x, y, n);
            int i = 0;
            for (int n4 = n - 3; i < n4; i += 4) // unrolled: one loop test per four values
            {
                if (y[i] < 0) y[i] = 0;
                if (y[i + 1] < 0) y[i + 1] = 0;
                if (y[i + 2] < 0) y[i + 2] = 0;
                if (y[i + 3] < 0) y[i + 3] = 0;
            }
            for (; i < n; i++) if (y[i] < 0) y[i] = 0;
            output.Exponent = input.Exponent;
            // Counted by the network (AddForwardWork).
        }

        public override bool AddForwardWork(OpCounters work)
        {
            work.Add(0, InputLength, InputLength, InputLength);
            return true;
        }

        public override void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad)
        {
            if (inputGrad == null) return;
            sbyte[] x = input.Data;        // [Length]
            sbyte[] dy = outputGrad.Data;  // [Length]
            sbyte[] dx = inputGrad.Data;   // [Length]
            int n = InputLength;
            // Copy the gradient (native), then zero it where the input was not positive.
            System.Array.Copy(dy, dx, n);
            int i = 0;
            for (int n4 = n - 3; i < n4; i += 4)
            {
                if (x[i] <= 0) dx[i] = 0;
                if (x[i + 1] <= 0) dx[i + 1] = 0;
                if (x[i + 2] <= 0) dx[i + 2] = 0;
                if (x[i + 3] <= 0) dx[i + 3] = 0;
            }
            for (; i < n; i++) if (x[i] <= 0) dx[i] = 0;
            inputGrad.Exponent = outputGrad.Exponent;
            // Counted by the network (AddBackwardWork).
        }

        public override bool AddBackwardWork(bool propagates, OpCounters work)
        {
            if (propagates) work.Add(0, InputLength, 2L * InputLength, InputLength);
            return true;
        }

        public override bool KeepsInputForBackward(bool propagatesError, int weightChannels, int biasOnlyChannels) { return propagatesError; }
    }
}
