using System;

namespace TinTin.Core
{
    /// <summary>
    /// Global max pooling over positions: input [Positions][Channels] (position-major, as
    /// <see cref="Conv1DLayer"/> writes it) → output [Channels], the largest value per channel.
    /// int8 in, int8 out at the same exponent: no requantisation. Backward routes each channel's
    /// error to its first largest input (found again from the input, so only the input is kept).
    /// </summary>
    public sealed class GlobalMaxPoolLayer : Layer
    {
        public readonly int Positions;
        public readonly int Channels;

        public GlobalMaxPoolLayer(int positions, int channels) : base(positions * channels, channels)
        {
            if (positions < 1 || channels < 1) throw new ArgumentException("global pooling needs at least one position and one channel");
            Positions = positions;
            Channels = channels;
        }

        public override LayerKind Kind { get { return LayerKind.GlobalMaxPool; } }

        public override void Forward(QTensor input, QTensor output)
        {
            sbyte[] x = input.Data;   // [Positions][Channels]
            sbyte[] y = output.Data;  // [Channels]
            int n = InputLength;
            for (int c = 0; c < Channels; c++)
            {
                int best = -128;
                for (int i = c; i < n; i += Channels) if (x[i] > best) best = x[i];
                y[c] = (sbyte)best;
            }
            output.Exponent = input.Exponent;
            Counters.Add(0, n, n, Channels);
        }

        public override void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad)
        {
            if (inputGrad == null) return;
            sbyte[] x = input.Data;        // [Positions][Channels]
            sbyte[] dy = outputGrad.Data;  // [Channels]
            sbyte[] dx = inputGrad.Data;   // [Positions][Channels]
            int n = InputLength;
            Array.Clear(dx, 0, n);
            for (int c = 0; c < Channels; c++)
            {
                int at = c;
                for (int i = c + Channels; i < n; i += Channels) if (x[i] > x[at]) at = i;
                dx[at] = dy[c];
            }
            inputGrad.Exponent = outputGrad.Exponent;
            Counters.Add(0, 2L * n, 2L * n, n);
        }

        public override bool KeepsInputForBackward(bool propagatesError, int weightChannels, int biasOnlyChannels) { return propagatesError; }
    }
}
