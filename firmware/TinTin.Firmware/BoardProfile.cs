namespace TinTin.Firmware
{
    /// <summary>
    /// What the firmware needs to know about a board: its name, and the constants of its energy
    /// model. Energy of a step (a predict or an update) is estimated as
    ///   time_us × ActivePowerMilliwatts / 1000 = µJ,
    /// with time_us either measured (UseMeasuredTime, on a real board) or derived from the work
    /// counters: cycles = MACs × CyclesPerMac + other ops × CyclesPerOp, time_us = cycles / CpuMhz
    /// (the virtual board, whose host clock says nothing about the board). Sources of the constants
    /// are in firmware/README.md.
    /// </summary>
    public sealed class BoardProfile
    {
        public readonly string Name;
        public readonly int CpuMhz;
        /// <summary>Supply current with the CPU running, in mA (datasheet).</summary>
        public readonly int ActiveCurrentMilliamps;
        public readonly int SupplyMillivolts;
        /// <summary>Interpreted-IL cost of one int8 MAC in the engine's kernels (estimate).</summary>
        public readonly int CyclesPerMac;
        /// <summary>Interpreted-IL cost of one other integer operation (estimate).</summary>
        public readonly int CyclesPerOp;
        /// <summary>Managed heap of the board's nanoFramework build, in bytes.</summary>
        public readonly int HeapBytes;
        public bool UseMeasuredTime;

        public BoardProfile(string name, int cpuMhz, int activeCurrentMilliamps, int supplyMillivolts, int cyclesPerMac, int cyclesPerOp, int heapBytes, bool useMeasuredTime)
        {
            Name = name; CpuMhz = cpuMhz; ActiveCurrentMilliamps = activeCurrentMilliamps; SupplyMillivolts = supplyMillivolts;
            CyclesPerMac = cyclesPerMac; CyclesPerOp = cyclesPerOp; HeapBytes = heapBytes; UseMeasuredTime = useMeasuredTime;
        }

        /// <summary>Active power in mW (mA × mV / 1000).</summary>
        public int ActivePowerMilliwatts { get { return ActiveCurrentMilliamps * SupplyMillivolts / 1000; } }

        /// <summary>
        /// ESP32-WROOM-32 DevKit at 240 MHz: ESP32 Series Datasheet v3.5, Table "Power Consumption by
        /// Power Modes": modem-sleep (CPU on, radio off), 240 MHz dual-core, 30–68 mA; the upper
        /// value is used (both cores clocked, flash cache active). 3.3 V supply.
        /// </summary>
        public static BoardProfile Esp32DevKit(bool useMeasuredTime)
        {
            return new BoardProfile("esp32-devkit", 240, 68, 3300, 400, 100, 111 * 1024, useMeasuredTime);
        }

        /// <summary>
        /// ST Nucleo-F429ZI (STM32F429ZI at 180 MHz): STM32F427/429 datasheet (DS9405), Run mode,
        /// code from flash with ART accelerator, all peripherals enabled, ≈ 100 mA typical at
        /// 180 MHz (to be confirmed against the datasheet table, see firmware/README.md). 3.3 V.
        /// </summary>
        public static BoardProfile NucleoF429zi(bool useMeasuredTime)
        {
            return new BoardProfile("nucleo-f429zi", 180, 100, 3300, 400, 100, 160 * 1024, useMeasuredTime);
        }

        /// <summary>µs of a step from its work counters (the cycle model).</summary>
        public long EstimateMicroseconds(long macs, long ops)
        {
            long cycles = macs * CyclesPerMac + ops * CyclesPerOp;
            return (cycles + CpuMhz / 2) / CpuMhz;
        }

        /// <summary>µJ of a step lasting the given µs at active power.</summary>
        public long MicroJoulesFor(long microseconds)
        {
            return (microseconds * ActivePowerMilliwatts + 500) / 1000;
        }
    }
}
