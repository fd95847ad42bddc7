namespace TinTin.Core
{
    /// <summary>
    /// A layer is a Forward/Backward pair over flat int8 tensors, sources first and destination
    /// last (llm.c / CMSIS-NN order):
    ///   Forward(input, output)
    ///   Backward(input, output, outputGrad, inputGrad)
    /// Backward adds into the layer's own parameter gradients and overwrites inputGrad; inputGrad
    /// is null when nothing below needs it, and then no error is propagated at all. Layers lay
    /// out channels and positions in the flat buffers as they document, so a 1-D convolution or a
    /// pooling layer over a window of sensor samples is one more subclass, not an engine change.
    /// </summary>
    public abstract class Layer
    {
        public readonly int InputLength;
        public readonly int OutputLength;

        /// <summary>Where the layer adds its work; set by the network when it is built.</summary>
        public OpCounters Counters = new OpCounters();

        protected Layer(int inputLength, int outputLength)
        {
            InputLength = inputLength;
            OutputLength = outputLength;
        }

        /// <summary>A <see cref="LayerKind"/> code.</summary>
        public abstract LayerKind Kind { get; }

        public abstract void Forward(QTensor input, QTensor output);

        public abstract void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad);

        /// <summary>Multiply-accumulates of one forward pass.</summary>
        public virtual long ForwardMacs { get { return 0; } }

        /// <summary>Bytes of int32 scratch the layer's kernels need (shared, sized by the network).</summary>
        public virtual int ScratchInts { get { return 0; } }

        /// <summary>The shared scratch buffer; the network hands every layer the same one.</summary>
        public virtual void BindScratch(int[] scratch) { }

        /// <summary>Whether Backward needs this layer's input activation (to form weight gradients or masks).</summary>
        public virtual bool KeepsInputForBackward(bool propagatesError) { return false; }
    }
}
