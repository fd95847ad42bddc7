using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace TinTin.Cli
{
    /// <summary>Minimal RFC 4180 CSV: quote fields with comma, quote or newline; read them back.</summary>
    public static class Csv
    {
        /// <summary>
        /// One field, quoted when needed. A cell a spreadsheet would run as a formula (starting with
        /// = + - @, tab or CR, and not a plain number) gets a leading apostrophe, as the OWASP CSV
        /// injection guidance advises; negative numbers stay numbers.
        /// </summary>
        public static string Field(string value)
        {
            if (value == null) return "";
            if (value.Length > 0 && "=+-@\t\r".IndexOf(value[0]) >= 0 && !IsPlainNumber(value)) value = "'" + value;
            if (value.IndexOfAny(new[] { ',', '"', '\n', '\r' }) < 0) return value;
            return "\"" + value.Replace("\"", "\"\"") + "\"";
        }

        private static bool IsPlainNumber(string value) =>
            double.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign | System.Globalization.NumberStyles.AllowDecimalPoint,
                System.Globalization.CultureInfo.InvariantCulture, out _);

        public static string Line(IEnumerable<string> fields)
        {
            var builder = new StringBuilder();
            bool first = true;
            foreach (string field in fields)
            {
                if (!first) builder.Append(',');
                builder.Append(Field(field));
                first = false;
            }
            return builder.ToString();
        }

        /// <summary>Reads records (a quoted field may span lines). Yields (line number of the record's start, fields).</summary>
        public static IEnumerable<(int Line, string[] Fields)> Read(TextReader reader, string path)
        {
            int lineNumber = 0;
            string line;
            while ((line = reader.ReadLine()) != null)
            {
                lineNumber++;
                int start = lineNumber;
                if (line.Length == 0) continue;
                var fields = new List<string>();
                var field = new StringBuilder();
                bool quoted = false;
                int i = 0;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        if (!quoted) break;
                        string next = reader.ReadLine();
                        if (next == null) throw new InvalidDataException(path + ":" + start + ": a quoted field is never closed");
                        lineNumber++;
                        field.Append('\n');
                        line = next;
                        i = 0;
                        continue;
                    }
                    char c = line[i++];
                    if (quoted)
                    {
                        if (c == '"')
                        {
                            if (i < line.Length && line[i] == '"') { field.Append('"'); i++; }
                            else quoted = false;
                        }
                        else field.Append(c);
                    }
                    else if (c == '"' && field.Length == 0) quoted = true;
                    else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
                    else field.Append(c);
                }
                fields.Add(field.ToString());
                yield return (start, fields.ToArray());
            }
        }
    }
}
