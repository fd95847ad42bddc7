using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CsvHelper;

namespace TinTin.Reference
{
    /// <summary>
    /// A table of sensor readings from a CSV file, rows in file order. Cells are kept as trimmed
    /// text and a column becomes numbers only when it is used, so unused columns may hold anything.
    /// Read with <see cref="CsvOptions"/>: header or none (c1..cN), one or two (date, time) time
    /// columns in iso, epoch or a .NET format, a group column for interleaved sensor nodes, and
    /// missing cells (empty, NA, NaN, null) as an error, skipped or the node's previous value
    /// (<see cref="Using"/>). The separator is detected (, ; tab |).
    ///
    /// Field counts: every row has as many fields as the header names. The one exception is the
    /// UCI occupancy files' documented form: the header is one name short because each row starts
    /// with an unnamed row id, which is dropped. Any other extra or missing field is an error
    /// naming the line.
    /// </summary>
    public sealed class SensorTable
    {
        public string Path { get; }
        public string[] Columns { get; }
        /// <summary>Milliseconds since 1970-01-01 per row, or null when the table has no time column.</summary>
        public long[] TimestampsMs { get; }
        /// <summary>Group (sensor node) index per row, or null without a group column.</summary>
        public int[] GroupIds { get; }
        /// <summary>The group values in order of first appearance.</summary>
        public string[] GroupNames { get; }
        /// <summary>1-based file line of each row (for error messages).</summary>
        public int[] Lines { get; }
        /// <summary>The columns that make up the time (excluded from numbers).</summary>
        public string[] TimeColumns { get; }
        public CsvOptions Options { get; }
        private readonly string[][] cells; // [column][row], trimmed
        private readonly double[][] parsed; // [column][row] cache

        private SensorTable(string path, string[] columns, string[][] cells, int[] lines, long[] times, int[] groups, string[] groupNames, string[] timeColumns, CsvOptions options)
        {
            Path = path; Columns = columns; this.cells = cells; Lines = lines; TimestampsMs = times; GroupIds = groups;
            GroupNames = groupNames; TimeColumns = timeColumns ?? Array.Empty<string>(); Options = options;
            parsed = new double[columns.Length][];
        }

        public int RowCount => Lines.Length;
        public int GroupCount => GroupNames?.Length ?? 1;

        public int ColumnIndex(string name)
        {
            int index = Find(Columns, name);
            if (index < 0) throw new ArgumentException($"{Path}: no column named '{name}'. Columns: {string.Join(", ", Columns)}");
            return index;
        }

        public bool HasColumn(string name) => Find(Columns, name) >= 0;

        private static int Find(string[] columns, string name)
        {
            for (int i = 0; i < columns.Length; i++)
                if (string.Equals(columns[i], name?.Trim(), StringComparison.OrdinalIgnoreCase)) return i;
            return -1;
        }

        /// <summary>The cells of a column as text.</summary>
        public string[] Text(string name) => cells[ColumnIndex(name)];

        /// <summary>True for the cells that mean "no value": empty, NA, N/A, NaN, null.</summary>
        public static bool IsMissing(string cell) => cell.Length == 0
            || cell.Equals("NA", StringComparison.OrdinalIgnoreCase) || cell.Equals("N/A", StringComparison.OrdinalIgnoreCase)
            || cell.Equals("NaN", StringComparison.OrdinalIgnoreCase) || cell.Equals("null", StringComparison.OrdinalIgnoreCase);

        /// <summary>The values of a numeric column, one per row; the first bad cell is reported with its line and column.</summary>
        public double[] Column(string name)
        {
            int index = ColumnIndex(name);
            if (TimeColumns.Any(t => string.Equals(t, Columns[index], StringComparison.OrdinalIgnoreCase)))
                throw new ArgumentException($"{Path}: column '{name}' holds timestamps, not numbers");
            if (parsed[index] != null) return parsed[index];
            string[] column = cells[index];
            var values = new double[column.Length];
            for (int r = 0; r < column.Length; r++)
            {
                string cell = column[r];
                if (IsMissing(cell))
                    throw new InvalidDataException($"{Path}:{Lines[r]}: column '{Columns[index]}' has no value ('{cell}'); use --missing skip or --missing previous to accept gaps");
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || double.IsInfinity(v))
                    throw new InvalidDataException($"{Path}:{Lines[r]}: '{cell}' in column '{Columns[index]}' is not a number");
                values[r] = v;
            }
            parsed[index] = values;
            return values;
        }

