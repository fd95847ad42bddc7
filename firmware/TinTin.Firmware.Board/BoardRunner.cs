using System;
using System.Device.Gpio;
using System.IO;
using System.Device.I2c;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Fleet.Board;
using System.Security.Cryptography.X509Certificates;
using TinTin.Sensors;
using TinTin.Sensors.Board;

namespace TinTin.Firmware.Board
{
    /// <summary>What differs between boards: the profile, pins, serial port and checkpoint drive. Each board app fills one in.</summary>
    public sealed class BoardPins
    {
        public BoardProfile Board;
        /// <summary>nanoFramework GPIO number of the label button (STM32: port · 16 + pin).</summary>
        public int ButtonPin;
        public bool ButtonActiveLow;
        public int LedPin;
        /// <summary>The UART the protocol runs on ("COM2" …).</summary>
        public string SerialPortName;
        /// <summary>Where checkpoints are written, e.g. "I:\\tintin_ckpt".</summary>
        public string CheckpointPrefix;
        /// <summary>I2C bus of the BME280 (its pins are set by the board app or fixed by the target).</summary>
        public int I2cBus = 1;
        /// <summary>0x76 with SDO to GND, 0x77 with SDO to VDDIO.</summary>
        public int Bme280Address = 0x76;
        /// <summary>The fleet provisioning file (FleetProvisioning, docs/FLEET.md); no file: no fleet.</summary>
        public string FleetConfigPath;
    }

    /// <summary>
    /// What every board app runs (ESP32: firmware/TinTin.Firmware.Esp32, STM32: firmware/TinTin.Firmware.Stm32):
    /// binds the real hardware (<see cref="Bind"/>, the one place that touches pins, buses, ports and files),
    /// configures the fleet, then runs the firmware's <see cref="BoardLoop"/> (../TinTin.Firmware) forever.
    /// Pins, serial port and checkpoint location are in firmware/README.md.
    /// </summary>
    public static class BoardRunner
    {
        /// <summary>Bytes a checkpoint file may take (the 6-48-24-2 model's image is 3,651 B with its statistics section and its sequence number).</summary>
        public const int CheckpointSlotBytes = 16 * 1024;

        public static void Run(BoardPins pins)
        {
            FirmwareHardware hardware = Bind(pins);
            FirmwareConfig config = BoardLoop.BoardConfig();
            string fleetProblem = ConfigureFleet(pins.FleetConfigPath, hardware, config);
            BoardLoop loop = new BoardLoop(hardware, config, new ThreadDelay(), BoardLoop.SamplePeriodMs, BoardLoop.TickMs);
            loop.Start(fleetProblem);
            loop.RunForever();
        }

        /// <summary>The board's hardware behind the firmware's interfaces: BME280 on I2C, GPIO button and LED, checkpoint files, UART, clock, heap.</summary>
        public static FirmwareHardware Bind(BoardPins pins)
        {
            BoardClock clock = new BoardClock();
            GpioController gpio = new GpioController();
            I2cDevice i2c = I2cDevice.Create(new I2cConnectionSettings(pins.I2cBus, pins.Bme280Address));
            FirmwareHardware hardware = new FirmwareHardware();
            hardware.Source = new Bme280Source(i2c, new SensorClock(clock));
            hardware.Button = new GpioButton(gpio, pins.ButtonPin, pins.ButtonActiveLow, clock);
            hardware.Led = new GpioLed(gpio, pins.LedPin);
            hardware.Flash = new FileSlotFlash(new FileSystemFiles(), pins.CheckpointPrefix, CheckpointSlotBytes);
            hardware.Serial = new UartSerial(pins.SerialPortName, 115200);
            hardware.Clock = clock;
            hardware.Heap = new NativeHeap();
            hardware.Board = pins.Board;
            return hardware;
        }

        /// <summary>
        /// A certificate from a file's bytes: PEM text (it starts with "-----BEGIN") goes through the
        /// string constructor, which adds the terminator the native parser needs; anything else is DER.
        /// </summary>
        private static X509Certificate Certificate(byte[] file, int length)
        {
            const string pem = "-----BEGIN";
            bool isPem = length >= pem.Length;
            for (int i = 0; isPem && i < pem.Length; i++) if (file[i] != (byte)pem[i]) isPem = false;
            if (isPem) return new X509Certificate(new string(System.Text.Encoding.UTF8.GetChars(file, 0, length)));
            byte[] der = new byte[length];
            Array.Copy(file, der, length);
            return new X509Certificate(der);
        }

        /// <summary>Largest CA certificate file read (a PEM chain of a few certificates).</summary>
        private const int MaxCertificateBytes = 8192;

        /// <summary>Reads a whole file of at most buffer.Length bytes; null, or the problem naming the file.</summary>
        private static string ReadSmallFile(string path, byte[] buffer, out int total, string what)
        {
            total = 0;
            try
            {
                if (!File.Exists(path)) return what + " " + path + " not found";
                using (FileStream stream = new FileStream(path, FileMode.Open, FileAccess.Read))
                {
                    if (stream.Length > buffer.Length) return what + " " + path + " is over " + buffer.Length + " bytes";
                    int length = (int)stream.Length;
                    while (total < length)
                    {
                        int n = stream.Read(buffer, total, length - total);
                        if (n <= 0) break;
                        total += n;
                    }
                }
                return null;
            }
            catch (Exception e) { return what + " " + path + " unreadable: " + e.Message; }
        }

        /// <summary>
        /// The MQTT fleet transport when the board is provisioned: the file's broker, fleet, board
        /// credentials and keys (docs/FLEET.md). Wi-Fi is the device's stored network configuration.
        /// Returns null when there is nothing to report, else the problem (the board runs without the fleet).
        /// </summary>
        private static string ConfigureFleet(string path, FirmwareHardware hardware, FirmwareConfig config)
        {
            if (path == null || !File.Exists(path)) return null;
            byte[] bytes = new byte[FleetProvisioning.MaxChars];
            int total;
            string problem = ReadSmallFile(path, bytes, out total, "fleet config");
            if (problem != null) return problem;
            string text = new string(System.Text.Encoding.UTF8.GetChars(bytes, 0, total));
            FleetProvisioning provisioning = new FleetProvisioning();
            if (!provisioning.Parse(text)) return "fleet config " + path + ": " + provisioning.Error;
            FleetSettings settings = provisioning.ToSettings();
            X509Certificate ca = null;
            if (provisioning.Tls)
            {
                byte[] cert = new byte[MaxCertificateBytes];
                int certLength;
                problem = ReadSmallFile(provisioning.CaFile, cert, out certLength, "ca_file");
                if (problem != null) return problem;
                try { ca = Certificate(cert, certLength); }
                catch (Exception e) { return "ca_file " + provisioning.CaFile + " is not a PEM or DER certificate: " + e.Message; }
            }
            hardware.Fleet = new MqttFleetTransport(provisioning.BrokerHost, provisioning.BrokerPort, ca, provisioning.Fleet, provisioning.BoardId, provisioning.BoardPassword, settings.MaxMessageBytes);
            config.Fleet = settings;
            return null;
        }
    }
}
