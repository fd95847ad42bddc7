using System;
using TinTin.Core;

namespace TinTin.Firmware
{
    /// <summary>
    /// The board the firmware runs on: its name for the hello line and the engine's
    /// <see cref="DeviceProfile"/> (heap, CPU clock, active power, interpreter cycles per MAC), whose
    /// constants and sources are documented there and in firmware/README.md.
    ///
    /// Energy of a step (a predict or an update) = time_us × ActivePowerMw / 1000 µJ, with time_us
    /// either measured on the board (<see cref="UseMeasuredTime"/>) or estimated from the step's
    /// MACs as MACs × CyclesPerMac / CpuMHz (the virtual board: the host's clock says nothing about
    /// the board's speed). The same profile goes into ContinualConfig.Profile, so the learner's
    /// default budget and the firmware's estimates agree.
    /// </summary>
    public sealed class BoardProfile
    {
        public readonly string Name;
        public readonly DeviceProfile Device;
        /// <summary>True on a real board: energy from measured µs. False: from the MAC model.</summary>
        public readonly bool UseMeasuredTime;

        public BoardProfile(string name, DeviceProfile device, bool useMeasuredTime)
        {
            if (name == null || device == null) throw new ArgumentException("a board profile needs a name and a device profile");
            Name = name;
            Device = device;
            UseMeasuredTime = useMeasuredTime;
        }

        /// <summary>ESP32 DevKit (ESP32-WROOM-32): I2C SDA 21 / SCL 22, button GPIO0 (BOOT), LED GPIO2.</summary>
        public static BoardProfile Esp32DevKit(bool useMeasuredTime)
        {
            return new BoardProfile("esp32-devkit", DeviceProfile.Esp32, useMeasuredTime);
        }

        /// <summary>ESP32-C3-DevKitM-1 (54 KB managed heap): I2C SDA 4 / SCL 5, button GPIO9 (BOOT), LED GPIO8.</summary>
        public static BoardProfile Esp32C3DevKit(bool useMeasuredTime)
        {
            return new BoardProfile("esp32c3-devkit", DeviceProfile.Esp32C3, useMeasuredTime);
        }

        /// <summary>ST NUCLEO-F429ZI: I2C1 SCL PB8 / SDA PB9, user button B1 PC13, LEDs LD1 PB0 / LD2 PB7.</summary>
        public static BoardProfile NucleoF429zi(bool useMeasuredTime)
        {
            return new BoardProfile("nucleo-f429zi", DeviceProfile.Stm32F429, useMeasuredTime);
        }

        /// <summary>Estimated µs of a step of so many MACs (the cycle model).</summary>
        public long EstimateMicroseconds(long macs)
        {
            return Device.MicrosecondsFor(macs);
        }

        /// <summary>µJ of a step lasting the given µs at the board's active power.</summary>
        public long MicroJoulesFor(long microseconds)
        {
            return microseconds * Device.ActivePowerMw / 1000;
        }

        /// <summary>The µs a step is reported with: measured on a board, estimated from MACs otherwise.</summary>
        public long StepMicroseconds(long measuredMicroseconds, long macs)
        {
            return UseMeasuredTime ? measuredMicroseconds : EstimateMicroseconds(macs);
        }
    }
}