        /// <summary>
        /// The table restricted to what these columns need, by <see cref="CsvOptions.Missing"/>:
        /// error leaves it as it is (Column reports a gap), skip drops rows with a gap in any of
        /// them, previous fills a gap with the same node's last value (a gap before any value is an error).
        /// </summary>
        public SensorTable Using(params string[] columns)
        {
            if (Options.Missing == CsvOptions.MissingError) return this;
            int[] used = columns.Where(c => c != null).Select(ColumnIndex).Distinct().ToArray();
            if (used.Length == 0) return this;
            if (Options.Missing == CsvOptions.MissingSkip)
            {
                var keep = new List<int>();
                for (int r = 0; r < RowCount; r++)
                    if (!used.Any(c => IsMissing(cells[c][r]))) keep.Add(r);
                if (keep.Count == 0) throw new InvalidDataException($"{Path}: every row has a gap in {string.Join(", ", used.Select(c => Columns[c]))} (--missing skip left nothing)");
                return Rows(keep.ToArray());
            }
            var filled = (string[][])cells.Clone();
            foreach (int c in used)
            {
                string[] column = (string[])cells[c].Clone();
                var last = new string[GroupCount];
                for (int r = 0; r < RowCount; r++)
                {
                    int g = GroupIds?[r] ?? 0;
                    if (!IsMissing(column[r])) { last[g] = column[r]; continue; }
                    column[r] = last[g] ?? throw new InvalidDataException($"{Path}:{Lines[r]}: column '{Columns[c]}' has no value and no earlier value to repeat (--missing previous)");
                }
                filled[c] = column;
            }
            return new SensorTable(Path, Columns, filled, Lines, TimestampsMs, GroupIds, GroupNames, TimeColumns, Options);
        }

        /// <summary>Rows [start, start+count) as a new table.</summary>
        public SensorTable Slice(int start, int count)
        {
            if (start < 0 || count < 0 || start + count > RowCount)
                throw new ArgumentException($"{Path}: rows {start}..{start + count} are outside 0..{RowCount}");
            return Rows(Enumerable.Range(start, count).ToArray());
        }

        /// <summary>The rows of one sensor node (a value of the group column), in file order; an unknown node is an error listing the nodes.</summary>
        public SensorTable OfGroup(string node)
        {
            if (GroupNames == null) throw new ArgumentException($"{Path}: no group column to pick node '{node}' from (give --group COL)");
            int id = Array.FindIndex(GroupNames, g => string.Equals(g, node?.Trim(), StringComparison.Ordinal));
            if (id < 0) throw new ArgumentException($"{Path}: node '{node}' is not in group column '{Options.Group}' (nodes: {string.Join(", ", GroupNames.Take(10))}{(GroupNames.Length > 10 ? ", …" : "")})");
            return Rows(Enumerable.Range(0, RowCount).Where(r => GroupIds[r] == id).ToArray());
        }

        private SensorTable Rows(int[] rows)
        {
            var c = new string[cells.Length][];
            for (int k = 0; k < c.Length; k++) c[k] = rows.Select(r => cells[k][r]).ToArray();
            return new SensorTable(Path, Columns, c, rows.Select(r => Lines[r]).ToArray(), TimestampsMs == null ? null : rows.Select(r => TimestampsMs[r]).ToArray(),
                GroupIds == null ? null : rows.Select(r => GroupIds[r]).ToArray(), GroupNames, TimeColumns, Options);
        }

        /// <summary>Loads a CSV with a header whose timestamp column is timeColumn (null or "none": no time column).</summary>
        public static SensorTable Load(string path, string timeColumn = "date") => Load(path, CsvOptions.WithTime(timeColumn));

