using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace TinTin.NanoRefGen
{
    public sealed class Param
    {
        public string Modifier = "";   // params, ref, out, in, this
        public string Type;
        public string Name;
        public string Default;         // null when none
    }

    /// <summary>One listed member, parsed from its signature text.</summary>
    public sealed class Member
    {
        public string Kind;            // ctor, method, property, indexer, field, event, operator, finalizer, enumValue
        public string Access = "";
        public readonly List<string> Modifiers = new List<string>();
        public string Type;            // return / field / property / event type
        public string Name;            // includes generic parameters for generic methods
        public List<Param> Params = new List<Param>();
        public bool Get, Set;
        public string Value;           // const or enum value as listed
        public bool Extension;
        public string Source;

        static readonly HashSet<string> ModifierWords = new HashSet<string>
        {
            "public", "protected", "internal", "private", "static", "abstract", "virtual", "override",
            "sealed", "readonly", "const", "extern", "new", "unsafe", "volatile",
        };

        public bool Is(string modifier) => Modifiers.Contains(modifier);

        public static Member Parse(string sig)
        {
            var m = new Member { Source = sig };
            string s = sig;
            if (s.StartsWith("enum ", StringComparison.Ordinal))
            {
                int eq = s.IndexOf(" = ", StringComparison.Ordinal);
                m.Kind = "enumValue";
                m.Name = s.Substring(5, eq - 5).Trim();
                m.Value = s.Substring(eq + 3).Trim();
                return m;
            }
            if (s.EndsWith(" [extension]", StringComparison.Ordinal))
            {
                m.Extension = true;
                s = s.Substring(0, s.Length - " [extension]".Length);
            }
            // Modifiers.
            while (true)
            {
                int sp = s.IndexOf(' ');
                if (sp < 0) break;
                string w = s.Substring(0, sp);
                if (!ModifierWords.Contains(w)) break;
                if (w == "public" || w == "protected" || w == "internal" || w == "private")
                    m.Access = m.Access.Length == 0 ? w : m.Access + " " + w;
                else m.Modifiers.Add(w);
                s = s.Substring(sp + 1);
            }
            if (s.StartsWith(".ctor(", StringComparison.Ordinal))
            {
                m.Kind = "ctor";
                m.Params = ParseParams(s.Substring(6, s.Length - 7));
                return m;
            }
            if (s.StartsWith("event ", StringComparison.Ordinal))
            {
                m.Kind = "event";
                string rest = s.Substring(6);
                int sp = Names.IndexOfTopLevel(rest, ' ');
                m.Type = rest.Substring(0, sp);
                m.Name = rest.Substring(sp + 1);
                return m;
            }
            bool isOperator = false;
            if (s.StartsWith("operator ", StringComparison.Ordinal))
            {
                isOperator = true;
                s = s.Substring(9);
            }
            int typeEnd = Names.IndexOfTopLevel(s, ' ');
            if (typeEnd < 0) throw new FormatException("cannot parse member: " + sig);
            m.Type = s.Substring(0, typeEnd);
            string tail = s.Substring(typeEnd + 1);
            if (tail.StartsWith("this[", StringComparison.Ordinal))
            {
                m.Kind = "indexer";
                int close = Names.IndexOfTopLevel(tail.Substring(4), ' ');
                int end = tail.IndexOf("] {", StringComparison.Ordinal);
                m.Params = ParseParams(tail.Substring(5, end - 5));
                ParseAccessors(m, tail.Substring(end + 2));
                m.Name = "this";
                return m;
            }
            int paren = tail.IndexOf('(');
            int brace = tail.IndexOf(" {", StringComparison.Ordinal);
            int eqIdx = tail.IndexOf(" = ", StringComparison.Ordinal);
            if (brace >= 0 && (paren < 0 || brace < paren))
            {
                m.Kind = "property";
                m.Name = tail.Substring(0, brace);
                ParseAccessors(m, tail.Substring(brace + 1));
                return m;
            }
            if (paren >= 0 && (eqIdx < 0 || paren < eqIdx))
            {
                m.Kind = isOperator ? "operator" : "method";
                m.Name = tail.Substring(0, paren);
                if (!tail.EndsWith(")", StringComparison.Ordinal)) throw new FormatException("cannot parse member: " + sig);
                m.Params = ParseParams(tail.Substring(paren + 1, tail.Length - paren - 2));
                if (m.Kind == "method" && m.Name == "Finalize" && m.Params.Count == 0 && m.Access == "protected") m.Kind = "finalizer";
                return m;
            }
            m.Kind = "field";
            if (eqIdx >= 0)
            {
                m.Name = tail.Substring(0, eqIdx);
                m.Value = tail.Substring(eqIdx + 3);
            }
            else m.Name = tail;
            return m;
        }

        static void ParseAccessors(Member m, string accessors)
        {
            // "{ get; }", "{ get; set; }", "{ set; }"
            m.Get = accessors.Contains("get;");
            m.Set = accessors.Contains("set;");
            if (!m.Get && !m.Set) throw new FormatException("cannot parse accessors: " + accessors);
        }

        public static List<Param> ParseParams(string text)
        {
            var list = new List<Param>();
            if (text.Trim().Length == 0) return list;
            foreach (string raw in Names.SplitTopLevel(text, ','))
            {
                string p = raw.Trim();
                var prm = new Param();
                int eq = p.IndexOf(" = ", StringComparison.Ordinal);
                if (eq >= 0) { prm.Default = p.Substring(eq + 3).Trim(); p = p.Substring(0, eq); }
                foreach (string mod in new[] { "params ", "ref ", "out ", "in ", "this " })
                    if (p.StartsWith(mod, StringComparison.Ordinal)) { prm.Modifier = mod.Trim(); p = p.Substring(mod.Length); break; }
                int sp = Names.IndexOfTopLevel(p, ' ');
                if (sp < 0) throw new FormatException("cannot parse parameter: " + raw);
                prm.Type = p.Substring(0, sp);
                prm.Name = p.Substring(sp + 1);
                list.Add(prm);
            }
            return list;
        }
    }

    /// <summary>Turns listed type names into C# that resolves anywhere: dotted names get a global:: prefix.</summary>
    public static class CSharp
    {
        static readonly Regex Dotted = new Regex(@"(?<![\w.:])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)", RegexOptions.Compiled);
        static readonly HashSet<string> Keywords = new HashSet<string>
        {
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
            "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
            "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
            "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
            "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
            "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
            "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
        };

        public static string Type(string listed) => Dotted.Replace(listed, "global::$1");

        public static string Ident(string name) => Keywords.Contains(name) ? "@" + name : name;

        public static string Params(List<Param> ps, bool withDefaults = true, bool extension = false)
        {
            var parts = new List<string>();
            for (int i = 0; i < ps.Count; i++)
            {
                Param p = ps[i];
                string mod = p.Modifier;
                if (extension && i == 0) mod = "this";
                string text = (mod.Length > 0 ? mod + " " : "") + Type(p.Type) + " " + Ident(p.Name);
                if (withDefaults && p.Default != null) text += " = " + Literal(p.Default, p.Type);
                parts.Add(text);
            }
            return string.Join(", ", parts);
        }

        /// <summary>A listed constant / default value as a C# constant expression of the given type.</summary>
        public static string Literal(string value, string type)
        {
            switch (value)
            {
                case "True": return "true";
                case "False": return "false";
                case "null": return "null";
            }
            if (type == "double" || type == "float")
            {
                string suffix = type == "float" ? "F" : "D";
                switch (value)
                {
                    case "NaN": return "0.0" + suffix + " / 0.0" + suffix;
                    case "Infinity": return "1.0" + suffix + " / 0.0" + suffix;
                    case "-Infinity": return "-1.0" + suffix + " / 0.0" + suffix;
                }
                return value + suffix;
            }
            if (value.StartsWith("\"", StringComparison.Ordinal) || value.StartsWith("'", StringComparison.Ordinal)) return value;
            if (Regex.IsMatch(value, @"^-?\d+$"))
            {
                switch (type)
                {
                    case "int": case "long": case "short": case "sbyte": case "byte": case "ushort": case "uint": case "ulong": case "char":
                        return type == "char" ? "(char)" + value : value;
                    default:
                        // Enum-typed defaults are listed as their numeric value.
                        return value == "0" ? "0" : "(" + Type(type) + ")(" + value + ")";
                }
            }
            throw new FormatException("cannot translate constant '" + value + "' of type " + type);
        }
    }
}
