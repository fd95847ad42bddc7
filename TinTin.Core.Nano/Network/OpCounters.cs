namespace TinTin.Core
{
    /// <summary>
    /// Work counters, per step and since start, that firmware reads to estimate time and energy.
    /// Kernels add whole-call totals (computed from their sizes) outside their inner loops, so
    /// counting costs nothing per element. A "step" is whatever the caller brackets with
    /// <see cref="BeginStep"/>: one prediction, or one training update.
    /// </summary>
    public sealed class OpCounters
    {
        /// <summary>Integer multiply-accumulates in this step.</summary>
        public long StepMacs;
        /// <summary>Other integer operations (shifts, compares, adds, requantisation) in this step.</summary>
        public long StepOps;
        public long StepBytesRead;
        public long StepBytesWritten;

        public long TotalMacs;
        public long TotalOps;
        public long TotalBytesRead;
        public long TotalBytesWritten;
        public long Steps;

        public void BeginStep()
        {
            StepMacs = 0; StepOps = 0; StepBytesRead = 0; StepBytesWritten = 0;
            Steps++;
        }

        public void Add(long macs, long ops, long bytesRead, long bytesWritten)
        {
            StepMacs += macs; StepOps += ops; StepBytesRead += bytesRead; StepBytesWritten += bytesWritten;
            TotalMacs += macs; TotalOps += ops; TotalBytesRead += bytesRead; TotalBytesWritten += bytesWritten;
        }

        public void Reset()
        {
            StepMacs = 0; StepOps = 0; StepBytesRead = 0; StepBytesWritten = 0;
            TotalMacs = 0; TotalOps = 0; TotalBytesRead = 0; TotalBytesWritten = 0; Steps = 0;
        }
    }
}
