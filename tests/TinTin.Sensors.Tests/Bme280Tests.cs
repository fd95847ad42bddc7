using System;
using System.Linq;
using Xunit;

namespace TinTin.Sensors.Tests
{
    public class Bme280CompensationTests
    {
        [Fact]
        public void Temperature_matches_the_datasheet_example()
        {
            var c = DatasheetExample.Calibration();
            int t = c.CompensateTemperature(DatasheetExample.AdcT, out int tFine);
            Assert.Equal(2508, t);                      // 25.08 °C
            Assert.Equal(DatasheetExample.TFine, tFine);
            Assert.Equal(25.08, DatasheetExample.TemperatureDouble(c, DatasheetExample.AdcT), 2);
        }

        [Fact]
        public void Pressure_matches_the_datasheet_example()
        {
            var c = DatasheetExample.Calibration();
            long q8 = c.CompensatePressureQ8(DatasheetExample.AdcP, DatasheetExample.TFine);
            // The int64 formula gives 25767233 / 256 = 100653.25 Pa (the double formula: 100653.27 Pa).
            Assert.Equal(25767233L, q8);
            Assert.Equal(100653.25, q8 / 256.0, 2);
            Assert.InRange(DatasheetExample.PressureDouble(c, DatasheetExample.AdcP, DatasheetExample.TFine), 100653.25, 100653.29);
        }

        [Fact]
        public void Humidity_matches_the_datasheet_double_formula()
        {
            var c = DatasheetExample.Calibration();
            double expected = DatasheetExample.HumidityDouble(c, DatasheetExample.AdcH, DatasheetExample.TFine);
            int q10 = c.CompensateHumidityQ10(DatasheetExample.AdcH, DatasheetExample.TFine);
            Assert.InRange(expected, 1.0, 99.0);        // the example lands mid-range, not on a clamp
            Assert.True(Math.Abs(q10 / 1024.0 - expected) < 0.01, $"int {q10 / 1024.0:F4} %RH vs double {expected:F4} %RH");
        }

        [Fact]
        public void Humidity_agrees_with_the_double_formula_across_its_range()
        {
            var c = DatasheetExample.Calibration();
            double worst = 0;
            for (int adcT = 380000; adcT <= 640000; adcT += 20000)
            {
                c.CompensateTemperature(adcT, out int tFine);
                for (int adcH = 20000; adcH <= 50000; adcH += 1000)
                {
                    double d = DatasheetExample.HumidityDouble(c, adcH, tFine);
                    double i = c.CompensateHumidityQ10(adcH, tFine) / 1024.0;
                    worst = Math.Max(worst, Math.Abs(d - i));
                }
            }
            Assert.True(worst < 0.02, $"worst |int − double| = {worst:F4} %RH");
        }

        [Fact]
        public void Calibration_decoding_handles_the_packed_signed_h4_h5()
        {
            var c = DatasheetExample.Calibration();
            c.DigH4 = -700; c.DigH5 = -3; c.DigH6 = -20; c.DigT2 = -1; c.DigP1 = 65535;
            var fake = new FakeBme280();
            fake.SetCalibration(c);
            var d = new Bme280Calibration();
            d.Decode(fake.Registers.Skip(0x88).Take(26).ToArray(), fake.Registers.Skip(0xE1).Take(7).ToArray());
            Assert.Equal((c.DigT1, c.DigT2, c.DigT3, c.DigP1, c.DigP9), (d.DigT1, d.DigT2, d.DigT3, d.DigP1, d.DigP9));
            Assert.Equal((c.DigH1, c.DigH2, c.DigH3, c.DigH4, c.DigH5, c.DigH6), (d.DigH1, d.DigH2, d.DigH3, d.DigH4, d.DigH5, d.DigH6));
        }
    }

    public class Bme280DriverTests
    {
        private sealed class FixedClock : IMillisecondClock { public long NowMs { get; set; } = 1234; }

        [Fact]
        public void Reads_the_datasheet_example_through_the_fake_i2c_device()
        {
            var fake = FakeBme280.WithDatasheetExample();
            var driver = new Bme280Driver(fake, new FixedClock());
            var s = new EnvironmentSample();
            Assert.Equal(SampleStatus.Ok, driver.Read(s));
            Assert.Equal(2508, s.TemperatureCentiC);
            Assert.Equal(100653, s.PressurePa);
            Assert.True(s.HasPressure);
            double h = DatasheetExample.HumidityDouble(DatasheetExample.Calibration(), DatasheetExample.AdcH, DatasheetExample.TFine);
            Assert.True(Math.Abs(s.HumidityCentiPercent - h * 100) <= 1.5, $"{s.HumidityCentiPercent} vs {h * 100:F2}");
            Assert.Equal(1234, s.TimestampMs);
            Assert.Equal(-1, s.Label);
            Assert.Equal((DatasheetExample.AdcT, DatasheetExample.AdcP, DatasheetExample.AdcH), (driver.LastAdcT, driver.LastAdcP, driver.LastAdcH));
        }

        [Fact]
        public void Initialize_configures_normal_mode_with_ctrl_hum_before_ctrl_meas()
        {
            var fake = FakeBme280.WithDatasheetExample();
            var driver = new Bme280Driver(fake, null);
            Assert.Equal(SampleStatus.Ok, driver.Initialize());
            Assert.Equal(0x60, driver.ChipId);
            int hum = fake.Writes.FindIndex(w => w.Register == 0xF2);
            int meas = fake.Writes.FindLastIndex(w => w.Register == 0xF4);
            Assert.True(hum >= 0 && meas > hum, "ctrl_hum (0xF2) takes effect only after a ctrl_meas (0xF4) write");
            Assert.Equal(0x01, fake.Registers[0xF2]);   // osrs_h ×1
            Assert.Equal(0x27, fake.Registers[0xF4]);   // osrs_t ×1, osrs_p ×1, normal mode
            Assert.Equal(0xA0, fake.Registers[0xF5]);   // t_sb 1000 ms, filter off
        }

