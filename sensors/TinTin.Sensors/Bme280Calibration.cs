namespace TinTin.Sensors
{
    /// <summary>
    /// The BME280's factory trimming parameters (datasheet section 4.2.2, table 16) and the
    /// datasheet's integer compensation formulas (section 4.2.3 / 8.2): BME280_compensate_T_int32,
    /// BME280_compensate_P_int64 and bme280_compensate_H_int32, with the same integer arithmetic,
    /// shifts and clamps. Integer only (nano subset).
    /// </summary>
    public sealed class Bme280Calibration
    {
        public int DigT1, DigT2, DigT3;
        public int DigP1, DigP2, DigP3, DigP4, DigP5, DigP6, DigP7, DigP8, DigP9;
        public int DigH1, DigH2, DigH3, DigH4, DigH5, DigH6;

        /// <summary>Bytes read from 0x88..0xA1 (26 bytes).</summary>
        public const int BlockTpLength = 26;
        /// <summary>Bytes read from 0xE1..0xE7 (7 bytes).</summary>
        public const int BlockHLength = 7;

        /// <summary>Decodes the two calibration blocks (0x88..0xA1 and 0xE1..0xE7), little-endian as stored.</summary>
        public void Decode(byte[] tp, byte[] h)
        {
            DigT1 = U16(tp, 0); DigT2 = S16(tp, 2); DigT3 = S16(tp, 4);
            DigP1 = U16(tp, 6); DigP2 = S16(tp, 8); DigP3 = S16(tp, 10); DigP4 = S16(tp, 12);
            DigP5 = S16(tp, 14); DigP6 = S16(tp, 16); DigP7 = S16(tp, 18); DigP8 = S16(tp, 20); DigP9 = S16(tp, 22);
            DigH1 = tp[25];                          // 0xA1
            DigH2 = S16(h, 0);                       // 0xE1/0xE2
            DigH3 = h[2];                            // 0xE3
            DigH4 = ((sbyte)h[3] << 4) | (h[4] & 0x0F);   // 0xE4[7:0] / 0xE5[3:0]
            DigH5 = ((sbyte)h[5] << 4) | (h[4] >> 4);     // 0xE6[7:0] / 0xE5[7:4]
            DigH6 = (sbyte)h[6];                     // 0xE7
        }

        /// <summary>
        /// Temperature in 0.01 °C from the 20-bit adc_T; t_fine (the fine temperature the pressure
        /// and humidity formulas need) is returned through tFine.
        /// </summary>
        public int CompensateTemperature(int adcT, out int tFine)
        {
            int var1 = (((adcT >> 3) - (DigT1 << 1)) * DigT2) >> 11;
            int d = (adcT >> 4) - DigT1;
            int var2 = (((d * d) >> 12) * DigT3) >> 14;
            tFine = var1 + var2;
            return (tFine * 5 + 128) >> 8;
        }

        /// <summary>Pressure in Pa as Q24.8 (25767236 = 100653.27 Pa) from the 20-bit adc_P; 0 when the calibration would divide by zero.</summary>
        public long CompensatePressureQ8(int adcP, int tFine)
        {
            long var1 = (long)tFine - 128000;
            long var2 = var1 * var1 * DigP6;
            var2 = var2 + ((var1 * DigP5) << 17);
            var2 = var2 + ((long)DigP4 << 35);
            var1 = ((var1 * var1 * DigP3) >> 8) + ((var1 * DigP2) << 12);
            var1 = ((1L << 47) + var1) * DigP1 >> 33;
            if (var1 == 0) return 0;
            long p = 1048576 - adcP;
            p = (((p << 31) - var2) * 3125) / var1;
            var1 = ((long)DigP9 * (p >> 13) * (p >> 13)) >> 25;
            var2 = ((long)DigP8 * p) >> 19;
            p = ((p + var1 + var2) >> 8) + ((long)DigP7 << 4);
            return p;
        }

        /// <summary>Relative humidity in %RH as Q22.10 (47445 = 46.333 %RH) from the 16-bit adc_H; clamped to 0..100 %RH as the datasheet does.</summary>
        public int CompensateHumidityQ10(int adcH, int tFine)
        {
            int v = tFine - 76800;
            v = (((((adcH << 14) - (DigH4 << 20) - (DigH5 * v)) + 16384) >> 15)
                * (((((((v * DigH6) >> 10) * (((v * DigH3) >> 11) + 32768)) >> 10) + 2097152) * DigH2 + 8192) >> 14));
            v = v - (((((v >> 15) * (v >> 15)) >> 7) * DigH1) >> 4);
            if (v < 0) v = 0;
            if (v > 419430400) v = 419430400;
            return v >> 12;
        }

        private static int U16(byte[] b, int i) { return b[i] | (b[i + 1] << 8); }
        private static int S16(byte[] b, int i) { return (short)(b[i] | (b[i + 1] << 8)); }
    }
}
