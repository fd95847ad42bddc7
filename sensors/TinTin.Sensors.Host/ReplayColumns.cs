using System;

namespace TinTin.Sensors
{
    /// <summary>Which CSV columns a <see cref="ReplaySource"/> reads (names are case-insensitive).</summary>
    public sealed class ReplayColumns
    {
        /// <summary>Timestamp column (yyyy-MM-dd HH:mm:ss); null: the file has none and samples are IntervalMs apart.</summary>
        public string Time { get; init; } = "date";
        /// <summary>Temperature column, °C.</summary>
        public string Temperature { get; init; } = "Temperature";
        /// <summary>Relative humidity column, %.</summary>
        public string Humidity { get; init; } = "Humidity";
        /// <summary>Pressure column, or null when the data has none (the occupancy data has none).</summary>
        public string Pressure { get; init; }
        /// <summary>Multiplies the pressure column into Pa: 1 for Pa, 100 for hPa.</summary>
        public double PressureToPa { get; init; } = 1.0;
        /// <summary>Ground-truth column (non-negative integers), or null.</summary>
        public string Label { get; init; }
        /// <summary>Raw label → class (see TinTin.Reference.LabelSpec.ParseMap); null: the values are the classes.</summary>
        public System.Collections.Generic.Dictionary<string, int> LabelMap { get; init; }
        /// <summary>How the file is read (header, time format, group, missing cells); null: a header and Time in iso form.</summary>
        public TinTin.Reference.CsvOptions Csv { get; init; }
        /// <summary>With a group column (Csv.Group): replay only this node's rows (one board is one node); null: every row.</summary>
        public string Node { get; init; }
        /// <summary>Spacing of the samples when there is no time column.</summary>
        public long IntervalMs { get; init; } = 60_000;

        /// <summary>The UCI occupancy files: date, Temperature, Humidity, label Occupancy; no pressure.</summary>
        public static ReplayColumns Occupancy() => new ReplayColumns { Label = "Occupancy" };

        public override string ToString() =>
            $"time={Time ?? "-"} temperature={Temperature} humidity={Humidity} pressure={Pressure ?? "-"} label={Label ?? "-"}";
    }
}
