using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace TinTin.Cli
{
    /// <summary>One row of a monitor/simulate CSV log: its kind, direction and integer columns.</summary>
    public sealed class LogRow
    {
        public int Line;
        public long HostMs;
        public string Dir;
        public string Kind;
        public Dictionary<string, long> Values = new Dictionary<string, long>();
        public string Raw;

        public bool Has(string key) => Values.ContainsKey(key);
        public long Get(string key) => Values[key];
        public long? Maybe(string key) => Values.TryGetValue(key, out long v) ? v : null;
    }

    /// <summary>
    /// Reads the CSV log written by `tintin monitor --log` (and `tintin simulate --log`). Strict: a
    /// file without the log's columns, a row with the wrong number of fields or a non-integer in a
    /// counter column is rejected with its line number, never half-plotted.
    /// </summary>
    public sealed class BoardLog
    {
        public string Path { get; }
        public List<LogRow> Rows { get; } = new List<LogRow>();

        private BoardLog(string path) { Path = path; }

        public IEnumerable<LogRow> Received(string kind) => Rows.Where(r => r.Dir == "rx" && r.Kind == kind);

        public static BoardLog Load(string path)
        {
            if (Directory.Exists(path)) throw CliException.Input(path + " is a folder, not a log file");
            var log = new BoardLog(path);
            using var reader = new StreamReader(TinTin.Reference.InputFiles.OpenInput(path, TinTin.Reference.InputFiles.MaxLogBytes, "log"));
            string[] header = null;
            int kindColumn = -1, dirColumn = -1, hostColumn = -1, rawColumn = -1;
            var keyColumns = new List<(int Index, string Name)>();
            foreach (var (line, fields) in Csv.Read(reader, path))
            {
                if (header == null)
                {
                    header = fields.Select(f => f.Trim()).ToArray();
                    kindColumn = Array.IndexOf(header, "kind");
                    dirColumn = Array.IndexOf(header, "dir");
                    hostColumn = Array.IndexOf(header, "host_ms");
                    rawColumn = Array.IndexOf(header, "raw");
                    if (kindColumn < 0 || hostColumn < 0)
                        throw CliException.Input(path + ": not a tintin board log: the header has no 'host_ms' and 'kind' columns (it has: "
                            + Shorten(string.Join(",", header)) + "). Write one with `tintin monitor PORT --log FILE.csv`.");
                    for (int i = 0; i < header.Length; i++)
                        if (MonitorLog.KeyColumns.Contains(header[i])) keyColumns.Add((i, header[i]));
                    if (keyColumns.Count == 0)
                        throw CliException.Input(path + ": the header names none of the stat/upd counters (acc_pm, heap, macs, uj, ...)");
                    continue;
                }
                if (fields.Length != header.Length)
                    throw CliException.Input(path + ":" + line + ": " + fields.Length + " fields, the header names " + header.Length);
                var row = new LogRow
                {
                    Line = line,
                    Kind = fields[kindColumn],
                    Dir = dirColumn >= 0 ? fields[dirColumn] : "rx",
                    Raw = rawColumn >= 0 ? fields[rawColumn] : "",
                };
                if (!long.TryParse(fields[hostColumn], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out row.HostMs) || row.HostMs > MaxValue || row.HostMs < -MaxValue)
                    throw CliException.Input(path + ":" + line + ": '" + Shorten(fields[hostColumn]) + "' in column 'host_ms' is not an integer within ±2^53");
                foreach (var (index, name) in keyColumns)
                {
                    string cell = fields[index].Trim();
                    if (cell.Length == 0) continue;
                    if (!long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                        throw CliException.Input(path + ":" + line + ": '" + Shorten(cell) + "' in column '" + name + "' is not an integer");
                    if (value > MaxValue || value < -MaxValue)
                        throw CliException.Input(path + ":" + line + ": " + value + " in column '" + name + "' is outside ±2^53 (no board counter gets there)");
                    row.Values[name] = value;
                }
                log.Rows.Add(row);
            }
            if (header == null) throw CliException.Input(path + ": the log is empty (no header line)");
            return log;
        }

        /// <summary>Largest counter magnitude accepted: 2^53, so time arithmetic and charts (double) stay exact and cannot overflow.</summary>
        public const long MaxValue = 1L << 53;

        private static string Shorten(string text) => text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }
}
