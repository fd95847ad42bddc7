namespace TinTin.Firmware
{
    /// <summary>Constants of the serial protocol (docs/PROTOCOL.md): prefix, version, kinds, keys.</summary>
    public static class Protocol
    {
        public const string Prefix = "TT";
        public const int Version = 1;
        public const int MaxLineChars = 200;

        // kinds, board → host
        public const string Hello = "hello";
        public const string Stat = "stat";
        public const string Pred = "pred";
        public const string Upd = "upd";
        public const string Ckpt = "ckpt";
        public const string Sel = "sel";
        public const string Ok = "ok";
        public const string Err = "err";
        public const string Help = "help";
        public const string FleetLine = "fleet";

        // error codes
        public const string BadCommand = "bad_command";
        public const string BadArgument = "bad_argument";
        public const string SensorError = "sensor";
        public const string FlashError = "flash";
        public const string UpdateError = "update";
        public const string FleetError = "fleet";
        /// <summary>`restore` with no model kept from before a reset.</summary>
        public const string NothingKept = "nothing_kept";

        /// <summary>Characters a value may hold: the token set [A-Za-z0-9._:/+-] plus '_' (free text).</summary>
        public static bool IsValueChar(char c)
        {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == ':' || c == '/' || c == '+' || c == '-';
        }

        /// <summary>
        /// Parses a decimal integer: optional '-', 1 to 18 digits, nothing else. The same on board and
        /// host (no culture, no whitespace, no '+').
        /// </summary>
        public static bool TryParseLong(string s, out long value)
        {
            value = 0;
            if (s == null) return false;
            int i = 0;
            bool negative = false;
            if (s.Length > 0 && s[0] == '-') { negative = true; i = 1; }
            int digits = s.Length - i;
            if (digits < 1 || digits > 18) return false;
            long v = 0;
            for (; i < s.Length; i++)
            {
                char c = s[i];
                if (c < '0' || c > '9') return false;
                v = v * 10 + (c - '0');
            }
            value = negative ? -v : v;
            return true;
        }

        /// <summary>Characters a key may hold: [a-z0-9_].</summary>
        public static bool IsKeyChar(char c)
        {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }
    }
}
