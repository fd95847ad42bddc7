using System;

namespace TinTin.Sensors.Board
{
    /// <summary>Milliseconds since boot (nanoFramework.Runtime.Native's Environment.TickCount64).</summary>
    public sealed class UptimeClock : IMillisecondClock
    {
        public long NowMs { get { return Environment.TickCount64; } }
    }
}
