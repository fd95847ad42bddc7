namespace TinTin.Core
{
    /// <summary>
    /// Fully connected layer: output[o] = Σ_i W[o][i]·input[i] + bias[o]. One output channel per
    /// row of weights. Forward and backward run <see cref="TargetDenseKernels"/>: the interpreter-fitted kernels on the board, SIMD on the host.
    /// </summary>
    public sealed class DenseLayer : ParameterLayer
    {
        private int[] scratch; // shared, ≥ ScratchInts
        // What one forward adds to the counters, fixed by the sizes (computed once, not per call).
        private readonly long forwardMacs, forwardOps, forwardBytesRead;
        // What one input-gradient pass adds (fixed by the sizes), and the weight-gradient pass for the
        // selection it was computed for (recomputed when the trainable channel counts change).
        private readonly long inputGradOps, inputGradBytesRead;
        private int countedWeightChannels = -1, countedChannels = -1;
        private long gradientMacs, gradientOps, gradientBytesRead, gradientBytesWritten;

        public DenseLayer(int inputLength, int outputLength)
            : base(inputLength, outputLength, outputLength, inputLength)
        {
            forwardMacs = (long)inputLength * outputLength;
            forwardOps = 2L * outputLength + inputLength;
            forwardBytesRead = forwardMacs + inputLength + 4L * outputLength;
            inputGradOps = 2L * inputLength;
            inputGradBytesRead = forwardMacs + outputLength + 4L * inputLength;
        }

        public override LayerKind Kind { get { return LayerKind.Dense; } }

        public override long ForwardMacs { get { return forwardMacs; } }

        public override int ScratchInts { get { return InputLength + OutputLength; } }

        public override void BindScratch(int[] sharedScratch) { scratch = sharedScratch; }

        public override bool HasFusedUpdate { get { return true; } }

        public override void Forward(QTensor input, QTensor output)
        {
            TargetDenseKernels.Forward(input, Weights, WeightExponent, Bias, BiasExponent, InputLength, OutputLength, scratch, output);
            // Counted by the network (AddForwardWork).
        }

        public override bool AddForwardWork(OpCounters work)
        {
            work.Add(forwardMacs, forwardOps, forwardBytesRead, OutputLength);
            return true;
        }

        public override void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad)
        {
            if (FormsGradients && TrainingMode != TrainingStateMode.GradientArena)
            {
                BackwardAndUpdate(input, outputGrad, inputGrad);
                return;
            }
            // Gradient-arena mode: the network counts this pass (AddBackwardWork).
            if (FormsGradients)
            {
                int weightExponent = outputGrad.Exponent + input.Exponent;
                AlignGradientContribution(WeightTrainableChannelCount > 0 ? weightExponent : outputGrad.Exponent);
                TargetDenseKernels.BackwardWeights(input, outputGrad, WeightRowOffsets, BiasOffsets, InputLength, OutputLength,
                    weightExponent - GradientExponent, outputGrad.Exponent - GradientExponent, GradientPool);
            }
            if (inputGrad != null)
            {
                TargetDenseKernels.BackwardInput(outputGrad, Weights, WeightExponent, InputLength, OutputLength, scratch, inputGrad);
                if (TrainingMode != TrainingStateMode.GradientArena) Counters.Add(forwardMacs, inputGradOps, inputGradBytesRead, InputLength); // a fused mode counts itself
            }
        }

        /// <summary>Gradient-arena mode: what Backward does under the committed selection (the fused modes count themselves).</summary>
        public override bool AddBackwardWork(bool propagates, OpCounters work)
        {
            if (TrainingMode != TrainingStateMode.GradientArena) return false;
            if (FormsGradients)
            {
                if (WeightTrainableChannelCount != countedWeightChannels || TrainableChannelCount != countedChannels) CountGradientPass();
                if (propagates) // both passes
                    work.Add(gradientMacs + forwardMacs, gradientOps + inputGradOps, gradientBytesRead + inputGradBytesRead, gradientBytesWritten + InputLength);
                else
                    work.Add(gradientMacs, gradientOps, gradientBytesRead, gradientBytesWritten);
            }
            else if (propagates) work.Add(forwardMacs, inputGradOps, inputGradBytesRead, InputLength);
            return true;
        }

        /// <summary>What one weight-gradient pass adds to the counters under the current selection.</summary>
        private void CountGradientPass()
        {
            countedWeightChannels = WeightTrainableChannelCount;
            countedChannels = TrainableChannelCount;
            gradientMacs = (long)countedWeightChannels * InputLength;
            gradientOps = countedChannels;
            gradientBytesRead = gradientMacs * 5 + InputLength + OutputLength;
            gradientBytesWritten = gradientMacs * 4;
        }

        /// <summary>Fused modes: the input gradient and this sample's update in one sweep over the rows, then the exponents.</summary>
        private void BackwardAndUpdate(QTensor input, QTensor outputGrad, QTensor inputGrad)
        {
            ShiftSum rate = RequireFusedLearningRate();
            if (TrainingMode == TrainingStateMode.FusedInt8Residue)
                ResidueUpdateKernels.DenseBackwardUpdate(input, outputGrad, WeightRowOffsets, BiasOffsets, rate, RateShift, InputLength, OutputLength,
                    WeightExponent, Weights, Residues, BiasExponent, Bias, scratch, inputGrad);
            else if (TrainingMode == TrainingStateMode.FusedInt8)
                Int8UpdateKernels.DenseBackwardUpdate(input, outputGrad, WeightRowOffsets, BiasOffsets, rate, RateShift, InputLength, OutputLength,
                    WeightExponent, Weights, BiasExponent, Bias, scratch, inputGrad);
            else
                FusedMasterKernels.DenseBackwardUpdate(input, outputGrad, Weights, WeightExponent, WeightRowOffsets, BiasOffsets, rate, RateShift,
                    InputLength, OutputLength, MasterExponent, MasterWeights, BiasExponent, Bias, scratch, inputGrad);
            long macs = (long)WeightTrainableChannelCount * InputLength;
            long propagated = inputGrad != null ? ForwardMacs : 0;
            Counters.Add(macs + propagated, TrainableChannelCount + 2L * InputLength, macs * 4 + propagated + InputLength + OutputLength, macs * 2 + InputLength);
            FinishFusedUpdate();
        }
    }
}
