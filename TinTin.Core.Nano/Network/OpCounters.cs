namespace TinTin.Core
{
    /// <summary>
    /// Work counters, per step and since start, that firmware reads to estimate time and energy.
    /// Kernels add whole-call totals (computed from their sizes) outside their inner loops, so
    /// counting costs nothing per element. A "step" is whatever the caller brackets with
    /// <see cref="BeginStep"/>: one prediction, or one training update.
    /// <see cref="Add"/> touches the step counters only (every layer calls it, and on the
    /// interpreter each 64-bit field update costs); the totals are the finished steps' sum plus
    /// the running step, so they read the same at any moment.
    /// </summary>
    public sealed class OpCounters
    {
        /// <summary>Integer multiply-accumulates in this step.</summary>
        public long StepMacs;
        /// <summary>Other integer operations (shifts, compares, adds, requantisation) in this step.</summary>
        public long StepOps;
        public long StepBytesRead;
        public long StepBytesWritten;

        // Sums of the steps before the running one.
        private long doneMacs, doneOps, doneBytesRead, doneBytesWritten;

        public long TotalMacs { get { return doneMacs + StepMacs; } }
        public long TotalOps { get { return doneOps + StepOps; } }
        public long TotalBytesRead { get { return doneBytesRead + StepBytesRead; } }
        public long TotalBytesWritten { get { return doneBytesWritten + StepBytesWritten; } }
        public long Steps;

        public void BeginStep()
        {
            doneMacs += StepMacs; doneOps += StepOps; doneBytesRead += StepBytesRead; doneBytesWritten += StepBytesWritten;
            StepMacs = 0; StepOps = 0; StepBytesRead = 0; StepBytesWritten = 0;
            Steps++;
        }

        public void Add(long macs, long ops, long bytesRead, long bytesWritten)
        {
            StepMacs += macs; StepOps += ops; StepBytesRead += bytesRead; StepBytesWritten += bytesWritten;
        }

        public void Reset()
        {
            StepMacs = 0; StepOps = 0; StepBytesRead = 0; StepBytesWritten = 0;
            doneMacs = 0; doneOps = 0; doneBytesRead = 0; doneBytesWritten = 0; Steps = 0;
        }
    }
}
