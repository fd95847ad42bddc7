using System;

namespace TinTin.Core
{
    /// <summary>
    /// A sequential classifier: layers, their activations and gradients, the loss head and the
    /// training arena, all allocated here once. The per-sample path (Forward, Backward, Step)
    /// allocates nothing.
    ///
    /// Training selection: each parameter layer's ChannelTrainable and ChannelBiasOnly masks say
    /// what the update may change (a channel's weights and bias, or its bias only). A new network
    /// is fully trainable when its arena holds every channel, else frozen. <see cref="ApplySelection"/>
    /// plans the backward pass from the masks: gradient rows in the arena for trainable channels
    /// only, error propagation only through layers that have a trainable layer below them, and no
    /// backward at all below the lowest trainable layer. The cost model (bytes and MACs of any
    /// selection, committed or hypothetical) lives here too, so selector, learner and reports agree
    /// by construction.
    /// </summary>
    public sealed class Network
    {
        public readonly Layer[] Layers;
        /// <summary>[Layers.Length + 1] activations: [0] the input, [l + 1] the output of layer l.</summary>
        public readonly QTensor[] Activations;
        /// <summary>[Layers.Length + 1] loss gradients w.r.t. each activation; [0] is null (never needed).</summary>
        public readonly QTensor[] Gradients;
        public readonly SoftmaxCrossEntropy Loss;
        public readonly OpCounters Counters = new OpCounters();

        private readonly int[] scratch;
        private int[] gradientArena;   // [TrainingCapacityInts]; replaced once by AllocateTrainingArena; null in the fused modes
        private int[] velocityArena;   // [TrainingCapacityInts] or null without momentum
        private readonly int fullTrainingInts;   // gradient ints of the full update
        private bool arenaDeferred;              // built with ArenaFromBudget, AllocateTrainingArena not yet called
        private readonly bool[] propagatesError; // [Layers.Length], derived in ApplySelection
        private readonly int[] weightChannels;   // [Layers.Length] committed: channels training weights and bias
        private readonly int[] biasOnlyChannels; // [Layers.Length] committed: channels training the bias only
        private readonly int[] allChannels;      // [Layers.Length] every channel of each parameter layer: the full update
        private int lowestTrainableLayer;        // Layers.Length when nothing is trainable
        private int arenaIntsInUse;
        // What one forward pass adds to the counters for the layers that leave it to the network (Layer.AddForwardWork).
        private readonly long forwardWorkMacs, forwardWorkOps, forwardWorkBytesRead, forwardWorkBytesWritten;
        // What one Backward adds for the loss head and the layers that leave it to the network (Layer.AddBackwardWork),
        // planned for the committed selection in ScoringMode or not; re-planned after ApplySelection or a ScoringMode change.
        private readonly OpCounters backwardWork = new OpCounters();
        private bool backwardWorkPlanned, backwardWorkScoring;

        /// <summary>Ints of gradient arena allocated (the most the selection may use).</summary>
        public int TrainingCapacityInts { get { return trainingCapacityInts; } }
        private int trainingCapacityInts;

        /// <summary>
        /// trainingCapacityInts value: allocate no arena now; the learner sizes it to its budget with
        /// <see cref="AllocateTrainingArena"/> (a board never holds a full arena it may not use).
        /// </summary>
        public const int ArenaFromBudget = -2;

        /// <summary>How the training state is held (fixed at construction).</summary>
        public readonly TrainingStateMode Mode;

        /// <summary>When set, Backward propagates the error through every layer (to score channels) and forms no weight gradients.</summary>
        public bool ScoringMode;

        /// <param name="layers">The layers in order; each one's InputLength equals the previous one's OutputLength.</param>
        /// <param name="trainingCapacityInts">Gradient arena size in int32s; -1 for enough to train everything; <see cref="ArenaFromBudget"/> to size it later.</param>
        /// <param name="withMomentum">Allocate a velocity arena of the same size.</param>
        public Network(Layer[] layers, int trainingCapacityInts, bool withMomentum)
            : this(layers, trainingCapacityInts, withMomentum, TrainingStateMode.GradientArena) { }

