namespace TinTin.Firmware
{
    /// <summary>Host → board command codes.</summary>
    public static class CommandCode
    {
        public const int None = 0;      // blank line: nothing to do, no reply
        public const int Error = 1;     // malformed: reply with err
        public const int Label = 2;
        public const int Save = 3;
        public const int Reset = 4;
        public const int Budget = 5;
        public const int Status = 6;
        public const int Help = 7;
        public const int Pred = 8;      // extension: pred on|off
        public const int Restore = 9;   // bring back the model kept since a reset
        public const int Fleet = 10;    // fleet [join|leave|status]: Arg1 0 status, 1 join, 2 leave

        public static string Name(int code)
        {
            switch (code)
            {
                case Label: return "label";
                case Save: return "save";
                case Reset: return "reset";
                case Budget: return "budget";
                case Status: return "status";
                case Help: return "help";
                case Pred: return "pred";
                case Restore: return "restore";
                case Fleet: return "fleet";
                default: return "none";
            }
        }
    }

    /// <summary>A parsed command; one instance is reused for every line (no allocation on the board's side beyond the line itself).</summary>
    public sealed class Command
    {
        public int Code;
        public long Arg1;
        public long Arg2;
        public bool HasArg1;
        public bool HasArg2;
        /// <summary>For Code == Error: bad_command or bad_argument.</summary>
        public string ErrorCode;
        /// <summary>For Code == Error: what is wrong (spaces allowed, the writer turns them into '_').</summary>
        public string ErrorMessage;

        public void Clear()
        {
            Code = CommandCode.None; Arg1 = 0; Arg2 = 0; HasArg1 = false; HasArg2 = false;
            ErrorCode = null; ErrorMessage = null;
        }
    }

    /// <summary>
    /// Parses host → board lines (docs/PROTOCOL.md): words separated by spaces or tabs, command names
    /// case-insensitive, integer arguments. Anything else — unknown words, missing, extra or
    /// non-numeric arguments, non-ASCII bytes, lines over 200 characters — becomes Code = Error
    /// with a code and a message; nothing here throws.
    /// </summary>
    public sealed class CommandParser
    {
        private const int MaxWords = 4;
        private readonly int[] wordStart = new int[MaxWords];
        private readonly int[] wordEnd = new int[MaxWords];

        public void Parse(string line, Command command)
        {
            command.Clear();
            if (line == null) return;
            int end = line.Length;
            while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n')) end--;
            if (end > Protocol.MaxLineChars) { Fail(command, Protocol.BadCommand, "line longer than 200 characters"); return; }
            int words = 0;
            int at = 0;
            while (at < end)
            {
                char c = line[at];
                if (c == ' ' || c == '\t') { at++; continue; }
                if (c < ' ' || c > '~') { Fail(command, Protocol.BadCommand, "line holds a control or non-ASCII character"); return; }
                if (words == MaxWords) { Fail(command, Protocol.BadArgument, "too many arguments"); return; }
                wordStart[words] = at;
                while (at < end && line[at] > ' ' && line[at] <= '~') at++;
                wordEnd[words] = at;
                words++;
            }
            if (words == 0) return; // blank line
            int code = Lookup(line, wordStart[0], wordEnd[0]);
            if (code == CommandCode.Error) { Fail(command, Protocol.BadCommand, "unknown command; try help"); return; }
            int required = 0, optional = 0;
            switch (code)
            {
                case CommandCode.Label: required = 1; optional = 1; break;
                case CommandCode.Budget: required = 1; optional = 1; break;
                case CommandCode.Pred: required = 1; optional = 0; break;
                case CommandCode.Reset: required = 0; optional = 1; break;
                case CommandCode.Fleet: required = 0; optional = 1; break;
            }
            int args = words - 1;
            if (args < required) { Fail(command, Protocol.BadArgument, NeedsAnArgument(code)); return; }
            if (args > required + optional) { Fail(command, Protocol.BadArgument, TooManyArgumentsFor(code)); return; }
            if (code == CommandCode.Pred)
            {
                if (WordIs(line, wordStart[1], wordEnd[1], "on") || WordIs(line, wordStart[1], wordEnd[1], "1")) command.Arg1 = 1;
                else if (WordIs(line, wordStart[1], wordEnd[1], "off") || WordIs(line, wordStart[1], wordEnd[1], "0")) command.Arg1 = 0;
                else { Fail(command, Protocol.BadArgument, "pred takes on or off"); return; }
                command.HasArg1 = true;
                command.Code = code;
                return;
            }
            if (code == CommandCode.Fleet)
            {
                if (args == 0 || WordIs(line, wordStart[1], wordEnd[1], "status")) command.Arg1 = 0;
                else if (WordIs(line, wordStart[1], wordEnd[1], "join")) command.Arg1 = 1;
                else if (WordIs(line, wordStart[1], wordEnd[1], "leave")) command.Arg1 = 2;
                else { Fail(command, Protocol.BadArgument, "fleet takes join, leave or status"); return; }
                command.HasArg1 = args == 1;
                command.Code = code;
                return;
            }
            if (code == CommandCode.Reset)
            {
                // `reset` alone only asks; `reset confirm` forgets (Arg1 = 1)
                if (args == 1 && !WordIs(line, wordStart[1], wordEnd[1], "confirm")) { Fail(command, Protocol.BadArgument, "reset takes only the word confirm"); return; }
                command.Arg1 = args;
                command.HasArg1 = args == 1;
                command.Code = code;
                return;
            }
            if (args >= 1)
            {
                if (!ParseNumber(line, wordStart[1], wordEnd[1], out command.Arg1)) { Fail(command, Protocol.BadArgument, "argument 1 is not a whole number"); return; }
                command.HasArg1 = true;
            }
            if (args >= 2)
            {
                if (!ParseNumber(line, wordStart[2], wordEnd[2], out command.Arg2)) { Fail(command, Protocol.BadArgument, "argument 2 is not a whole number"); return; }
                command.HasArg2 = true;
            }
            command.Code = code;
        }

