using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TinTin.Reference
{
    /// <summary>
    /// The one JSON writer of the tools' `--json` output (prepare, train, experiment, simulate): one
    /// object per run, snake_case field names chosen by the caller, the metric fields of
    /// <see cref="ClassMetrics.ToJson"/> (test_accuracy, balanced_accuracy, majority, per_class_recall,
    /// confusion) at the top level. NaN and infinities are written as "NaN"/"Infinity" strings rather than failing.
    /// </summary>
    public static class JsonReport
    {
        private static readonly JsonSerializerOptions Compact = new JsonSerializerOptions { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
        private static readonly JsonSerializerOptions Indented = new JsonSerializerOptions { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, WriteIndented = true };

        /// <summary>The command's report: metrics (may be null) plus "command" and the extra fields.</summary>
        public static Dictionary<string, object> For(string command, ClassMetrics metrics)
        {
            Dictionary<string, object> json = metrics?.ToJson() ?? new Dictionary<string, object>();
            json["command"] = command;
            return json;
        }

        public static string Serialize(object value, bool indented = false) => JsonSerializer.Serialize(value, indented ? Indented : Compact);

        /// <summary>One line of JSON on the writer (standard output of a `--json` run).</summary>
        public static void WriteLine(TextWriter output, object value) => output.WriteLine(Serialize(value));

        /// <summary>An indented JSON file (the selection study's --json FILE); creates the folder.</summary>
        public static void WriteFile(string path, object value)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(path));
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, Serialize(value, indented: true));
        }
    }
}