        /// <param name="layers">The layers in order; each one's InputLength equals the previous one's OutputLength.</param>
        /// <param name="trainingCapacityInts">Gradient arena size in int32s (the fused modes: the limit on what may train); -1 for everything.</param>
        /// <param name="withMomentum">Allocate a velocity arena of the same size (gradient-arena mode only).</param>
        /// <param name="mode">How the training state is held; the fused modes need a fused kernel in every parameter layer.</param>
        public Network(Layer[] layers, int trainingCapacityInts, bool withMomentum, TrainingStateMode mode)
        {
            if (layers == null || layers.Length == 0) throw new ArgumentException("a network needs at least one layer");
            for (int l = 1; l < layers.Length; l++)
                if (layers[l].InputLength != layers[l - 1].OutputLength)
                    throw new ArgumentException("layer " + l + " takes " + layers[l].InputLength + " values but layer " + (l - 1) + " gives " + layers[l - 1].OutputLength);
            if (withMomentum && mode != TrainingStateMode.GradientArena)
                throw new ArgumentException("momentum needs the gradient arena: the fused modes update each sample as its backward pass runs");
            Layers = layers;
            Mode = mode;
            int count = layers.Length;
            Activations = new QTensor[count + 1];
            Gradients = new QTensor[count + 1];
            Activations[0] = new QTensor(layers[0].InputLength);
            int scratchInts = 1;
            int fullTraining = 0;
            allChannels = new int[count];
            for (int l = 0; l < count; l++)
            {
                Activations[l + 1] = new QTensor(layers[l].OutputLength);
                Gradients[l + 1] = new QTensor(layers[l].OutputLength);
                if (layers[l].ScratchInts > scratchInts) scratchInts = layers[l].ScratchInts;
                ParameterLayer p = layers[l] as ParameterLayer;
                if (p != null) { fullTraining += p.Channels * p.TrainingRowInts; allChannels[l] = p.Channels; p.UseTrainingMode(mode); }
                layers[l].Counters = Counters;
            }
            OpCounters forwardWork = new OpCounters();
            for (int l = 0; l < count; l++) layers[l].AddForwardWork(forwardWork);
            forwardWorkMacs = forwardWork.StepMacs;
            forwardWorkOps = forwardWork.StepOps;
            forwardWorkBytesRead = forwardWork.StepBytesRead;
            forwardWorkBytesWritten = forwardWork.StepBytesWritten;
            if (Layers[count - 1] is ReluLayer) throw new ArgumentException("the last layer gives the logits; it cannot be a ReLU");
            Loss = new SoftmaxCrossEntropy(layers[count - 1].OutputLength);
            scratch = new int[scratchInts];
            for (int l = 0; l < count; l++) layers[l].BindScratch(scratch);
            fullTrainingInts = fullTraining;
            // The fused modes store no gradient: nothing to allocate or defer, the capacity only limits the selection.
            arenaDeferred = trainingCapacityInts == ArenaFromBudget && mode == TrainingStateMode.GradientArena;
            this.trainingCapacityInts = arenaDeferred ? 0 : trainingCapacityInts < 0 ? fullTraining : trainingCapacityInts;
            if (mode == TrainingStateMode.GradientArena)
            {
                gradientArena = new int[TrainingCapacityInts > 0 ? TrainingCapacityInts : 1];
                velocityArena = withMomentum ? new int[gradientArena.Length] : null;
            }
            propagatesError = new bool[count];
            weightChannels = new int[count];
            biasOnlyChannels = new int[count];
            lowestTrainableLayer = count;
            // A new network trains everything when its arena allows it (what a user expects of
            // "train this model"); a smaller arena starts frozen until a selection is applied.
            SetAllTrainable(TrainingCapacityInts >= fullTraining);
        }

        /// <summary>Whether the arena waits for <see cref="AllocateTrainingArena"/> (built with <see cref="ArenaFromBudget"/>).</summary>
        public bool ArenaDeferred { get { return arenaDeferred; } }
        /// <summary>Gradient ints the full update needs.</summary>
        public int FullTrainingInts { get { return fullTrainingInts; } }

