using System;
using System.Collections.Generic;

namespace TinTin.Sensors.Tests
{
    /// <summary>
    /// A BME280 register map behind <see cref="II2cRegisters"/>: register-pointer writes, burst
    /// reads with auto-increment, calibration and data registers encoded exactly as the chip
    /// stores them, and switches for faults (NACK, wrong chip id).
    /// </summary>
    public sealed class FakeBme280 : II2cRegisters
    {
        public readonly byte[] Registers = new byte[256];
        /// <summary>When true every transfer fails (no ACK).</summary>
        public bool Nack;
        /// <summary>Fail this many transfers, then work again.</summary>
        public int NackNext;
        /// <summary>Every register write, as (register, value).</summary>
        public readonly List<(int Register, int Value)> Writes = new List<(int, int)>();
        public int Transfers;

        public static FakeBme280 WithDatasheetExample()
        {
            var fake = new FakeBme280();
            fake.Registers[0xD0] = 0x60;
            fake.SetCalibration(DatasheetExample.Calibration());
            fake.SetAdc(DatasheetExample.AdcT, DatasheetExample.AdcP, DatasheetExample.AdcH);
            return fake;
        }

        public void SetCalibration(Bme280Calibration c)
        {
            Put16(0x88, c.DigT1); Put16(0x8A, c.DigT2); Put16(0x8C, c.DigT3);
            Put16(0x8E, c.DigP1); Put16(0x90, c.DigP2); Put16(0x92, c.DigP3); Put16(0x94, c.DigP4);
            Put16(0x96, c.DigP5); Put16(0x98, c.DigP6); Put16(0x9A, c.DigP7); Put16(0x9C, c.DigP8); Put16(0x9E, c.DigP9);
            Registers[0xA1] = (byte)c.DigH1;
            Put16(0xE1, c.DigH2);
            Registers[0xE3] = (byte)c.DigH3;
            Registers[0xE4] = (byte)(c.DigH4 >> 4);                          // H4[11:4]
            Registers[0xE5] = (byte)((c.DigH4 & 0x0F) | ((c.DigH5 & 0x0F) << 4)); // H4[3:0], H5[3:0]
            Registers[0xE6] = (byte)(c.DigH5 >> 4);                          // H5[11:4]
            Registers[0xE7] = (byte)c.DigH6;
        }

        /// <summary>Stores raw ADC values in 0xF7..0xFE as the chip does (20-bit T/P left-aligned, 16-bit H).</summary>
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

        private bool Fails()
        {
            Transfers++;
            if (Nack) return true;
            if (NackNext > 0) { NackNext--; return true; }
            return false;
        }

        public bool TryWriteRead(byte[] write, byte[] read)
        {
            if (Fails()) return false;
            if (write.Length != 1) throw new InvalidOperationException("the driver writes one register address before a read");
            int at = write[0];
            for (int i = 0; i < read.Length; i++) read[i] = Registers[(at + i) & 0xFF];
            return true;
        }

        public bool TryWrite(byte[] data)
        {
            if (Fails()) return false;
            int at = data[0];
            for (int i = 1; i < data.Length; i++)
            {
                Registers[(at + i - 1) & 0xFF] = data[i];
                Writes.Add((at + i - 1, data[i]));
            }
            return true;
        }
    }

    /// <summary>
    /// The worked compensation example of the Bosch datasheets (BMP280 datasheet BST-BMP280-DS001,
    /// section 3.12, "Calculating pressure and temperature"; the BME280 uses the same T/P formulas):
    /// dig_T1..3 = 27504, 26435, −1000; dig_P1..9 = 36477, −10685, 3024, 2855, 140, −7, 15500,
    /// −14600, 6000; adc_T = 519888 → 25.08 °C (t_fine 128422); adc_P = 415148 → 100653.27 Pa (double formula), 25767233/256 = 100653.25 Pa (int64 formula).
    /// Bosch publishes no humidity example: the humidity coefficients below (H1..H6 = 75, 362, 0,
    /// 313, 50, 30, adc_H = 30000, the values open-source BME280 test suites use) are inputs only,
    /// and the expected humidity comes from the datasheet's double-precision formula (section 4.2.3
    /// / 8.1), implemented independently in the test.
    /// </summary>
    public static class DatasheetExample
    {
        public const int AdcT = 519888, AdcP = 415148, AdcH = 30000;
        public const int TFine = 128422;

        public static Bme280Calibration Calibration() => new Bme280Calibration
        {
            DigT1 = 27504, DigT2 = 26435, DigT3 = -1000,
            DigP1 = 36477, DigP2 = -10685, DigP3 = 3024, DigP4 = 2855, DigP5 = 140, DigP6 = -7,
            DigP7 = 15500, DigP8 = -14600, DigP9 = 6000,
            DigH1 = 75, DigH2 = 362, DigH3 = 0, DigH4 = 313, DigH5 = 50, DigH6 = 30,
        };

        /// <summary>The datasheet's double-precision humidity formula (bme280_compensate_H_double), %RH.</summary>
        public static double HumidityDouble(Bme280Calibration c, int adcH, int tFine)
        {
            double h = tFine - 76800.0;
            h = (adcH - (c.DigH4 * 64.0 + c.DigH5 / 16384.0 * h))
                * (c.DigH2 / 65536.0 * (1.0 + c.DigH6 / 67108864.0 * h * (1.0 + c.DigH3 / 67108864.0 * h)));
            h = h * (1.0 - c.DigH1 * h / 524288.0);
            return Math.Clamp(h, 0.0, 100.0);
        }

        /// <summary>The datasheet's double-precision temperature formula, °C.</summary>
        public static double TemperatureDouble(Bme280Calibration c, int adcT)
        {
            double var1 = (adcT / 16384.0 - c.DigT1 / 1024.0) * c.DigT2;
            double var2 = (adcT / 131072.0 - c.DigT1 / 8192.0) * (adcT / 131072.0 - c.DigT1 / 8192.0) * c.DigT3;
            return (var1 + var2) / 5120.0;
        }

        /// <summary>The datasheet's double-precision pressure formula, Pa.</summary>
        public static double PressureDouble(Bme280Calibration c, int adcP, int tFine)
        {
            double var1 = tFine / 2.0 - 64000.0;
            double var2 = var1 * var1 * c.DigP6 / 32768.0;
            var2 = var2 + var1 * c.DigP5 * 2.0;
            var2 = var2 / 4.0 + c.DigP4 * 65536.0;
            var1 = (c.DigP3 * var1 * var1 / 524288.0 + c.DigP2 * var1) / 524288.0;
            var1 = (1.0 + var1 / 32768.0) * c.DigP1;
            double p = 1048576.0 - adcP;
            p = (p - var2 / 4096.0) * 6250.0 / var1;
            var1 = c.DigP9 * p * p / 2147483648.0;
            var2 = p * c.DigP8 / 32768.0;
            return p + (var1 + var2 + c.DigP7) / 16.0;
        }
    }
}
