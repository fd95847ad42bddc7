namespace TinTin.Core
{
    /// <summary>What a buffer is for, in a <see cref="MemoryPlan"/> (names: <see cref="MemoryCategoryNames"/>).</summary>
    public enum MemoryCategory
    {
        /// <summary>int8 weights used by the kernels.</summary>
        Weights = 0,
        /// <summary>int16 master copy and int32 biases.</summary>
        MasterWeights = 1,
        /// <summary>Activations (forward).</summary>
        Activations = 2,
        ActivationGradients = 3,
        /// <summary>Training arena: weight and bias gradients.</summary>
        Gradients = 4,
        /// <summary>Momentum velocities.</summary>
        OptimizerState = 5,
        Scratch = 6,
    }
}
