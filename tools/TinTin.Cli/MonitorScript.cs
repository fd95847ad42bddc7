using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace TinTin.Cli
{
    /// <summary>One step of what the monitor sends: a command line, or a pause.</summary>
    public readonly record struct ScriptItem(string Command, int WaitMs)
    {
        public bool IsWait => Command == null;
    }

    /// <summary>
    /// The monitor's commands to send (--send values and --script lines). `wait MS` is a pause only
    /// when the first word is exactly `wait` (any case) and MS is a whole number 0..MaxWaitMs;
    /// `wait` with anything else is an error, and a word that merely starts with "wait" (`waitx`)
    /// is a command like any other. A command must be one line (no CR/LF: a --send value with a
    /// newline would send two commands) of at most 200 characters.
    /// </summary>
    public static class MonitorScript
    {
        public const int MaxWaitMs = 600_000;

        /// <summary>Parses one item; returns null and the reason when it is not valid.</summary>
        public static ScriptItem? Parse(string text, out string error)
        {
            error = null;
            if (text.IndexOf('\n') >= 0 || text.IndexOf('\r') >= 0) { error = "holds a line break: give one command per --send"; return null; }
            string line = text.Trim();
            if (line.Length == 0) { error = "is empty"; return null; }
            foreach (char c in line)
                if (c < ' ' && c != '\t' || c == 0x7F) { error = "holds a control character"; return null; }
            string[] words = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (string.Equals(words[0], "wait", StringComparison.OrdinalIgnoreCase))
            {
                if (words.Length != 2 || !int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ms) || ms > MaxWaitMs)
                { error = "`wait` needs one whole number of milliseconds, 0.." + MaxWaitMs; return null; }
                return new ScriptItem(null, ms);
            }
            if (line.Length > ProtocolParser.MaxLineLength) { error = "is longer than " + ProtocolParser.MaxLineLength + " characters"; return null; }
            return new ScriptItem(line, 0);
        }

        /// <summary>--send values: a bad one is a usage error naming --send.</summary>
        public static List<ScriptItem> FromSend(IEnumerable<string> values)
        {
            var items = new List<ScriptItem>();
            foreach (string value in values)
            {
                ScriptItem? item = Parse(value ?? "", out string error);
                if (item == null) throw CliException.Usage("--send '" + TerminalText.Visible(Shorten(value ?? "")) + "' " + error);
                items.Add(item.Value);
            }
            return items;
        }

        /// <summary>A script file (a regular file of at most 1 MiB): `# comment` and blank lines are skipped; a bad line is an input error naming file:line.</summary>
        public static List<ScriptItem> Load(string path)
        {
            byte[] bytes;
            try { bytes = TinTin.Reference.InputFiles.ReadAllBytes(path, TinTin.Reference.InputFiles.MaxScriptBytes, "script"); }
            catch (FileNotFoundException) { throw CliException.Input("script not found: " + path); }
            var items = new List<ScriptItem>();
            using var reader = new StringReader(new UTF8Encoding(false, false).GetString(bytes));
            string raw;
            int number = 0;
            while ((raw = reader.ReadLine()) != null)
            {
                number++;
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith("#")) continue;
                ScriptItem? item = Parse(line, out string error);
                if (item == null) throw CliException.Input(path + ":" + number + ": '" + TerminalText.Visible(Shorten(line)) + "' " + error);
                items.Add(item.Value);
            }
            return items;
        }

        private static string Shorten(string text) => text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }
}
