using System;

namespace TinTin.Core
{
    /// <summary>
    /// What a board offers the learner: managed heap, what the firmware needs of it besides the
    /// engine, CPU clock, active power and the interpreter's cost per MAC. It gives the default
    /// backward-bytes budget and the time/energy estimates the firmware reports; every field can be
    /// overridden by building a new profile (or with the With* helpers).
    ///
    /// Sources and assumptions (integers only; check against your board):
    ///  * ESP32 (ESP32-WROOM-32, nanoFramework ESP32 firmware): managed heap ≈ 111 KB as the
    ///    nanoFramework device reports it (DEVELOPERS.md); 240 MHz Xtensa LX6. Active power: the
    ///    ESP32 datasheet gives 30–68 mA in modem-sleep at 240 MHz (CPU running, radio off); we take
    ///    50 mA · 3.3 V ≈ 165 mW.
    ///  * ESP32-C3: managed heap ≈ 54 KB (DEVELOPERS.md); 160 MHz RISC-V. Datasheet modem-sleep at
    ///    160 MHz ≈ 20–28 mA; we take 25 mA · 3.3 V ≈ 83 mW.
    ///  * STM32F429ZI (NUCLEO-F429ZI): 192 KB SRAM + 64 KB CCM, 180 MHz Cortex-M4F. The managed heap
    ///    is a build-time choice of the nanoFramework target; we ASSUME 128 KB of the 192 KB SRAM.
    ///    Datasheet run mode at 180 MHz from flash ≈ 50–100 mA (peripherals off/on); we take
    ///    60 mA · 3.3 V ≈ 200 mW.
    ///  * ReservedBytes: heap the firmware and the runtime take besides the engine, the learner's
    ///    buffers and the backward pass (runtime objects, assemblies, sensor driver, serial buffers,
    ///    strings). MEASURED on nanoclr32 (`tintin bench --on nanoclr --no-callgrind --board
    ///    esp32c3-devkit`: the replay driver running this firmware, 2,000 rows, its free-heap figure,
    ///    the largest allocatable block after a collection, at every stat line): heap − lowest free −
    ///    (engine + learner + backward = 4,890 B). The replay keeps its two checkpoint slots in RAM
    ///    (RamFlash); a board keeps them in flash, outside its managed heap, so nanoclr32 runs with the
    ///    board's heap PLUS exactly the bytes RamFlash takes (NanoReplay.EmulatedFlashHeapBytes, 1,368 B
    ///    for the 6-16-2 model's 590-byte image then, 1,584 B for its 690-byte image at session 9 and its 694-byte image now, checked on nanoclr32 by
    ///    NanoReplayTests) and the figures
    ///    below are the firmware's own. Issue 16, session 5 (checkpoints streamed through a 128-byte
    ///    chunk instead of a model-sized image buffer, the replay's label queues 16 deep instead of 64):
    ///    at 55,296 B (ESP32-C3) the free heap never fell below 9,239 B, at 113,664 B (ESP32) below
    ///    67,611 B: 41,167 B and 41,163 B used by the rest (43,197 / 43,021 B at da7328c, when the RAM
    ///    flash counted). Taken as 41 KB (41,984 B) on every board (the same firmware; the STM32 build
    ///    is not measured). It still counts the replay's tape readers and label queues, which a board
    ///    does not hold. It does NOT count the transient peak inside a step (nanoCLR's stack frames,
    ///    the replay's per-line strings): the smallest board heap that completes the same run is
    ///    49,472 B, i.e. about 3.4 KB more than reserve + engine + learner + backward.
    ///  * UpdateAllowanceMs: time one update may take, 500 ms (5 % of the 10 s between updates at
    ///    the firmware's cap of 6 updates a minute). With CyclesPerMac it gives the MAC budget.
    ///  * CyclesPerMac: calibrated on the real interpreter (issues 9 and 12): nanoCLR (nanoclr32, the
    ///    interpreter a board runs) executes about 3,200 native instructions per MAC of an update
    ///    (valgrind callgrind, `tintin bench --on nanoclr`: 8.61 M instructions per update of 2,655
    ///    MACs, label and periodic re-selection included; a prediction costs about 2,760 per MAC with
    ///    normalising and bookkeeping). It was 4,300 before the kernels were fitted to the
    ///    interpreter (issue 12: 11.3–12.6 M per update). Taking one board cycle per x86 instruction
    ///    (an in-order core running the same interpreter C++; see firmware/README.md for the
    ///    derivation and its uncertainty) gives 3,200 cycles per MAC on all three boards, until
    ///    measured on one.
    /// </summary>
    public sealed class DeviceProfile
    {
        public readonly string Name;
        /// <summary>Managed heap available to the application (bytes).</summary>
        public readonly int HeapBytes;
        /// <summary>Heap the firmware needs besides the engine and learner (bytes).</summary>
        public readonly int ReservedBytes;
        public readonly int CpuMHz;
        /// <summary>Board power while computing (mW).</summary>
        public readonly int ActivePowerMw;
        /// <summary>CPU cycles one interpreted MAC (with its loop overhead) costs.</summary>
        public readonly int CyclesPerMac;
        /// <summary>Time one update may take (ms): the MAC budget's allowance.</summary>
        public readonly int UpdateAllowanceMs;
        /// <summary>
        /// How the board's engine holds its training state (the firmware loads its models so):
        /// the leanest mode that keeps accuracy (docs/ENGINE.md, "Training-state modes").
        /// </summary>
        public readonly TrainingStateMode TrainingMode;

