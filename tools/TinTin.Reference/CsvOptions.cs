using System;
using System.Globalization;

namespace TinTin.Reference
{
    /// <summary>How a sensor CSV is read (see <see cref="SensorTable.Load(string, CsvOptions)"/>).</summary>
    public sealed class CsvOptions
    {
        /// <summary>False: the first line is data and the columns are named c1..cN.</summary>
        public bool HasHeader { get; set; } = true;
        /// <summary>Timestamp column, or a date and a time column joined with a space; null or empty: no time (rows one minute apart).</summary>
        public string[] TimeColumns { get; set; } = { "date" };
        /// <summary>iso (default), epoch-ms, epoch-s, or a .NET DateTime format string (e.g. "dd-MM-yyyy HH:mm:ss").</summary>
        public string TimeFormat { get; set; } = "iso";
        /// <summary>Column naming the sensor node of each row (interleaved nodes); null: one node.</summary>
        public string Group { get; set; }
        /// <summary>Empty, NA, NaN or null cells in a used column: error, skip (drop the row) or previous (the node's last value).</summary>
        public string Missing { get; set; } = MissingError;

        public const string MissingError = "error", MissingSkip = "skip", MissingPrevious = "previous";

        /// <summary>The occupancy files: header, "date" timestamps.</summary>
        public static CsvOptions Default() => new CsvOptions();

        /// <summary>Options with one time column (null or "none": no time column), as the older API took it.</summary>
        public static CsvOptions WithTime(string timeColumn) => new CsvOptions
        {
            TimeColumns = string.IsNullOrWhiteSpace(timeColumn) || timeColumn == "none" ? null : timeColumn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        };

        /// <summary>The reading options as the command line states them (prepare and experiment share these flags).</summary>
        public static CsvOptions FromFlags(string timeColumn, bool noHeader, string timeFormat, string group, string missing)
        {
            CsvOptions csv = WithTime(timeColumn);
            csv.HasHeader = !noHeader;
            csv.TimeFormat = timeFormat;
            csv.Group = group;
            csv.Missing = missing;
            return csv;
        }

        public void Validate()
        {
            if (Missing != MissingError && Missing != MissingSkip && Missing != MissingPrevious)
                throw new ArgumentException($"--missing must be error, skip or previous, not '{Missing}'");
            if (TimeColumns != null && TimeColumns.Length > 2)
                throw new ArgumentException($"--time-column takes one column or a date and a time column (COL or DATE,TIME), not {TimeColumns.Length}");
            if (string.IsNullOrWhiteSpace(TimeFormat)) throw new ArgumentException("--time-format is empty: give iso, epoch-ms, epoch-s or a .NET format such as dd-MM-yyyy HH:mm:ss");
        }

        private static readonly string[] IsoForms =
        {
            "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm",
            "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-ddTHH:mm:ssK",
            "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy-MM-dd",
        };

        /// <summary>Milliseconds since 1970 (UTC; a time without a zone counts as UTC), or false.</summary>
        public bool TryParseTime(string text, out long ms)
        {
            ms = 0;
            switch (TimeFormat)
            {
                case "epoch-ms":
                case "epoch-s":
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || double.IsInfinity(v)) return false;
                    double scaled = TimeFormat == "epoch-s" ? v * 1000 : v;
                    if (Math.Abs(scaled) > 1e16) return false;
                    ms = (long)Math.Round(scaled);
                    return true;
                default:
                    string[] forms = TimeFormat == "iso" ? IsoForms : new[] { TimeFormat };
                    if (!DateTimeOffset.TryParseExact(text, forms, CultureInfo.InvariantCulture,
                            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset t)) return false;
                    ms = t.ToUnixTimeMilliseconds();
                    return true;
            }
        }

        public string TimeFormatDescription => TimeFormat switch
        {
            "iso" => "yyyy-MM-dd HH:mm:ss (--time-format iso)",
            "epoch-ms" => "milliseconds since 1970 (--time-format epoch-ms)",
            "epoch-s" => "seconds since 1970 (--time-format epoch-s)",
            _ => "'" + TimeFormat + "' (--time-format)",
        };
    }
}
