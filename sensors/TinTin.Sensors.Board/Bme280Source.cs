using System;
using System.Device.I2c;
using Iot.Device.Bmxx80;
using Iot.Device.Bmxx80.ReadResult;

namespace TinTin.Sensors.Board
{
    /// <summary>
    /// A BME280 through the nanoFramework binding Iot.Device.Bmxx80 (its Bme280 class and
    /// floating-point compensation), as an <see cref="ISampleSource"/>. The alternative with the
    /// same behaviour and no floating point is <see cref="Bme280Driver"/> over
    /// <see cref="I2cDeviceRegisters"/>; the firmware picks one.
    ///
    /// The binding is created on the first Read (its constructor reads the chip id and throws when
    /// the sensor does not answer), so constructing this source never fails; faults come back as
    /// statuses: an exception from the binding is I2cError, an invalid or out-of-range value is
    /// OutOfRange. <see cref="LastError"/> keeps the message.
    /// </summary>
    public sealed class Bme280Source : ISampleSource, IDisposable
    {
        private readonly I2cDevice device;
        private readonly IMillisecondClock clock;
        private readonly string name;
        private Bme280 sensor;

        /// <summary>Oversampling used when the binding is created (default Standard).</summary>
        public Sampling TemperatureSampling = Sampling.Standard;
        public Sampling PressureSampling = Sampling.Standard;
        public Sampling HumiditySampling = Sampling.Standard;

        public string LastError = "";

        /// <param name="device">I2C device at 0x76 (SDO→GND, Bme280.SecondaryI2cAddress) or 0x77 (SDO→VDD, DefaultI2cAddress).</param>
        /// <param name="clock">Stamps samples; pass an <see cref="UptimeClock"/>.</param>
        public Bme280Source(I2cDevice device, IMillisecondClock clock)
        {
            if (device == null) throw new ArgumentException("Bme280Source needs an I2cDevice");
            this.device = device;
            this.clock = clock;
            name = "bme280@0x" + device.ConnectionSettings.DeviceAddress.ToString("X2");
        }

        public string Name { get { return name; } }
        public bool HasPressure { get { return true; } }

        public int Read(EnvironmentSample sample)
        {
            Bme280ReadResult r;
            try
            {
                if (sensor == null)
                {
                    Bme280 s = new Bme280(device);
                    s.TemperatureSampling = TemperatureSampling;
                    s.PressureSampling = PressureSampling;
                    s.HumiditySampling = HumiditySampling;
                    sensor = s;
                }
                r = sensor.Read();
            }
            catch (Exception e)
            {
                sensor = null; // try the chip id again next time
                LastError = "BME280 (Iot.Device.Bmxx80): " + e.Message;
                return SampleStatus.I2cError;
            }
            if (r == null || !r.TemperatureIsValid || !r.HumidityIsValid || !r.PressureIsValid)
            {
                LastError = "BME280 (Iot.Device.Bmxx80): a value came back invalid";
                return SampleStatus.OutOfRange;
            }
            sample.TemperatureCentiC = ToCenti(r.Temperature.DegreesCelsius);
            sample.HumidityCentiPercent = ToCenti(r.Humidity.Percent);
            double pa = r.Pressure.Pascals;
            sample.PressurePa = pa > 2000000000.0 || pa < -2000000000.0 ? 0 : (int)(pa + 0.5);
            sample.HasPressure = true;
            sample.Label = -1;
            sample.TimestampMs = clock == null ? 0 : clock.NowMs;
            int status = SensorLimits.Check(sample);
            if (status != SampleStatus.Ok)
            {
                LastError = "BME280 (Iot.Device.Bmxx80): reading out of range: " + sample.ToString();
                return status;
            }
            LastError = "";
            return SampleStatus.Ok;
        }

        // Rounds a value to hundredths; NaN and absurd values become int.MinValue (out of any range).
        private static int ToCenti(double v)
        {
            double c = v * 100.0;
            if (!(c > -2000000000.0 && c < 2000000000.0)) return int.MinValue;
            return (int)(c >= 0 ? c + 0.5 : c - 0.5);
        }

        public void Dispose()
        {
            if (sensor != null) sensor.Dispose();
            sensor = null;
        }
    }
}