        /// <summary>Default time allowance per update (ms).</summary>
        public const int DefaultUpdateAllowanceMs = 500;
        /// <summary>Heap the firmware and runtime take besides engine, learner and backward (measured on nanoclr32, see above).</summary>
        public const int MeasuredFirmwareBytes = 41 * 1024;
        /// <summary>The built-in boards' training-state mode.</summary>
        public const TrainingStateMode DefaultTrainingMode = TrainingStateMode.GradientArena;

        public DeviceProfile(string name, int heapBytes, int reservedBytes, int cpuMHz, int activePowerMw, int cyclesPerMac)
            : this(name, heapBytes, reservedBytes, cpuMHz, activePowerMw, cyclesPerMac, DefaultUpdateAllowanceMs, DefaultTrainingMode)
        {
        }

        public DeviceProfile(string name, int heapBytes, int reservedBytes, int cpuMHz, int activePowerMw, int cyclesPerMac, int updateAllowanceMs)
            : this(name, heapBytes, reservedBytes, cpuMHz, activePowerMw, cyclesPerMac, updateAllowanceMs, DefaultTrainingMode)
        {
        }

        public DeviceProfile(string name, int heapBytes, int reservedBytes, int cpuMHz, int activePowerMw, int cyclesPerMac, int updateAllowanceMs,
            TrainingStateMode trainingMode)
        {
            if (heapBytes <= 0) throw new ArgumentException("heap bytes must be positive");
            if (reservedBytes < 0) throw new ArgumentException("reserved bytes must not be negative");
            if (cpuMHz <= 0) throw new ArgumentException("CPU MHz must be positive");
            if (activePowerMw <= 0) throw new ArgumentException("active power must be positive");
            if (cyclesPerMac <= 0) throw new ArgumentException("cycles per MAC must be positive");
            if (updateAllowanceMs <= 0) throw new ArgumentException("update allowance must be positive");
            Name = name;
            HeapBytes = heapBytes;
            ReservedBytes = reservedBytes;
            CpuMHz = cpuMHz;
            ActivePowerMw = activePowerMw;
            CyclesPerMac = cyclesPerMac;
            UpdateAllowanceMs = updateAllowanceMs;
            TrainingMode = trainingMode;
        }

        public static readonly DeviceProfile Esp32 = new DeviceProfile("esp32", 111 * 1024, MeasuredFirmwareBytes, 240, 165, 3200);
        public static readonly DeviceProfile Esp32C3 = new DeviceProfile("esp32c3", 54 * 1024, MeasuredFirmwareBytes, 160, 83, 3200);
        public static readonly DeviceProfile Stm32F429 = new DeviceProfile("stm32f429", 128 * 1024, MeasuredFirmwareBytes, 180, 200, 3200);

        /// <summary>A built-in profile by name (esp32, esp32c3, stm32f429), or null.</summary>
        public static DeviceProfile ByName(string name)
        {
            if (name == null) return null;
            string n = name.ToLower();
            if (n == Esp32.Name) return Esp32;
            if (n == Esp32C3.Name || n == "esp32-c3") return Esp32C3;
            if (n == Stm32F429.Name || n == "stm32f4" || n == "stm32f429zi") return Stm32F429;
            return null;
        }

        public DeviceProfile WithHeap(int heapBytes, int reservedBytes)
        {
            return new DeviceProfile(Name, heapBytes, reservedBytes, CpuMHz, ActivePowerMw, CyclesPerMac, UpdateAllowanceMs, TrainingMode);
        }

        public DeviceProfile WithUpdateAllowance(int milliseconds)
        {
            return new DeviceProfile(Name, HeapBytes, ReservedBytes, CpuMHz, ActivePowerMw, CyclesPerMac, milliseconds, TrainingMode);
        }

        /// <summary>The same board holding its training state in another mode.</summary>
        public DeviceProfile WithTrainingMode(TrainingStateMode mode)
        {
            return new DeviceProfile(Name, HeapBytes, ReservedBytes, CpuMHz, ActivePowerMw, CyclesPerMac, UpdateAllowanceMs, mode);
        }

        /// <summary>MACs one update may take: the allowance × clock / cycles per MAC (≥ 1).</summary>
        public long TrainingBudgetMacs()
        {
            long macs = (long)UpdateAllowanceMs * 1000 * CpuMHz / CyclesPerMac;
            return macs > 0 ? macs : 1;
        }

        /// <summary>Bytes left for the backward pass once the reserve and the engine's static buffers are taken (≥ 0).</summary>
        public int TrainingBudgetBytes(int staticBytes)
        {
            long left = (long)HeapBytes - ReservedBytes - staticBytes;
            if (left < 0) return 0;
            return (int)left;
        }

        /// <summary>Estimated time for so many MACs, in microseconds.</summary>
        public long MicrosecondsFor(long macs)
        {
            return macs * CyclesPerMac / CpuMHz;
        }

        /// <summary>Estimated energy for so many MACs, in microjoules (µs · mW / 1000).</summary>
        public long MicrojoulesFor(long macs)
        {
            return MicrosecondsFor(macs) * ActivePowerMw / 1000;
        }
    }
}
