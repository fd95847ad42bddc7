using System;
using TinTin.Sensors;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// A BME280 register map behind <see cref="II2cRegisters"/> (nano subset; the host tests'
    /// FakeBme280 does the same with fault switches): register-pointer writes, burst reads with
    /// auto-increment, calibration and data registers encoded as the chip stores them.
    /// </summary>
    public sealed class RegisterBme280 : II2cRegisters
    {
        public readonly byte[] Registers = new byte[256];

        /// <summary>The Bosch datasheet's worked example: adc_T 519888 → 25.08 °C, adc_P 415148 → 100653.25 Pa (humidity coefficients as in the host tests).</summary>
        public static RegisterBme280 DatasheetExample()
        {
            RegisterBme280 fake = new RegisterBme280();
            fake.Registers[0xD0] = 0x60;
            fake.Put16(0x88, 27504); fake.Put16(0x8A, 26435); fake.Put16(0x8C, -1000);
            fake.Put16(0x8E, 36477); fake.Put16(0x90, -10685); fake.Put16(0x92, 3024); fake.Put16(0x94, 2855);
            fake.Put16(0x96, 140); fake.Put16(0x98, -7); fake.Put16(0x9A, 15500); fake.Put16(0x9C, -14600); fake.Put16(0x9E, 6000);
            int h4 = 313, h5 = 50;
            fake.Registers[0xA1] = 75;
            fake.Put16(0xE1, 362);
            fake.Registers[0xE3] = 0;
            fake.Registers[0xE4] = (byte)(h4 >> 4);
            fake.Registers[0xE5] = (byte)((h4 & 0x0F) | ((h5 & 0x0F) << 4));
            fake.Registers[0xE6] = (byte)(h5 >> 4);
            fake.Registers[0xE7] = 30;
            fake.SetAdc(519888, 415148, 30000);
            return fake;
        }

        /// <summary>Raw ADC values in 0xF7..0xFE as the chip stores them (20-bit T/P left-aligned, 16-bit H).</summary>
        public void SetAdc(int adcT, int adcP, int adcH)
        {
            Registers[0xF7] = (byte)(adcP >> 12); Registers[0xF8] = (byte)(adcP >> 4); Registers[0xF9] = (byte)((adcP & 0xF) << 4);
            Registers[0xFA] = (byte)(adcT >> 12); Registers[0xFB] = (byte)(adcT >> 4); Registers[0xFC] = (byte)((adcT & 0xF) << 4);
            Registers[0xFD] = (byte)(adcH >> 8); Registers[0xFE] = (byte)adcH;
        }

        private void Put16(int register, int value)
        {
            Registers[register] = (byte)value;
            Registers[register + 1] = (byte)(value >> 8);
        }

        public bool TryWriteRead(byte[] write, byte[] read)
        {
            if (write.Length != 1) return false;
            int at = write[0];
            for (int i = 0; i < read.Length; i++) read[i] = Registers[(at + i) & 0xFF];
            return true;
        }

        public bool TryWrite(byte[] data)
        {
            int at = data[0];
            for (int i = 1; i < data.Length; i++) Registers[(at + i - 1) & 0xFF] = data[i];
            return true;
        }
    }

    /// <summary>A clock a minute per tick (the sample period of the occupancy data).</summary>
    public sealed class MinuteClock : IMillisecondClock
    {
        public long Ms;
        public long NowMs { get { return Ms; } }
    }

    /// <summary>
    /// The board's sensor path without the bus: Bme280Driver on the datasheet's register map, then
    /// the FeaturePipeline with every feature, over a deterministic sweep of raw ADC values (warm,
    /// cold, humid, dry, a pressure swing, and the chip's "not measured yet" value as a fault).
    /// Prints "S" lines: the decoded sample per read and the feature vector once ready. The host
    /// runs the same code (this project's host twin) and the two outputs must be identical.
    /// </summary>
    public static class SensorPathCheck
    {
        public const int Reads = 48;

        public static void Run(ILineOutput output)
        {
            try
            {
                RunChecked(output);
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        private static void RunChecked(ILineOutput output)
        {
            RegisterBme280 chip = RegisterBme280.DatasheetExample();
            MinuteClock clock = new MinuteClock();
            Bme280Driver driver = new Bme280Driver(chip, clock);
            EnvironmentSample sample = new EnvironmentSample();
            int status = driver.Read(sample);
            output.Line(ReplayLines.Serial, "datasheet status=" + SampleStatus.Name(status) + " T=" + sample.TemperatureCentiC + " RH=" + sample.HumidityCentiPercent
                + " P=" + sample.PressurePa + " t_fine=" + driver.LastTFine);

            int[] ids = new int[FeatureSet.Count];
            for (int i = 0; i < ids.Length; i++) ids[i] = i;
            FeaturePipeline pipeline = new FeaturePipeline(ids, 8);
            int[] features = new int[ids.Length];
            for (int k = 0; k < Reads; k++)
            {
                clock.Ms = (long)k * 60000;
                // Sweeps around the datasheet values: temperature ±~3 °C, pressure ±~1 kPa, humidity across its range.
                int adcT = 519888 + ((k * 7919) % 41) * 500 - 10000;
                int adcP = 415148 + ((k * 104729) % 23) * 700 - 8000;
                int adcH = 22000 + ((k * 31) % 17) * 900;
                if (k == 20) { adcT = Bme280Driver.AdcSkipped20; }
                chip.SetAdc(adcT, adcP, adcH);
                status = driver.Read(sample);
                string line = "read k=" + k + " status=" + SampleStatus.Name(status);
                if (status == SampleStatus.Ok)
                    line = line + " t=" + sample.TimestampMs + " T=" + sample.TemperatureCentiC + " RH=" + sample.HumidityCentiPercent + " P=" + sample.PressurePa;
                output.Line(ReplayLines.Serial, line);
                if (status != SampleStatus.Ok) continue;
                bool ready = pipeline.Push(sample, features);
                if (!ready) continue;
                string f = "features k=" + k;
                for (int i = 0; i < features.Length; i++) f = f + " " + FeatureSet.Name(ids[i]) + "=" + features[i];
                output.Line(ReplayLines.Serial, f);
            }
            output.Line(ReplayLines.Serial, "pipeline rejected=" + pipeline.Rejected + " gap_resets=" + pipeline.GapResets);
        }
    }
}
