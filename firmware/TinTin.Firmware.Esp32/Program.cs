using nanoFramework.Hardware.Esp32;
using TinTin.Firmware;
using TinTin.Firmware.Board;

namespace TinTin.Firmware.Esp32
{
    /// <summary>The ESP32 DevKit app: pin routing, then the shared main loop. Pins: firmware/README.md, docs/BOARD.md.</summary>
    public static class Program
    {
        public static void Main()
        {
            // The ESP32 routes peripherals through its GPIO matrix: BME280 on GPIO21 (SDA) / GPIO22 (SCL),
            // the protocol on UART1 = GPIO16 (RX) / GPIO17 (TX); UART0 carries the debugger.
            Configuration.SetPinFunction(21, DeviceFunction.I2C1_DATA);
            Configuration.SetPinFunction(22, DeviceFunction.I2C1_CLOCK);
            Configuration.SetPinFunction(16, DeviceFunction.COM2_RX);
            Configuration.SetPinFunction(17, DeviceFunction.COM2_TX);

            BoardPins pins = new BoardPins();
            pins.Board = BoardProfile.Esp32DevKit(true);
            pins.ButtonPin = 0;                       // GPIO0 "BOOT", active low
            pins.ButtonActiveLow = true;
            pins.LedPin = 2;                          // GPIO2 blue LED
            pins.SerialPortName = "COM2";
            pins.CheckpointPrefix = "I:\\tintin_ckpt"; // internal file system drive
            pins.FleetConfigPath = "I:\\tintin_fleet.cfg"; // fleet provisioning (docs/FLEET.md); Wi-Fi: the device's stored network configuration
            BoardRunner.Run(pins);
        }
    }
}
