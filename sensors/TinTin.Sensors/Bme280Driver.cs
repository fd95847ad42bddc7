namespace TinTin.Sensors
{
    /// <summary>
    /// BME280 over I2C with the datasheet's integer compensation (no floating point, nano
    /// subset), as an <see cref="ISampleSource"/>. Works on the board through
    /// TinTin.Sensors.Board.I2cDeviceRegisters and on the host against a fake register map.
    ///
    /// Start-up (<see cref="Initialize"/>, or lazily on the first Read): reads the chip id (0xD0
    /// must be 0x60), the calibration blocks 0x88..0xA1 and 0xE1..0xE7, then puts the chip in
    /// normal mode: ctrl_meas 0xF4 ← sleep, ctrl_hum 0xF2 ← osrs_h, config 0xF5 ← t_sb/filter,
    /// ctrl_meas 0xF4 ← osrs_t/osrs_p/normal. Each Read is one 8-byte burst from 0xF7..0xFE (the
    /// chip measures on its own every t_standby), compensated and range-checked.
    ///
    /// Faults never throw: a failed transfer returns I2cError; a skipped/not-yet-measured value
    /// (the chip's reset value 0x80000 / 0x8000) or a reading outside <see cref="SensorLimits"/>
    /// returns OutOfRange; a chip that is not a BME280 returns DeviceError. <see cref="LastError"/>
    /// says what happened. After <see cref="ReinitializeAfterFaults"/> faults in a row the driver
    /// configures the chip again on the next Read (a sensor that lost power comes back asleep).
    /// </summary>
    public sealed class Bme280Driver : ISampleSource
    {
        /// <summary>I2C address with SDO to GND.</summary>
        public const int AddressSdoLow = 0x76;
        /// <summary>I2C address with SDO to VDDIO.</summary>
        public const int AddressSdoHigh = 0x77;
        public const int ExpectedChipId = 0x60;
        /// <summary>What a BMP280 (no humidity) answers at 0xD0.</summary>
        public const int Bmp280ChipId = 0x58;

        public const byte RegCalibTp = 0x88, RegChipId = 0xD0, RegReset = 0xE0, RegCalibH = 0xE1,
            RegCtrlHum = 0xF2, RegStatus = 0xF3, RegCtrlMeas = 0xF4, RegConfig = 0xF5, RegData = 0xF7;

        /// <summary>adc_T / adc_P value meaning "skipped or not measured yet".</summary>
        public const int AdcSkipped20 = 0x80000;
        /// <summary>adc_H value meaning "skipped or not measured yet".</summary>
        public const int AdcSkipped16 = 0x8000;

        private readonly II2cRegisters bus;
        private readonly IMillisecondClock clock;
        private readonly string name;
        private readonly byte[] reg = new byte[1];
        private readonly byte[] one = new byte[1];
        private readonly byte[] write2 = new byte[2];
        private readonly byte[] data = new byte[8];
        private readonly byte[] calibTp = new byte[Bme280Calibration.BlockTpLength];
        private readonly byte[] calibH = new byte[Bme280Calibration.BlockHLength];
        private int faultsInRow;

        /// <summary>Oversampling code for T, P and H: 1..5 = ×1, ×2, ×4, ×8, ×16 (default ×1). Applied by Initialize.</summary>
        public int OversamplingCode = 1;
        /// <summary>t_standby code 0..7 (datasheet table 27); default 5 = 1000 ms between measurements.</summary>
        public int StandbyCode = 5;
        /// <summary>IIR filter code 0..4 (off, 2, 4, 8, 16); default 0 = off.</summary>
        public int FilterCode = 0;
        /// <summary>Consecutive faults after which the next Read configures the chip again (0: never).</summary>
        public int ReinitializeAfterFaults = 3;

        public readonly Bme280Calibration Calibration = new Bme280Calibration();
        /// <summary>True once the chip id, calibration and configuration went through.</summary>
        public bool IsInitialized;
        /// <summary>What went wrong last (empty when the last operation succeeded).</summary>
        public string LastError = "";
        /// <summary>The chip id read by the last Initialize (-1 when it could not be read).</summary>
        public int ChipId = -1;
        /// <summary>Raw ADC values of the last burst read (for diagnostics and tests).</summary>
        public int LastAdcT, LastAdcP, LastAdcH;
        /// <summary>t_fine of the last compensation.</summary>
        public int LastTFine;

        /// <param name="bus">The device's registers (address chosen when the bus adapter was made).</param>
        /// <param name="clock">Stamps samples (board: uptime); null leaves TimestampMs at 0.</param>
        public Bme280Driver(II2cRegisters bus, IMillisecondClock clock)
            : this(bus, clock, "bme280")
        {
        }

        public Bme280Driver(II2cRegisters bus, IMillisecondClock clock, string name)
        {
            if (bus == null) throw new System.ArgumentException("Bme280Driver needs an I2C register interface");
            this.bus = bus;
            this.clock = clock;
            this.name = name == null ? "bme280" : name;
        }

        public string Name { get { return name; } }
        public bool HasPressure { get { return true; } }

        /// <summary>
        /// Checks the chip id, reads the calibration and starts normal mode. Returns Ok, I2cError
        /// (no answer) or DeviceError (not a BME280; LastError names the id found). Never throws.
        /// </summary>
        public int Initialize()
        {
            IsInitialized = false;
            ChipId = -1;
            if (!ReadRegisters(RegChipId, one)) return Fail(SampleStatus.I2cError, "BME280: no answer reading the chip id (register 0xD0): check wiring, pull-ups and the address (0x76 SDO=GND, 0x77 SDO=VDD)");
            ChipId = one[0];
            if (ChipId != ExpectedChipId)
            {
                string what = ChipId == Bmp280ChipId ? " (a BMP280: it has no humidity sensor)" : "";
                return Fail(SampleStatus.DeviceError, "BME280: chip id 0x" + Hex(ChipId) + " at register 0xD0, expected 0x60" + what);
            }
            if (!ReadRegisters(RegCalibTp, calibTp)) return Fail(SampleStatus.I2cError, "BME280: I2C error reading calibration 0x88..0xA1");
            if (!ReadRegisters(RegCalibH, calibH)) return Fail(SampleStatus.I2cError, "BME280: I2C error reading calibration 0xE1..0xE7");
            Calibration.Decode(calibTp, calibH);
            if (Calibration.DigT1 == 0 || Calibration.DigP1 == 0)
                return Fail(SampleStatus.DeviceError, "BME280: calibration reads as zero (dig_T1/dig_P1): the NVM copy has not completed or the chip is faulty");
            int os = OversamplingCode;
            if (os < 1 || os > 5) os = 1;
            int config = ((StandbyCode & 7) << 5) | ((FilterCode & 7) << 2);
            if (!WriteRegister(RegCtrlMeas, 0)) return Fail(SampleStatus.I2cError, "BME280: I2C error writing ctrl_meas (sleep)");
            if (!WriteRegister(RegCtrlHum, os)) return Fail(SampleStatus.I2cError, "BME280: I2C error writing ctrl_hum");
            if (!WriteRegister(RegConfig, config)) return Fail(SampleStatus.I2cError, "BME280: I2C error writing config");
            if (!WriteRegister(RegCtrlMeas, (os << 5) | (os << 2) | 3)) return Fail(SampleStatus.I2cError, "BME280: I2C error writing ctrl_meas (normal mode)");
            IsInitialized = true;
            faultsInRow = 0;
            LastError = "";
            return SampleStatus.Ok;
        }

        /// <summary>
        /// Reads the latest measurement into sample (T, RH, P; Label -1; TimestampMs from the
        /// clock). Returns a SampleStatus; never throws for sensor faults. Allocates nothing.
        /// </summary>
        public int Read(EnvironmentSample sample)
        {
            if (!IsInitialized || (ReinitializeAfterFaults > 0 && faultsInRow >= ReinitializeAfterFaults))
            {
                int init = Initialize();
                if (init != SampleStatus.Ok) { faultsInRow++; return init; }
            }
            if (!ReadRegisters(RegData, data)) return Fault(SampleStatus.I2cError, "BME280: I2C error reading data 0xF7..0xFE");
            int adcP = (data[0] << 12) | (data[1] << 4) | (data[2] >> 4);
            int adcT = (data[3] << 12) | (data[4] << 4) | (data[5] >> 4);
            int adcH = (data[6] << 8) | data[7];
            LastAdcT = adcT; LastAdcP = adcP; LastAdcH = adcH;
            if (adcT == AdcSkipped20 || adcP == AdcSkipped20 || adcH == AdcSkipped16)
                return Fault(SampleStatus.OutOfRange, "BME280: no measurement yet (raw reset value 0x80000/0x8000): the chip is asleep or still measuring");
            int status = Compensate(adcT, adcP, adcH, sample);
            if (status != SampleStatus.Ok) return Fault(status, "BME280: reading out of range: " + sample.ToString());
            sample.TimestampMs = clock == null ? 0 : clock.NowMs;
            faultsInRow = 0;
            LastError = "";
            return SampleStatus.Ok;
        }

        /// <summary>
        /// Compensates raw ADC values with <see cref="Calibration"/> into sample (T in 0.01 °C,
        /// RH in 0.01 %, P in Pa, rounded) and range-checks it: Ok or OutOfRange.
        /// </summary>
        public int Compensate(int adcT, int adcP, int adcH, EnvironmentSample sample)
        {
            int tFine;
            sample.TemperatureCentiC = Calibration.CompensateTemperature(adcT, out tFine);
            LastTFine = tFine;
            long pQ8 = Calibration.CompensatePressureQ8(adcP, tFine);
            sample.PressurePa = (int)((pQ8 + 128) >> 8);
            sample.HasPressure = true;
            int hQ10 = Calibration.CompensateHumidityQ10(adcH, tFine);
            sample.HumidityCentiPercent = (hQ10 * 100 + 512) >> 10;
            sample.Label = -1;
            return SensorLimits.Check(sample);
        }

        private int Fault(int status, string message)
        {
            faultsInRow++;
            LastError = message;
            return status;
        }

        private int Fail(int status, string message)
        {
            LastError = message;
            return status;
        }

        private bool ReadRegisters(byte register, byte[] into)
        {
            reg[0] = register;
            try { return bus.TryWriteRead(reg, into); }
            catch (System.Exception) { return false; } // an adapter that throws is still a bus fault
        }

        private bool WriteRegister(byte register, int value)
        {
            write2[0] = register;
            write2[1] = (byte)value;
            try { return bus.TryWrite(write2); }
            catch (System.Exception) { return false; }
        }

        private static string Hex(int b)
        {
            const string digits = "0123456789ABCDEF";
            return digits.Substring((b >> 4) & 15, 1) + digits.Substring(b & 15, 1);
        }
    }
}