        /// <summary>
        /// Allocates the deferred gradient (and velocity) arena with so many ints, at most the full
        /// update's; once, for a network built with <see cref="ArenaFromBudget"/>. Everything stays frozen
        /// until a selection is applied.
        /// </summary>
        public void AllocateTrainingArena(int ints)
        {
            if (!arenaDeferred) throw new InvalidOperationException("the training arena is already allocated");
            if (ints > fullTrainingInts) ints = fullTrainingInts;
            if (ints < 0) ints = 0;
            gradientArena = new int[ints > 0 ? ints : 1];
            velocityArena = velocityArena != null ? new int[gradientArena.Length] : null;
            trainingCapacityInts = ints;
            arenaDeferred = false;
        }

        /// <summary>A multilayer perceptron: Dense → ReLU → … → Dense, He-uniform initialised from seed.</summary>
        public static Network CreateMlp(int[] sizes, uint seed, int trainingCapacityInts, bool withMomentum)
        {
            return CreateMlp(sizes, seed, trainingCapacityInts, withMomentum, TrainingStateMode.GradientArena);
        }

        /// <summary>A multilayer perceptron holding its training state as the mode says (see <see cref="TrainingStateMode"/>).</summary>
        public static Network CreateMlp(int[] sizes, uint seed, int trainingCapacityInts, bool withMomentum, TrainingStateMode mode)
        {
            if (sizes == null || sizes.Length < 2) throw new ArgumentException("an MLP needs an input size and at least one layer size");
            int denseCount = sizes.Length - 1;
            Layer[] layers = new Layer[2 * denseCount - 1];
            int next = 0;
            for (int d = 0; d < denseCount; d++)
            {
                if (sizes[d] <= 0 || sizes[d + 1] <= 0) throw new ArgumentException("layer sizes must be positive");
                DenseLayer dense = new DenseLayer(sizes[d], sizes[d + 1]);
                dense.InitializeHeUniform(seed + (uint)(d * 7919), sizes[d]);
                layers[next++] = dense;
                if (d < denseCount - 1) layers[next++] = new ReluLayer(sizes[d + 1]);
            }
            return new Network(layers, trainingCapacityInts, withMomentum, mode);
        }

        public QTensor Input { get { return Activations[0]; } }
        public QTensor Output { get { return Activations[Layers.Length]; } }
        public int InputLength { get { return Layers[0].InputLength; } }
        public int ClassCount { get { return Loss.Classes; } }
        public bool HasMomentum { get { return velocityArena != null; } }

        /// <summary>Runs all layers on <see cref="Input"/>.</summary>
        public void Forward()
        {
            for (int l = 0; l < Layers.Length; l++) Layers[l].Forward(Activations[l], Activations[l + 1]);
            Counters.Add(forwardWorkMacs, forwardWorkOps, forwardWorkBytesRead, forwardWorkBytesWritten);
        }

        /// <summary>Forward, then the integer argmax of the logits.</summary>
        public int Predict()
        {
            Forward();
            return SoftmaxCrossEntropy.ArgMax(Output, ClassCount);
        }

        /// <summary>
        /// After Forward: loss and backward for one labelled sample. Adds into the trainable
        /// channels' gradients (or, in ScoringMode, only propagates the error). Returns the loss
        /// in Q16 nats.
        /// </summary>
        public int Backward(int label)
        {
            if (label < 0 || label >= ClassCount) throw new ArgumentException("label " + label + " is outside 0.." + (ClassCount - 1));
            int top = Layers.Length;
            Loss.Forward(Output);
            int loss = Loss.LossQ16(label);
            int lowest = ScoringMode ? 0 : lowestTrainableLayer;
            if (lowest >= top) return loss;
            Loss.Backward(label, Gradients[top]);
            if (!backwardWorkPlanned || backwardWorkScoring != ScoringMode) PlanBackwardWork(lowest);
            Counters.Add(backwardWork.StepMacs, backwardWork.StepOps, backwardWork.StepBytesRead, backwardWork.StepBytesWritten);
            for (int l = top - 1; l >= lowest; l--)
            {
                bool propagate = l > 0 && (ScoringMode || propagatesError[l]);
                Layer layer = Layers[l];
                ParameterLayer p = layer as ParameterLayer;
                if (p != null) p.WeightGradientsSuspended = ScoringMode;
                if (ScoringMode && !propagate && p != null) continue;
                layer.Backward(Activations[l], Activations[l + 1], Gradients[l + 1], propagate ? Gradients[l] : null);
            }
            return loss;
        }

