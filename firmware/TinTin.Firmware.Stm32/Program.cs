using TinTin.Firmware;
using TinTin.Firmware.Board;

namespace TinTin.Firmware.Stm32
{
    /// <summary>The ST NUCLEO-F429ZI app: the shared main loop with this board's pins. Wiring: docs/BOARD.md.</summary>
    public static class Program
    {
        public static void Main()
        {
            // The firmware (nanoff target ST_NUCLEO144_F439ZI, see docs/BOARD.md) fixes I2C1 on PB8 (SCL, Arduino D15) /
            // PB9 (SDA, D14), so nothing is routed here. GPIO numbers are port · 16 + pin.
            BoardPins pins = new BoardPins();
            pins.Board = BoardProfile.NucleoF429zi(true);
            pins.ButtonPin = 2 * 16 + 13;             // B1 user button, PC13, active high
            pins.ButtonActiveLow = false;
            pins.LedPin = 1 * 16 + 0;                 // LD1 green, PB0
            // COM6 = USART6 on PG14 (TX, Arduino D1) / PG9 (RX, Arduino D0): a 3.3 V USB-serial adapter there.
            // The target gives managed code COM1 (PA9/PA10, taken by USB OTG on this board) and COM6 only;
            // USART3, the ST-LINK virtual COM port, is not among them.
            pins.SerialPortName = "COM6";
            pins.CheckpointPrefix = "D:\\tintin_ckpt"; // the target's storage drive, if it has one
            pins.FleetConfigPath = "D:\\tintin_fleet.cfg"; // fleet provisioning (docs/FLEET.md), for a target with Ethernet or Wi-Fi
            BoardRunner.Run(pins);
        }
    }
}
