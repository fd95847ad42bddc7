namespace TinTin.Sensors
{
    /// <summary>
    /// One environmental reading, integers only (nano subset). A source fills an instance the
    /// caller allocated once; nothing is allocated per reading.
    /// </summary>
    public sealed class EnvironmentSample
    {
        /// <summary>Source time in ms. Replay: Unix ms from the data. Board: uptime ms.</summary>
        public long TimestampMs;
        /// <summary>Temperature in 0.01 °C (2508 = 25.08 °C).</summary>
        public int TemperatureCentiC;
        /// <summary>Relative humidity in 0.01 %RH (2727 = 27.27 %RH).</summary>
        public int HumidityCentiPercent;
        /// <summary>Pressure in Pa; valid only when <see cref="HasPressure"/>.</summary>
        public int PressurePa;
        public bool HasPressure;
        /// <summary>Ground truth when the source knows it (replay), else -1.</summary>
        public int Label = -1;

        public void CopyFrom(EnvironmentSample other)
        {
            TimestampMs = other.TimestampMs;
            TemperatureCentiC = other.TemperatureCentiC;
            HumidityCentiPercent = other.HumidityCentiPercent;
            PressurePa = other.PressurePa;
            HasPressure = other.HasPressure;
            Label = other.Label;
        }

        /// <summary>Back to the empty state (zeros, no pressure, label -1).</summary>
        public void Clear()
        {
            TimestampMs = 0;
            TemperatureCentiC = 0;
            HumidityCentiPercent = 0;
            PressurePa = 0;
            HasPressure = false;
            Label = -1;
        }

        /// <summary>For logs: "t=123 T=25.08C RH=27.27% P=100653Pa label=1". Allocates; not for the hot loop.</summary>
        public override string ToString()
        {
            string s = "t=" + TimestampMs.ToString() + " T=" + Fixed.Centi(TemperatureCentiC) + "C RH=" + Fixed.Centi(HumidityCentiPercent) + "%";
            if (HasPressure) s = s + " P=" + PressurePa.ToString() + "Pa";
            if (Label >= 0) s = s + " label=" + Label.ToString();
            return s;
        }
    }

    /// <summary>Formatting of fixed-point values without floating point.</summary>
    public static class Fixed
    {
        /// <summary>2508 → "25.08", -5 → "-0.05".</summary>
        public static string Centi(int value)
        {
            long v = value;
            string sign = "";
            if (v < 0) { sign = "-"; v = -v; }
            long frac = v % 100;
            return sign + (v / 100).ToString() + "." + (frac < 10 ? "0" : "") + frac.ToString();
        }
    }
}
