using System;

namespace TinTin.Sensors.Board
{
    /// <summary>
    /// Milliseconds since the clock was made, from DateTime.UtcNow ticks (as the firmware's
    /// BoardClock). Not Environment.TickCount64: it crashes the POSIX nanoCLR, so code using it
    /// could never be run on the interpreter (tests/TinTin.Firmware.Tests InterpreterDifferenceTests).
    /// </summary>
    public sealed class UptimeClock : IMillisecondClock
    {
        private readonly long start = DateTime.UtcNow.Ticks;
        public long NowMs { get { return (DateTime.UtcNow.Ticks - start) / 10000; } }
    }
}
