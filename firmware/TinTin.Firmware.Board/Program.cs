using System.Device.Gpio;
using System.Device.I2c;
using System.Threading;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Sensors;
using TinTin.Sensors.Board;

namespace TinTin.Firmware.Board
{
    /// <summary>
    /// The nanoFramework app. Pick the board with the BOARD_NUCLEO_F429ZI define (default: ESP32
    /// DevKit). Pins, serial port and checkpoint location are in firmware/README.md.
    /// </summary>
    public static class Program
    {
        /// <summary>Milliseconds between samples (the occupancy data: one a minute).</summary>
        private const int SamplePeriodMs = 60000;
        /// <summary>Loop tick: commands and the button are polled this often between samples.</summary>
        private const int TickMs = 50;

        public static void Main()
        {
            BoardClock clock = new BoardClock();
            GpioController gpio = new GpioController();
#if BOARD_NUCLEO_F429ZI
            BoardProfile board = BoardProfile.NucleoF429zi(true);
            // NUCLEO-F429ZI: I2C1 on PB8 (SCL) / PB9 (SDA) is fixed by the nanoFramework target;
            // B1 user button PC13 (active high), LD1 green PB0. Pin number = port · 16 + pin.
            const int ButtonPin = 2 * 16 + 13, LedPin = 1 * 16 + 0;
            const bool ButtonActiveLow = false;
            const string SerialPortName = "COM3";       // USART3 on PD8/PD9, the ST-LINK virtual COM port
            const string CheckpointPrefix = "D:\\tintin_ckpt"; // the target's storage drive, if it has one
#else
            BoardProfile board = BoardProfile.Esp32DevKit(true);
            nanoFramework.Hardware.Esp32.Configuration.SetPinFunction(21, nanoFramework.Hardware.Esp32.DeviceFunction.I2C1_DATA);
            nanoFramework.Hardware.Esp32.Configuration.SetPinFunction(22, nanoFramework.Hardware.Esp32.DeviceFunction.I2C1_CLOCK);
            nanoFramework.Hardware.Esp32.Configuration.SetPinFunction(16, nanoFramework.Hardware.Esp32.DeviceFunction.COM2_RX);
            nanoFramework.Hardware.Esp32.Configuration.SetPinFunction(17, nanoFramework.Hardware.Esp32.DeviceFunction.COM2_TX);
            const int ButtonPin = 0, LedPin = 2;         // GPIO0 "BOOT" (active low), GPIO2 blue LED
            const bool ButtonActiveLow = true;
            const string SerialPortName = "COM2";       // UART1 on GPIO16 (RX) / GPIO17 (TX); UART0 carries the debugger
            const string CheckpointPrefix = "I:\\tintin_ckpt"; // internal file system drive
#endif
            I2cDevice i2c = I2cDevice.Create(new I2cConnectionSettings(1, 0x76));
            FirmwareHardware hardware = new FirmwareHardware();
            hardware.Source = new Bme280Source(i2c, new SensorClock(clock));
            hardware.Button = new GpioButton(gpio, ButtonPin, ButtonActiveLow, clock);
            hardware.Led = new GpioLed(gpio, LedPin);
            hardware.Flash = new FileSystemFlash(CheckpointPrefix, 16 * 1024);
            hardware.Serial = new UartSerial(SerialPortName, 115200);
            hardware.Clock = clock;
            hardware.Heap = new NativeHeap();
            hardware.Board = board;

            FirmwareConfig config = new FirmwareConfig();
            config.DefaultModel = DefaultModel.Bytes();
            config.ModelName = DefaultModel.Name;
            config.FeatureIds = DefaultModel.FeatureIds();
            config.WindowSamples = DefaultModel.WindowSamples;
            config.PredLines = true;
            config.StatEverySamples = 10;

            ContinualConfig learning = new ContinualConfig();
            learning.Profile = board.Device;
            FirmwareApp app = new FirmwareApp(hardware, config, new ContinualLearnerFactory(learning, -1, false));
            app.Start();

            // Sample on a fixed period; poll commands and the button in between (Step reads a
            // sample each call, so the loop calls it once per period and handles input in ticks).
            long nextSample = clock.NowMs;
            while (true)
            {
                if (clock.NowMs >= nextSample)
                {
                    app.Step();
                    nextSample += SamplePeriodMs;
                }
                else
                {
                    app.PollInput();
                    Thread.Sleep(TickMs);
                }
            }
        }
    }
}
