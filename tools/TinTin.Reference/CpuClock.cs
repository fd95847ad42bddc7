using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TinTin.Reference
{
    /// <summary>
    /// CPU time of the calling thread (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)), so a
    /// throughput figure is not diluted by other processes sharing the cores; elsewhere the
    /// process's CPU time (which also counts other threads, e.g. a progress display).
    /// </summary>
    public static class CpuClock
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec { public long Seconds; public long Nanoseconds; }

        [DllImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
        private static extern int ClockGetTime(int clock, out TimeSpec time);

        private const int ThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID

        /// <summary>"thread" when the figure is the calling thread's CPU time, else "process".</summary>
        public static string Kind { get; } = ThreadSeconds(out _) ? "thread" : "process";

        /// <summary>CPU seconds used so far (see <see cref="Kind"/>).</summary>
        public static double Seconds() => ThreadSeconds(out double s) ? s : Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

        private static bool ThreadSeconds(out double seconds)
        {
            seconds = 0;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return false;
            try
            {
                if (ClockGetTime(ThreadCpuTimeId, out TimeSpec t) != 0) return false;
                seconds = t.Seconds + t.Nanoseconds * 1e-9;
                return true;
            }
            catch (DllNotFoundException) { return false; }
            catch (EntryPointNotFoundException) { return false; }
        }
    }
}
