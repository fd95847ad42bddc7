using System.Text;

namespace TinTin.Cli
{
    /// <summary>
    /// Text from a board, made safe to show and to log: control characters (C0, DEL, C1 — ESC
    /// starts terminal escape sequences such as OSC 52, which writes the clipboard, or a window
    /// title change) are shown as \xHH instead of being executed, and a backslash as \\ so the
    /// visible form is unambiguous.
    /// </summary>
    public static class TerminalText
    {
        public static string Visible(string text)
        {
            if (text == null) return null;
            bool clean = true;
            foreach (char c in text) if (NeedsEscape(c)) { clean = false; break; }
            if (clean) return text;
            var builder = new StringBuilder(text.Length + 16);
            foreach (char c in text)
            {
                if (c == '\\') builder.Append("\\\\");
                else if (NeedsEscape(c)) builder.Append("\\x").Append(((int)c).ToString("X2"));
                else builder.Append(c);
            }
            return builder.ToString();
        }

        private static bool NeedsEscape(char c) => c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == '\\' || c > 0xFF;
    }
}
