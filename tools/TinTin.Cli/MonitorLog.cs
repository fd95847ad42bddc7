using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TinTin.Cli
{
    /// <summary>
    /// The CSV log of a session with a board (monitor, simulate). One row per line in either
    /// direction: `stat` and `upd` lines have their keys as columns; every row keeps the raw line.
    /// Columns: host_ms (since the session started), dir (rx/tx), kind (the protocol kind, `noise`
    /// for a non-protocol line, `bad` for a rejected TT line, `cmd` for a command sent), the stat
    /// keys, the upd keys, extra (unknown stat/upd keys as k=v;k=v), raw.
    /// </summary>
    public sealed class MonitorLog : IDisposable
    {
        public static readonly string[] KeyColumns =
            ProtocolParser.StatKeys.Concat(ProtocolParser.UpdateKeys.Where(k => !ProtocolParser.StatKeys.Contains(k))).ToArray();

        public static readonly string[] Columns =
            new[] { "host_ms", "dir", "kind" }.Concat(KeyColumns).Concat(new[] { "extra", "raw" }).ToArray();

        private readonly TextWriter writer;
        private readonly bool ownsWriter;
        public int Rows { get; private set; }

        public MonitorLog(TextWriter writer, bool ownsWriter)
        {
            this.writer = writer;
            this.ownsWriter = ownsWriter;
            writer.WriteLine(Csv.Line(Columns));
            writer.Flush();
        }

        /// <summary>Creates the log file (its folder too); a clear input error when it cannot be written.</summary>
        public static MonitorLog Create(string path)
        {
            try
            {
                string folder = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
                return new MonitorLog(new StreamWriter(path, false) { AutoFlush = false }, true);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw CliException.Input("cannot write the log " + path + ": " + e.Message);
            }
        }

        public void Received(long hostMs, ProtocolLine line)
        {
            var row = new string[Columns.Length];
            row[0] = hostMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
            row[1] = "rx";
            row[2] = line.Kind;
            if (line.Kind == "stat" || line.Kind == "upd")
            {
                var extra = new List<string>();
                foreach (var pair in line.Pairs)
                {
                    int column = Array.IndexOf(KeyColumns, pair.Key);
                    if (column >= 0) row[3 + column] = pair.Value;
                    else extra.Add(pair.Key + "=" + pair.Value);
                }
                row[Columns.Length - 2] = string.Join(";", extra);
            }
            row[Columns.Length - 1] = line.Raw;
            Write(row);
        }

        public void Other(long hostMs, string dir, string kind, string raw)
        {
            var row = new string[Columns.Length];
            row[0] = hostMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
            row[1] = dir;
            row[2] = kind;
            row[Columns.Length - 1] = raw;
            Write(row);
        }

        private void Write(string[] row)
        {
            writer.WriteLine(Csv.Line(row));
            Rows++;
            if (Rows % 16 == 0) writer.Flush();
        }

        public void Flush() => writer.Flush();

        public void Dispose()
        {
            writer.Flush();
            if (ownsWriter) writer.Dispose();
        }
    }
}
