using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using CsvHelper;

namespace TinTin.Reference
{
    /// <summary>
    /// A time-ordered table of sensor readings from a CSV file: a header of column names, numeric
    /// columns, and an optional timestamp column (yyyy-MM-dd HH:mm:ss, quoted or not). Handles the
    /// UCI occupancy files' quirk: data rows carry one more field than the header names (an
    /// unnamed, quoted row id first), which is dropped.
    /// </summary>
    public sealed class SensorTable
    {
        public string Path { get; }
        public string[] Columns { get; }
        /// <summary>Milliseconds since 1970-01-01 per row, or null when the table has no time column.</summary>
        public long[] TimestampsMs { get; }
        private readonly double[][] columnValues; // [column][row]; NaN for the time column

        private SensorTable(string path, string[] columns, long[] timestamps, double[][] values)
        {
            Path = path; Columns = columns; TimestampsMs = timestamps; columnValues = values;
        }

        public int RowCount => columnValues.Length == 0 ? 0 : columnValues[0].Length;

        public int ColumnIndex(string name)
        {
            for (int i = 0; i < Columns.Length; i++)
                if (string.Equals(Columns[i], name, StringComparison.OrdinalIgnoreCase)) return i;
            throw new ArgumentException($"{Path}: no column named '{name}'. Columns: {string.Join(", ", Columns)}");
        }

        /// <summary>The values of a numeric column, one per row.</summary>
        public double[] Column(string name)
        {
            int index = ColumnIndex(name);
            if (TimestampsMs != null && index == timeColumn)
                throw new ArgumentException($"{Path}: column '{name}' holds timestamps, not numbers");
            return columnValues[index];
        }

        private int timeColumn = -1;

        /// <summary>Rows [start, start+count) as a new table.</summary>
        public SensorTable Slice(int start, int count)
        {
            if (start < 0 || count < 0 || start + count > RowCount)
                throw new ArgumentException($"{Path}: rows {start}..{start + count} are outside 0..{RowCount}");
            var values = new double[columnValues.Length][];
            for (int c = 0; c < values.Length; c++) values[c] = columnValues[c].AsSpan(start, count).ToArray();
            long[] times = TimestampsMs?.AsSpan(start, count).ToArray();
            return new SensorTable(Path, Columns, times, values) { timeColumn = timeColumn };
        }

        private static string[] Fields(CsvReader csv)
        {
            var fields = new string[csv.FieldCount];
            for (int i = 0; i < fields.Length; i++) fields[i] = csv.GetString(i);
            return fields;
        }

        /// <summary>
        /// Loads a CSV. timeColumn names the timestamp column (null: none). Every other column must
        /// be numeric in every row; the first bad cell is reported with its row and column.
        /// </summary>
        public static SensorTable Load(string path, string timeColumn = "date")
        {
            using var reader = new StreamReader(InputFiles.OpenInput(path, InputFiles.MaxDataBytes, "data file"));
            using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = false, SkipEmptyLines = true, TrackLineNumbers = true }, false);
            if (!csv.Read()) throw new InvalidDataException($"{path}: the file is empty (no header line)");
            string[] header = Fields(csv);
            int timeIndex = -1;
            if (timeColumn != null)
            {
                timeIndex = Array.FindIndex(header, h => string.Equals(h, timeColumn, StringComparison.OrdinalIgnoreCase));
                if (timeIndex < 0) throw new InvalidDataException($"{path}: no time column '{timeColumn}'. Columns: {string.Join(", ", header)}");
            }
            var columns = new List<double>[header.Length];
            for (int c = 0; c < header.Length; c++) columns[c] = new List<double>();
            var times = new List<long>();
            int line = 1;
            while (csv.Read())
            {
                line++;
                string[] record = Fields(csv);
                if (record.Length == 1 && string.IsNullOrWhiteSpace(record[0])) continue;
                int skip = record.Length - header.Length;
                if (skip != 0 && skip != 1)
                    throw new InvalidDataException($"{path}:{line}: {record.Length} fields, the header names {header.Length}");
                for (int c = 0; c < header.Length; c++)
                {
                    string cell = record[c + skip].Trim();
                    if (c == timeIndex)
                    {
                        if (!DateTime.TryParseExact(cell, new[] { "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm" },
                                CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTime t))
                            throw new InvalidDataException($"{path}:{line}: '{cell}' in column '{header[c]}' is not a timestamp (yyyy-MM-dd HH:mm:ss)");
                        times.Add(new DateTimeOffset(t, TimeSpan.Zero).ToUnixTimeMilliseconds());
                        columns[c].Add(double.NaN);
                        continue;
                    }
                    if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || double.IsInfinity(v))
                        throw new InvalidDataException($"{path}:{line}: '{cell}' in column '{header[c]}' is not a number");
                    columns[c].Add(v);
                }
            }
            if (columns[0].Count == 0) throw new InvalidDataException($"{path}: no data rows after the header");
            var values = new double[header.Length][];
            for (int c = 0; c < header.Length; c++) values[c] = columns[c].ToArray();
            return new SensorTable(path, header, timeIndex >= 0 ? times.ToArray() : null, values) { timeColumn = timeIndex };
        }
    }
}