        /// <summary>
        /// Sums what one Backward adds to the counters (the loss head, and every layer Backward will run that leaves
        /// its counting to the network), walking the layers as Backward does; one counter update per backward pass.
        /// </summary>
        private void PlanBackwardWork(int lowest)
        {
            backwardWork.Reset();
            backwardWork.Add(0, 8L * ClassCount, 2L * ClassCount, ClassCount);
            for (int l = Layers.Length - 1; l >= lowest; l--)
            {
                bool propagate = l > 0 && (ScoringMode || propagatesError[l]);
                Layer layer = Layers[l];
                ParameterLayer p = layer as ParameterLayer;
                if (p != null) p.WeightGradientsSuspended = ScoringMode;
                if (ScoringMode && !propagate && p != null) continue;
                layer.AddBackwardWork(propagate, backwardWork);
            }
            backwardWorkScoring = ScoringMode;
            backwardWorkPlanned = true;
        }

        /// <summary>Forward and Backward for one sample; returns the loss in Q16 nats.</summary>
        public int TrainSample(int label)
        {
            Forward();
            return Backward(label);
        }

        /// <summary>
        /// The learning rate the fused modes apply to each sample's gradient during Backward: the
        /// same ShiftSum Step takes (the rate for a gradient summed over a batch), so a batch of
        /// fused samples moves the weights as far as one arena step. Set it before training in any
        /// mode (the gradient-arena mode ignores it); allocation-free.
        /// </summary>
        public void SetLearningRate(ShiftSum learningRate)
        {
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p != null) p.FusedLearningRate = learningRate;
            }
        }

        /// <summary>
        /// Applies the accumulated gradients of every trainable layer with integer SGD, then clears
        /// them. In the fused modes every sample has already been applied: nothing is left to do.
        /// </summary>
        public void Step(ShiftSum learningRate, ShiftSum momentum)
        {
            if (momentum != null && !momentum.IsZero && velocityArena == null)
                throw new InvalidOperationException(Mode == TrainingStateMode.GradientArena ? "this network was built without momentum state"
                    : "the fused modes have no momentum state");
            if (Mode != TrainingStateMode.GradientArena) return;
            for (int l = lowestTrainableLayer; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p != null && p.HasTrainableChannels) p.ApplyUpdate(learningRate, momentum);
            }
        }

        /// <summary>Fan-in (inputs per channel) up to which a layer steps at the learning rate as given.</summary>
        public const int ReferenceFanIn = 16;

        /// <summary>
        /// With on: every parameter layer whose fan-in (RowLength) exceeds <see cref="ReferenceFanIn"/>
        /// steps its weights at the rate · 2^−ceil(log2(fanIn / ReferenceFanIn)) — a pre-activation
        /// sums fanIn weight changes, so its change per step grows with the fan-in; this keeps it
        /// about the same for any layer width (a shift, no division). Off: every layer at the rate as given.
        /// </summary>
        public void SetFanInRateScaling(bool on)
        {
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p == null) continue;
                int shift = 0;
                if (on) while ((ReferenceFanIn << shift) < p.RowLength) shift++;
                p.RateShift = shift;
            }
        }

        /// <summary>Discards gradients accumulated since the last Step.</summary>
        public void ZeroGradients()
        {
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p != null) p.ZeroGradients();
            }
        }

        // ---- selection -----------------------------------------------------------------------------

        /// <summary>Marks every channel of every parameter layer fully trainable (or frozen) and plans the backward pass.</summary>
        public void SetAllTrainable(bool trainable)
        {
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p == null) continue;
                for (int c = 0; c < p.Channels; c++)
                {
                    p.ChannelTrainable[c] = trainable;
                    p.ChannelBiasOnly[c] = false;
                }
            }
            ApplySelection();
        }

        /// <summary>
        /// Plans the backward pass from the masks (ChannelTrainable, ChannelBiasOnly): assigns
        /// gradient rows in the arena (throws, changing nothing, when they do not fit), and decides
        /// which layers propagate the error. Clears gradients and momentum.
        /// </summary>
        public void ApplySelection()
        {
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer t = Layers[l] as ParameterLayer;
                if (t != null && t.TrialPending) throw new InvalidOperationException("layer " + l + " holds a trial step: undo it before selecting");
            }
            int required = RequiredTrainingInts();
            if (required > TrainingCapacityInts)
                throw new InvalidOperationException("selection needs " + required + " gradient ints but the arena holds " + TrainingCapacityInts);
            int offset = 0;
            lowestTrainableLayer = Layers.Length;
            for (int l = 0; l < Layers.Length; l++)
            {
                weightChannels[l] = 0;
                biasOnlyChannels[l] = 0;
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p == null) continue;
                offset = p.AssignTrainingRows(gradientArena, velocityArena, offset);
                if (p.HasTrainableChannels && l < lowestTrainableLayer) lowestTrainableLayer = l;
                weightChannels[l] = p.WeightTrainableChannelCount;
                biasOnlyChannels[l] = p.TrainableChannelCount - p.WeightTrainableChannelCount;
                p.ResetVelocity();
            }
            arenaIntsInUse = offset;
            if (gradientArena != null) Array.Clear(gradientArena, 0, gradientArena.Length);
            // Layer l must hand an error to layer l-1 only if something trainable lies below l.
            for (int l = 0; l < Layers.Length; l++) propagatesError[l] = l > lowestTrainableLayer;
            backwardWorkPlanned = false;
        }

        /// <summary>Gradient ints the current masks need (before ApplySelection commits them).</summary>
        public int RequiredTrainingInts()
        {
            int required = 0;
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p != null) required += p.RequiredTrainingInts();
            }
            return required;
        }

        /// <summary>Index of the lowest layer with trainable channels; Layers.Length when all are frozen.</summary>
        public int LowestTrainableLayer { get { return lowestTrainableLayer; } }

        // ---- cost model ------------------------------------------------------------------------------
        // The one home of what an update costs. A selection is given as two arrays indexed like Layers:
        // channels training weights and bias, and channels training the bias only (null: none). The
        // committed selection's cost (BackwardBytes, BackwardMacs) is the same function of the counts
        // ApplySelection recorded; the selector prices hypothetical selections with it, the learner
        // reports it.

        /// <summary>Index of the lowest parameter layer with trainable channels under a selection; Layers.Length when none.</summary>
        public int LowestTrainableFor(int[] weightChannels, int[] biasOnlyChannels)
        {
            for (int l = 0; l < Layers.Length; l++)
                if (Layers[l] is ParameterLayer && weightChannels[l] + CountAt(biasOnlyChannels, l) > 0) return l;
            return Layers.Length;
        }

        /// <summary>Gradient-arena ints of a selection.</summary>
        public int TrainingIntsFor(int[] weightChannels, int[] biasOnlyChannels)
        {
            int ints = 0;
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p != null) ints += p.TrainingIntsFor(weightChannels[l], CountAt(biasOnlyChannels, l));
            }
            return ints;
        }

        /// <summary>
        /// Bytes the backward pass needs under a selection: the activations it keeps (layer a's
        /// input, when a is at or above the lowest trainable layer and KeepsInputForBackward says
        /// so), the activation gradients it writes (outputs of layers from the lowest trainable up),
        /// the int32 gradient rows and, with momentum, as many velocity ints.
        /// </summary>
        public int BackwardBytesFor(int[] weightChannels, int[] biasOnlyChannels)
        {
            return BackwardBytesFor(weightChannels, biasOnlyChannels, TrainingIntsFor(weightChannels, biasOnlyChannels));
        }

        /// <summary><see cref="BackwardBytesFor(int[], int[])"/> given the selection's TrainingIntsFor (the selector prices it once per tentative selection).</summary>
        public int BackwardBytesFor(int[] weightChannels, int[] biasOnlyChannels, int trainingInts)
        {
            int lowest = LowestTrainableFor(weightChannels, biasOnlyChannels);
            int bytes = 0;
            for (int a = lowest; a < Layers.Length; a++)
            {
                if (Layers[a].KeepsInputForBackward(a > lowest, weightChannels[a], CountAt(biasOnlyChannels, a))) bytes += Activations[a].Bytes;
                bytes += Gradients[a + 1].Bytes;
            }
            if (Mode != TrainingStateMode.GradientArena) return bytes; // fused: no gradient is stored
            int ints = trainingInts;
            bytes += 4 * ints;
            if (velocityArena != null) bytes += 4 * ints;
            return bytes;
        }

        /// <summary>MACs of one sample's backward pass under a selection: weight gradients of the trained rows, error propagation above the lowest trainable layer.</summary>
        public long BackwardMacsFor(int[] weightChannels, int[] biasOnlyChannels)
        {
            int lowest = LowestTrainableFor(weightChannels, biasOnlyChannels);
            long macs = 0;
            for (int l = lowest; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p == null) continue;
                macs += (long)weightChannels[l] * p.RowLength;
                if (l > lowest) macs += p.ForwardMacs;
            }
            return macs;
        }

        /// <summary>
        /// MACs of one update of `batch` samples under a selection: batch · (forward + backward)
        /// plus the SGD step's one MAC per trained weight and bias — what the OpCounters record for
        /// such an update. 0 when nothing is trainable (no update runs).
        /// </summary>
        public long UpdateMacsFor(int[] weightChannels, int[] biasOnlyChannels, int batch)
        {
            return UpdateMacsFor(weightChannels, biasOnlyChannels, batch, TrainingIntsFor(weightChannels, biasOnlyChannels));
        }

        /// <summary><see cref="UpdateMacsFor(int[], int[], int)"/> given the selection's TrainingIntsFor.</summary>
        public long UpdateMacsFor(int[] weightChannels, int[] biasOnlyChannels, int batch, int trainingInts)
        {
            int ints = trainingInts;
            if (ints == 0) return 0;
            return batch * (ForwardMacs() + BackwardMacsFor(weightChannels, biasOnlyChannels)) + ints;
        }

        /// <summary>Backward bytes of the full update (every channel trains), whatever the committed selection.</summary>
        public int FullBackwardBytes() { return BackwardBytesFor(allChannels, null); }

        /// <summary>
        /// The full update's backward bytes besides its gradient (and velocity) ints: the activations it
        /// keeps and their gradients, allocated whatever the arena holds.
        /// </summary>
        private int FullBackwardBytesBesideArena() { return BackwardBytesFor(allChannels, null, 0); }

        /// <summary>
        /// The engine's bytes no backward budget pays for: all of <see cref="TotalMemoryBytes"/> (the
        /// memory plan) but the gradient and velocity arenas and what the full update's backward is
        /// priced at besides them: weights, masters, biases, scratch, the softmax, and the activations
        /// not even the full update keeps (the logits). The one split of the engine's bytes that the
        /// budget and the arena are derived from: with the arena sized by <see cref="ArenaIntsWithin"/>(B),
        /// TotalMemoryBytes() = BytesBesideBackward() + BackwardBytesFor(every channel, TrainingCapacityInts) ≤ BytesBesideBackward() + B
        /// (for B at least the full update's activation bytes).
        /// </summary>
        public int BytesBesideBackward()
        {
            int arenaBytes = 0;
            if (gradientArena != null) arenaBytes += 4 * gradientArena.Length;
            if (velocityArena != null) arenaBytes += 4 * velocityArena.Length;
            return TotalMemoryBytes() - arenaBytes - FullBackwardBytesBesideArena();
        }

        /// <summary>
        /// Gradient ints a budget of backward bytes leaves for the arena: what it allows beyond the
        /// activations and activation gradients the full update keeps (already allocated), per int32
        /// (two with momentum), rounded down; 0 when it does not cover them. <see cref="AllocateTrainingArena"/> caps it at the full update's.
        /// </summary>
        public int ArenaIntsWithin(int backwardBytes)
        {
            int perInt = velocityArena != null ? 8 : 4;
            int ints = (backwardBytes - FullBackwardBytesBesideArena()) / perInt;
            return ints < 0 ? 0 : ints;
        }

        /// <summary>MACs of one full update of `batch` samples (every channel trains), whatever the committed selection.</summary>
        public long FullUpdateMacs(int batch) { return UpdateMacsFor(allChannels, null, batch); }

        /// <summary>MACs of one update of `batch` samples under the committed selection (see <see cref="UpdateMacsFor"/>).</summary>
        public long UpdateMacs(int batch) { return UpdateMacsFor(weightChannels, biasOnlyChannels, batch); }

        /// <summary>MACs of one backward pass under the committed selection.</summary>
        public long BackwardMacs() { return BackwardMacsFor(weightChannels, biasOnlyChannels); }

        /// <summary>MACs of one forward pass.</summary>
        public long ForwardMacs()
        {
            long macs = 0;
            for (int l = 0; l < Layers.Length; l++) macs += Layers[l].ForwardMacs;
            return macs;
        }

        /// <summary>Bytes the backward pass needs under the committed selection (see <see cref="BackwardBytesFor"/>; allocation-free).</summary>
        public int BackwardBytes() { return BackwardBytesFor(weightChannels, biasOnlyChannels); }

        private static int CountAt(int[] counts, int layer) { return counts == null ? 0 : counts[layer]; }

        /// <summary>
        /// DescribeMemory().TotalBytes without building the plan (no allocation: the firmware
        /// refreshes its engine_bytes after every re-selection).
        /// </summary>
        public int TotalMemoryBytes()
        {
            int total = 0;
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p == null) continue;
                total += p.Weights.Length + 4 * p.Bias.Length;
                if (p.MasterWeights != null) total += 2 * p.MasterWeights.Length;
                if (p.Residues != null) total += p.Residues.Length;
            }
            for (int a = 0; a <= Layers.Length; a++) total += Activations[a].Bytes;
            for (int a = 1; a <= Layers.Length; a++) total += Gradients[a].Bytes;
            if (gradientArena != null) total += 4 * gradientArena.Length;
            if (velocityArena != null) total += 4 * velocityArena.Length;
            total += 4 * scratch.Length + 12 * Loss.Classes;
            return total;
        }

        /// <summary>Every buffer with its exact bytes and what the current selection uses of it.</summary>
        public MemoryPlan DescribeMemory()
        {
            MemoryPlan plan = new MemoryPlan();
            for (int l = 0; l < Layers.Length; l++)
            {
                ParameterLayer p = Layers[l] as ParameterLayer;
                if (p == null) continue;
                string name = "layer" + l;
                plan.Add(name + ".weights(int8)", MemoryCategory.Weights, p.Weights.Length, p.Weights.Length);
                if (p.MasterWeights != null)
                    plan.Add(name + ".master(int16)", MemoryCategory.MasterWeights, 2 * p.MasterWeights.Length, 2 * p.WeightTrainableChannelCount * p.RowLength);
                if (p.Residues != null)
                    plan.Add(name + ".residue(4-bit)", MemoryCategory.MasterWeights, p.Residues.Length, PackedResidue.BytesFor(p.WeightTrainableChannelCount * p.RowLength));
                plan.Add(name + ".bias(int32)", MemoryCategory.MasterWeights, 4 * p.Bias.Length, 4 * p.Bias.Length);
            }
            for (int a = 0; a <= Layers.Length; a++)
            {
                // Activation a is layer a's input: kept for backward when that layer needs it.
                bool kept = a < Layers.Length && a >= lowestTrainableLayer
                    && Layers[a].KeepsInputForBackward(propagatesError[a], weightChannels[a], biasOnlyChannels[a]);
                plan.Add("activation" + a + "(int8)", MemoryCategory.Activations, Activations[a].Bytes, kept ? Activations[a].Bytes : 0);
            }
            for (int a = 1; a <= Layers.Length; a++)
            {
                bool used = a - 1 >= lowestTrainableLayer;
                plan.Add("activation" + a + ".grad(int8)", MemoryCategory.ActivationGradients, Gradients[a].Bytes, used ? Gradients[a].Bytes : 0);
            }
            if (gradientArena != null)
                plan.Add("gradient-arena(int32)", MemoryCategory.Gradients, 4 * gradientArena.Length, 4 * arenaIntsInUse);
            if (velocityArena != null)
                plan.Add("velocity-arena(int32)", MemoryCategory.OptimizerState, 4 * velocityArena.Length, 4 * arenaIntsInUse);
            plan.Add("kernel-scratch(int32)", MemoryCategory.Scratch, 4 * scratch.Length, 4 * scratch.Length);
            plan.Add("softmax(int32)", MemoryCategory.Scratch, 12 * Loss.Classes, 12 * Loss.Classes);
            return plan;
        }
    }
}
