namespace TinTin.Core
{
    /// <summary>
    /// A layer is a Forward/Backward pair over flat int8 tensors, sources first and destination
    /// last (CMSIS-NN's order; llm.c puts the destination first):
    ///   Forward(input, output)
    ///   Backward(input, output, outputGrad, inputGrad)
    /// Backward adds into the layer's own parameter gradients and overwrites inputGrad; inputGrad
    /// is null when nothing below needs it, and then no error is propagated at all. Layers lay
    /// out channels and positions in the flat buffers as they document (Conv1D and the global
    /// pooling layers: position-major, [positions][channels]).
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

        /// <summary>The code stored for this layer in model files.</summary>
        public abstract LayerKind Kind { get; }

        public abstract void Forward(QTensor input, QTensor output);

        public abstract void Backward(QTensor input, QTensor output, QTensor outputGrad, QTensor inputGrad);

        /// <summary>
        /// Adds what one Forward of this layer does to `work` and returns true when the layer leaves the counting
        /// of its forward to the network (its Forward then adds nothing: the network adds its layers' sum once per
        /// forward pass, one counter update instead of one per layer, which the interpreter pays for). A layer
        /// that counts its own forward returns false and adds nothing (the default).
        /// </summary>
        public virtual bool AddForwardWork(OpCounters work) { return false; }

        /// <summary>
        /// Adds what one Backward of this layer does under the committed selection to `work`, when it propagates
        /// the error (inputGrad given) or not, and returns true when the layer leaves that counting to the network
        /// (which adds its layers' sum once per backward pass, re-planned when the selection or ScoringMode
        /// changes). A layer that counts its own backward returns false and adds nothing (the default).
        /// </summary>
        public virtual bool AddBackwardWork(bool propagates, OpCounters work) { return false; }

        /// <summary>Multiply-accumulates of one forward pass.</summary>
        public virtual long ForwardMacs { get { return 0; } }

        /// <summary>Ints (int32 elements, not bytes) of scratch the layer's kernels need (shared, sized by the network).</summary>
        public virtual int ScratchInts { get { return 0; } }

        /// <summary>The shared scratch buffer; the network hands every layer the same one.</summary>
        public virtual void BindScratch(int[] scratch) { }

        /// <summary>
        /// Whether Backward needs this layer's input activation kept, when it propagates the error
        /// (or not) and trains so many channels' weights and so many channels' biases only. The
        /// network's cost model asks this for the committed selection and for hypothetical ones.
        /// </summary>
        public virtual bool KeepsInputForBackward(bool propagatesError, int weightChannels, int biasOnlyChannels) { return false; }
    }
}
