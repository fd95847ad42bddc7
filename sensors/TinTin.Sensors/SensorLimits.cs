namespace TinTin.Sensors
{
    /// <summary>
    /// The physical range a sample must lie in (BME280 operating range, datasheet table 1):
    /// −40..85 °C, 0..100 %RH, 300..1100 hPa. Anything outside is a fault (OutOfRange), not data.
    /// </summary>
    public static class SensorLimits
    {
        public const int MinTemperatureCentiC = -4000, MaxTemperatureCentiC = 8500;
        public const int MinHumidityCentiPercent = 0, MaxHumidityCentiPercent = 10000;
        public const int MinPressurePa = 30000, MaxPressurePa = 110000;

        /// <summary>Ok, or OutOfRange when a value (pressure only when HasPressure) is outside the range.</summary>
        public static int Check(EnvironmentSample s)
        {
            if (s.TemperatureCentiC < MinTemperatureCentiC || s.TemperatureCentiC > MaxTemperatureCentiC) return SampleStatus.OutOfRange;
            if (s.HumidityCentiPercent < MinHumidityCentiPercent || s.HumidityCentiPercent > MaxHumidityCentiPercent) return SampleStatus.OutOfRange;
            if (s.HasPressure && (s.PressurePa < MinPressurePa || s.PressurePa > MaxPressurePa)) return SampleStatus.OutOfRange;
            return SampleStatus.Ok;
        }
    }
}