        // The err messages are literals, never built per line: a burst of bad lines allocates nothing.
        private static string NeedsAnArgument(int code)
        {
            switch (code)
            {
                case CommandCode.Label: return "label needs an argument; try help";
                case CommandCode.Budget: return "budget needs an argument; try help";
                case CommandCode.Pred: return "pred needs an argument; try help";
                default: return "an argument is missing; try help";
            }
        }

        private static string TooManyArgumentsFor(int code)
        {
            switch (code)
            {
                case CommandCode.Label: return "too many arguments for label";
                case CommandCode.Save: return "too many arguments for save";
                case CommandCode.Reset: return "too many arguments for reset";
                case CommandCode.Budget: return "too many arguments for budget";
                case CommandCode.Status: return "too many arguments for status";
                case CommandCode.Help: return "too many arguments for help";
                case CommandCode.Pred: return "too many arguments for pred";
                case CommandCode.Restore: return "too many arguments for restore";
                case CommandCode.Fleet: return "too many arguments for fleet";
                default: return "too many arguments";
            }
        }

        private static void Fail(Command command, string code, string message)
        {
            command.Code = CommandCode.Error;
            command.ErrorCode = code;
            command.ErrorMessage = message;
        }

        private static int Lookup(string line, int start, int end)
        {
            if (WordIs(line, start, end, "label")) return CommandCode.Label;
            if (WordIs(line, start, end, "save")) return CommandCode.Save;
            if (WordIs(line, start, end, "reset")) return CommandCode.Reset;
            if (WordIs(line, start, end, "budget")) return CommandCode.Budget;
            if (WordIs(line, start, end, "status")) return CommandCode.Status;
            if (WordIs(line, start, end, "help")) return CommandCode.Help;
            if (WordIs(line, start, end, "pred")) return CommandCode.Pred;
            if (WordIs(line, start, end, "restore")) return CommandCode.Restore;
            if (WordIs(line, start, end, "fleet")) return CommandCode.Fleet;
            return CommandCode.Error;
        }

        /// <summary>Case-insensitive comparison of line[start..end) with a lowercase word.</summary>
        private static bool WordIs(string line, int start, int end, string word)
        {
            if (end - start != word.Length) return false;
            for (int i = 0; i < word.Length; i++)
            {
                char c = line[start + i];
                if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
                if (c != word[i]) return false;
            }
            return true;
        }

        /// <summary>Optional '-', 1 to 12 digits (no overflow is possible at that length).</summary>
        private static bool ParseNumber(string line, int start, int end, out long value)
        {
            value = 0;
            bool negative = false;
            if (start < end && line[start] == '-') { negative = true; start++; }
            if (end - start < 1 || end - start > 12) return false;
            long v = 0;
            for (int i = start; i < end; i++)
            {
                char c = line[i];
                if (c < '0' || c > '9') return false;
                v = v * 10 + (c - '0');
            }
            value = negative ? -v : v;
            return true;
        }
    }
}
