using System;

namespace TinTin.Core
{
    /// <summary>
    /// Valid 1-D convolution, stride 1, over a window of sensor samples: input [Length][InChannels],
    /// output [Positions][OutChannels] with Positions = Length − Kernel + 1 (position-major, see
    /// <see cref="Conv1DKernels"/>). One output channel per filter; a filter's row is
    /// [Kernel][InChannels]. Forward and backward run the fast kernels in <see cref="Conv1DKernels"/>.
    /// </summary>
    public sealed class Conv1DLayer : ParameterLayer
    {
        public readonly int Length;
        public readonly int InChannels;
        public readonly int Kernel;
        public readonly int Positions;
        private int[] scratch; // shared, ≥ ScratchInts

        public Conv1DLayer(int length, int inChannels, int outChannels, int kernel)
            : base(length * inChannels, (length - kernel + 1) * outChannels, outChannels, kernel * inChannels)
        {
            if (inChannels < 1 || kernel < 1 || length < kernel)
                throw new ArgumentException("a 1-D convolution needs at least one input channel and a kernel of 1 to length (" + length + ") samples");
            Length = length;
            InChannels = inChannels;
            Kernel = kernel;
            Positions = length - kernel + 1;
        }

        public int OutChannels { get { return Channels; } }

        public override LayerKind Kind { get { return LayerKind.Conv1D; } }

        public override long ForwardMacs { get { return (long)Positions * Channels * RowLength; } }

        public override int ScratchInts { get { return OutputLength > InputLength ? OutputLength : InputLength; } }

        public override void BindScratch(int[] sharedScratch) { scratch = sharedScratch; }

        public override void Forward(QTensor input, QTensor output)
        {
            Conv1DKernels.Forward(input, Weights, WeightExponent, Bias, BiasExponent, Length, InChannels, Channels, Kernel, scratch, output);
            long macs = ForwardMacs;
            Counters.Add(macs, 2L * OutputLength + Channels, macs * 2 + 4L * OutputLength, OutputLength);
        }

        public override void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad)
        {
            if (FormsGradients)
            {
                // A sample's gradient sums Positions products per weight: align as if it were that
                // many times larger, so 128 samples still fit int32 (as one Dense product does).
                int reduce = QMath.BitLength(Positions - 1);
                int weightExponent = outputGrad.Exponent + input.Exponent;
                AlignGradientContribution((WeightTrainableChannelCount > 0 ? weightExponent : outputGrad.Exponent) + reduce);
                Conv1DKernels.BackwardWeights(input, outputGrad, WeightRowOffsets, BiasOffsets, Length, InChannels, Channels, Kernel,
                    weightExponent - GradientExponent, outputGrad.Exponent - GradientExponent, GradientPool);
                long macs = (long)WeightTrainableChannelCount * RowLength * Positions;
                Counters.Add(macs, (long)TrainableChannelCount * Positions, macs * 5, macs * 4);
            }
            if (inputGrad != null)
            {
                Conv1DKernels.BackwardInput(outputGrad, Weights, WeightExponent, Length, InChannels, Channels, Kernel, scratch, inputGrad);
                long macs = ForwardMacs;
                Counters.Add(macs, 2L * InputLength, macs * 2 + 4L * InputLength, InputLength);
            }
        }
    }
}