        /// <summary>Loads a CSV (see the class summary). Numbers are parsed when a column is used.</summary>
        public static SensorTable Load(string path, CsvOptions options)
        {
            options ??= CsvOptions.Default();
            options.Validate();
            using var reader = new StreamReader(InputFiles.OpenInput(path, InputFiles.MaxDataBytes, "data file"));
            using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = false, SkipEmptyLines = true, TrackLineNumbers = true, TrimWhitespace = true }, false);
            if (!csv.Read()) throw new InvalidDataException($"{path}: the file is empty");
            string[] first = Fields(csv);
            string[] header;
            var rows = new List<string[]>();
            var lines = new List<int>();
            int skip = 0;
            if (options.HasHeader)
            {
                header = first.Select((h, i) => h.Length == 0 ? "c" + (i + 1) : h).ToArray();
                var duplicate = header.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
                if (duplicate != null) throw new InvalidDataException($"{path}: the header names column '{duplicate.Key}' twice");
            }
            else
            {
                header = Enumerable.Range(1, first.Length).Select(i => "c" + i).ToArray();
                rows.Add(first);
                lines.Add((int)csv.LineNumber);
            }
            bool decided = !options.HasHeader;
            while (csv.Read())
            {
                string[] record = Fields(csv);
                int line = (int)csv.LineNumber;
                if (record.Length == 1 && record[0].Length == 0) continue;
                if (!decided)
                {
                    // The occupancy files' row-id form: the header is one name short of every row.
                    if (record.Length == header.Length + 1) skip = 1;
                    decided = true;
                }
                if (record.Length != header.Length + skip)
                    throw new InvalidDataException($"{path}:{line}: {record.Length} fields, but " + (skip == 1
                        ? $"rows of this file have a row id and {header.Length} values ({header.Length + 1} fields)"
                        : $"the header names {header.Length} columns ({string.Join(", ", header)})"));
                rows.Add(skip == 0 ? record : record[1..]);
                lines.Add(line);
            }
            if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows" + (options.HasHeader ? " after the header" : ""));

            var cells = new string[header.Length][];
            for (int c = 0; c < header.Length; c++)
            {
                var column = new string[rows.Count];
                for (int r = 0; r < rows.Count; r++) column[r] = rows[r][c];
                cells[c] = column;
            }
            int[] lineArray = lines.ToArray();

            string[] timeColumns = null;
            long[] times = null;
            if (options.TimeColumns != null && options.TimeColumns.Length > 0)
            {
                int[] timeIndex = options.TimeColumns.Select(t => Find(header, t)).ToArray();
                for (int k = 0; k < timeIndex.Length; k++)
                    if (timeIndex[k] < 0)
                        throw new InvalidDataException($"{path}: no time column '{options.TimeColumns[k]}'. Columns: {string.Join(", ", header)} (use --time-column none for a file without time)");
                timeColumns = timeIndex.Select(i => header[i]).ToArray();
                times = new long[rows.Count];
                for (int r = 0; r < rows.Count; r++)
                {
                    string text = string.Join(" ", timeIndex.Select(i => cells[i][r]));
                    if (!options.TryParseTime(text, out times[r]))
                        throw new InvalidDataException($"{path}:{lineArray[r]}: '{text}' in column {string.Join("+", timeColumns.Select(t => "'" + t + "'"))} is not a timestamp in {options.TimeFormatDescription}");
                }
            }

            int[] groups = null;
            string[] groupNames = null;
            if (options.Group != null)
            {
                int g = Find(header, options.Group);
                if (g < 0) throw new InvalidDataException($"{path}: no group column '{options.Group}'. Columns: {string.Join(", ", header)}");
                var ids = new Dictionary<string, int>(StringComparer.Ordinal);
                groups = new int[rows.Count];
                for (int r = 0; r < rows.Count; r++)
                {
                    if (!ids.TryGetValue(cells[g][r], out int id)) ids[cells[g][r]] = id = ids.Count;
                    groups[r] = id;
                }
                groupNames = ids.OrderBy(p => p.Value).Select(p => p.Key).ToArray();
            }
            return new SensorTable(path, header, cells, lineArray, times, groups, groupNames, timeColumns, options);
        }

        private static string[] Fields(CsvReader csv)
        {
            var fields = new string[csv.FieldCount];
            for (int i = 0; i < fields.Length; i++) fields[i] = csv.GetString(i).Trim();
            return fields;
        }
    }
}