        [Fact]
        public void A_nack_is_an_i2c_error_that_is_counted_and_the_next_read_works()
        {
            var fake = FakeBme280.WithDatasheetExample();
            var driver = new Bme280Driver(fake, null);
            var faults = new SensorFaults();
            var s = new EnvironmentSample();
            Assert.Equal(SampleStatus.Ok, driver.Read(s));
            fake.NackNext = 1;
            int status = driver.Read(s);
            faults.Count(status);
            Assert.Equal(SampleStatus.I2cError, status);
            Assert.Contains("I2C error", driver.LastError);
            Assert.Equal(1, faults.I2cErrors);
            Assert.Equal(1, faults.Total);
            Assert.Equal(SampleStatus.Ok, driver.Read(s));
            Assert.Equal(2508, s.TemperatureCentiC);
        }

        [Fact]
        public void No_sensor_at_all_is_an_i2c_error_with_a_wiring_hint_never_an_exception()
        {
            var fake = FakeBme280.WithDatasheetExample();
            fake.Nack = true;
            var driver = new Bme280Driver(fake, null);
            var s = new EnvironmentSample();
            for (int i = 0; i < 5; i++) Assert.Equal(SampleStatus.I2cError, driver.Read(s));
            Assert.Contains("0xD0", driver.LastError);
            Assert.Contains("0x76", driver.LastError);
            fake.Nack = false; // plugged in later: the driver recovers by itself
            Assert.Equal(SampleStatus.Ok, driver.Read(s));
        }

        [Fact]
        public void A_wrong_chip_id_is_a_device_error_naming_the_id()
        {
            var fake = FakeBme280.WithDatasheetExample();
            fake.Registers[0xD0] = 0x58;
            var driver = new Bme280Driver(fake, null);
            Assert.Equal(SampleStatus.DeviceError, driver.Initialize());
            Assert.Contains("0x58", driver.LastError);
            Assert.Contains("expected 0x60", driver.LastError);
            Assert.Contains("BMP280", driver.LastError);
            var faults = new SensorFaults();
            faults.Count(driver.Read(new EnvironmentSample()));
            Assert.Equal(1, faults.OtherErrors);
            Assert.False(driver.IsInitialized);
        }

        [Fact]
        public void The_reset_value_before_the_first_measurement_is_out_of_range()
        {
            var fake = FakeBme280.WithDatasheetExample();
            fake.SetAdc(Bme280Driver.AdcSkipped20, Bme280Driver.AdcSkipped20, Bme280Driver.AdcSkipped16);
            var driver = new Bme280Driver(fake, null);
            Assert.Equal(SampleStatus.OutOfRange, driver.Read(new EnvironmentSample()));
            Assert.Contains("no measurement yet", driver.LastError);
        }

        [Fact]
        public void A_reading_outside_the_physical_range_is_out_of_range_and_the_loop_goes_on()
        {
            var fake = FakeBme280.WithDatasheetExample();
            var driver = new Bme280Driver(fake, null);
            var s = new EnvironmentSample();
            fake.SetAdc(0xFFFF0, DatasheetExample.AdcP, DatasheetExample.AdcH); // compensates far above 85 °C
            Assert.Equal(SampleStatus.OutOfRange, driver.Read(s));
            Assert.True(s.TemperatureCentiC > SensorLimits.MaxTemperatureCentiC);
            Assert.Contains("out of range", driver.LastError);
            fake.SetAdc(DatasheetExample.AdcT, DatasheetExample.AdcP, DatasheetExample.AdcH);
            Assert.Equal(SampleStatus.Ok, driver.Read(s));
        }

        [Fact]
        public void Repeated_faults_make_the_driver_configure_the_chip_again()
        {
            var fake = FakeBme280.WithDatasheetExample();
            var driver = new Bme280Driver(fake, null);
            var s = new EnvironmentSample();
            Assert.Equal(SampleStatus.Ok, driver.Read(s));
            // The chip lost power: it comes back asleep with reset values in its data registers.
            fake.Registers[0xF4] = 0;
            fake.SetAdc(Bme280Driver.AdcSkipped20, Bme280Driver.AdcSkipped20, Bme280Driver.AdcSkipped16);
            for (int i = 0; i < driver.ReinitializeAfterFaults; i++) Assert.Equal(SampleStatus.OutOfRange, driver.Read(s));
            int writesBefore = fake.Writes.Count;
            fake.SetAdc(DatasheetExample.AdcT, DatasheetExample.AdcP, DatasheetExample.AdcH); // measuring again
            Assert.Equal(SampleStatus.Ok, driver.Read(s));
            Assert.True(fake.Writes.Count > writesBefore, "the driver rewrote the configuration");
            Assert.Equal(0x27, fake.Registers[0xF4]);
        }

        [Fact]
        public void A_bus_adapter_that_throws_is_still_only_an_i2c_error()
        {
            var driver = new Bme280Driver(new ThrowingBus(), null);
            Assert.Equal(SampleStatus.I2cError, driver.Read(new EnvironmentSample()));
        }

        private sealed class ThrowingBus : II2cRegisters
        {
            public bool TryWriteRead(byte[] write, byte[] read) => throw new System.IO.IOException("bus stuck");
            public bool TryWrite(byte[] data) => throw new System.IO.IOException("bus stuck");
        }
    }
}
