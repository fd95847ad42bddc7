namespace TinTin.Core
{
    /// <summary>
    /// How the engine holds its training state (names: <see cref="TrainingStateModeNames"/>).
    /// Chosen when the network is built; docs/ENGINE.md lists each mode's bytes and accuracy.
    /// </summary>
    public enum TrainingStateMode
    {
        /// <summary>
        /// int8 weights + int16 master + an int32 gradient arena (4 B per trainable parameter, plus
        /// 4 B velocity with momentum): gradients of a batch are summed, Step applies them.
        /// </summary>
        GradientArena = 0,
        /// <summary>
        /// int8 weights + int16 master, no gradient arena: each sample's backward pass updates the
        /// master row by row as it forms the gradient (online SGD at the batch's sum rate). No momentum.
        /// </summary>
        FusedMaster = 1,
        /// <summary>
        /// int8 weights only (NITI-style), no master and no arena: each sample's backward pass
        /// updates the int8 weights in place with pseudo-stochastic rounding. No momentum; the
        /// model file and fleet still see a master (int8 weights · 2^7, exact).
        /// </summary>
        FusedInt8 = 2,
        /// <summary>
        /// int8 weights + a packed 4-bit residue below each one (a 12-bit master at 1.5 B per weight,
        /// <see cref="PackedResidue"/>), no int16 master and no arena: each sample's backward pass moves
        /// the 12-bit value (steps of 1/16 of an int8 unit kept exactly) and splits it back; forward
        /// reads the int8 weights unchanged. No momentum; the model file and fleet see a master
        /// (the 12-bit value · 2^3, exact).
        /// </summary>
        FusedInt8Residue = 3,
    }
}
