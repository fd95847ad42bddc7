using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace TinTin.NanoRefGen
{
    /// <summary>One assembly's API listing: `# Public API of NAME VERSION ...` then `<type> | <signature>` lines.</summary>
    public sealed class ApiAssembly
    {
        public string Name;
        public string Version;
        public string SourceFile;
        public readonly List<ApiType> Types = new List<ApiType>();

        public static ApiAssembly Load(string path)
        {
            var asm = new ApiAssembly { SourceFile = path };
            var byName = new Dictionary<string, ApiType>(StringComparer.Ordinal);
            var memberLines = new List<(string type, string sig, int line)>();
            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].TrimEnd();
                if (line.Length == 0) continue;
                if (line.StartsWith("#", StringComparison.Ordinal))
                {
                    const string marker = "# Public API of ";
                    if (line.StartsWith(marker, StringComparison.Ordinal) && asm.Name == null)
                    {
                        string[] parts = line.Substring(marker.Length).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        asm.Name = parts[0];
                        asm.Version = parts.Length > 1 ? parts[1] : "1.0.0.0";
                    }
                    continue;
                }
                int bar = line.IndexOf(" | ", StringComparison.Ordinal);
                if (bar < 0) throw new FormatException(path + ":" + (i + 1) + ": expected '<type> | <signature>', got: " + line);
                string type = line.Substring(0, bar).Trim();
                string sig = line.Substring(bar + 3).Trim();
                if (TypeDecl.TryParse(sig, type, out TypeDecl decl))
                {
                    if (byName.ContainsKey(type)) throw new FormatException(path + ":" + (i + 1) + ": type declared twice: " + type);
                    var t = new ApiType { FullName = type, Decl = decl, Assembly = asm };
                    byName.Add(type, t);
                    asm.Types.Add(t);
                }
                else
                {
                    memberLines.Add((type, sig, i + 1));
                }
            }
            if (asm.Name == null) throw new FormatException(path + ": missing header line '# Public API of <assembly> <version>'");
            foreach (var (type, sig, line) in memberLines)
            {
                if (!byName.TryGetValue(type, out ApiType t))
                    throw new FormatException(path + ":" + line + ": member of a type with no declaration line: " + type);
                t.MemberLines.Add(sig);
            }
            // Nesting: the longest dotted prefix that is itself a declared type is the containing type.
            foreach (ApiType t in asm.Types)
            {
                List<string> parts = Names.SplitDotted(t.FullName);
                for (int n = parts.Count - 1; n >= 1; n--)
                {
                    string prefix = string.Join(".", parts.Take(n));
                    if (byName.TryGetValue(prefix, out ApiType parent))
                    {
                        t.Parent = parent;
                        parent.Nested.Add(t);
                        break;
                    }
                }
                t.SimpleName = parts[parts.Count - 1];
                if (t.Parent == null) t.Namespace = string.Join(".", parts.Take(parts.Count - 1));
            }
            return asm;
        }
    }

    public sealed class ApiType
    {
        public string FullName;
        public string SimpleName;
        public string Namespace;
        public TypeDecl Decl;
        public ApiAssembly Assembly;
        public ApiType Parent;
        public readonly List<ApiType> Nested = new List<ApiType>();
        public readonly List<string> MemberLines = new List<string>();
        public List<Member> Members;

        /// <summary>Metadata-style key: generic arity instead of parameter names (System.Action`1).</summary>
        public string Key => Names.Key(FullName);
        public bool IsClass => Decl.Kind == "class";
        public bool IsInterface => Decl.Kind == "interface";
        public bool IsStatic => Decl.Modifiers.Contains("static");
        public bool IsAbstract => Decl.Modifiers.Contains("abstract");
        public override string ToString() => FullName;
    }

    /// <summary>`public [static|abstract|sealed] class|struct|interface|enum NAME [: bases]` or `public delegate RET NAME(params)`.</summary>
    public sealed class TypeDecl
    {
        public string Access;
        public readonly List<string> Modifiers = new List<string>();
        public string Kind;          // class, struct, interface, enum, delegate
        public readonly List<string> Bases = new List<string>();
        public string DelegateReturn;
        public string DelegateParams;

        static readonly string[] Kinds = { "class", "struct", "interface", "enum", "delegate" };

        public static bool TryParse(string sig, string typeName, out TypeDecl decl)
        {
            decl = null;
            var words = sig.Split(' ');
            int i = 0;
            var d = new TypeDecl();
            if (i < words.Length && (words[i] == "public" || words[i] == "protected")) d.Access = words[i++];
            else return false;
            while (i < words.Length && (words[i] == "static" || words[i] == "abstract" || words[i] == "sealed" || words[i] == "readonly"))
                d.Modifiers.Add(words[i++]);
            if (i >= words.Length || Array.IndexOf(Kinds, words[i]) < 0) return false;
            d.Kind = words[i++];
            string rest = string.Join(" ", words.Skip(i));
            if (d.Kind == "delegate")
            {
                // RET NAME(params)
                int sp = Names.IndexOfTopLevel(rest, ' ');
                d.DelegateReturn = rest.Substring(0, sp);
                string nameAndParams = rest.Substring(sp + 1);
                if (!nameAndParams.StartsWith(typeName + "(", StringComparison.Ordinal)) return false;
                d.DelegateParams = nameAndParams.Substring(typeName.Length + 1, nameAndParams.Length - typeName.Length - 2);
            }
            else
            {
                if (!rest.StartsWith(typeName, StringComparison.Ordinal)) return false;
                string tail = rest.Substring(typeName.Length).Trim();
                if (tail.StartsWith(":", StringComparison.Ordinal))
                    foreach (string b in Names.SplitTopLevel(tail.Substring(1), ','))
                        d.Bases.Add(b.Trim());
                else if (tail.Length > 0) return false;
            }
            decl = d;
            return true;
        }
    }

    public static class Names
    {
        public static string Key(string fullName)
        {
            // System.Action<T1,T2> -> System.Action`2 (for every generic segment).
            var sb = new StringBuilder();
            foreach (string part in SplitDotted(fullName))
            {
                if (sb.Length > 0) sb.Append('.');
                int lt = part.IndexOf('<');
                if (lt < 0) { sb.Append(part); continue; }
                sb.Append(part, 0, lt).Append('`').Append(SplitTopLevel(part.Substring(lt + 1, part.Length - lt - 2), ',').Count);
            }
            return sb.ToString();
        }

        /// <summary>Splits on dots that are outside angle brackets.</summary>
        public static List<string> SplitDotted(string s) => SplitTopLevel(s, '.');

        public static List<string> SplitTopLevel(string s, char sep)
        {
            var result = new List<string>();
            int depth = 0, start = 0;
            bool inQuote = false; char quote = '\0';
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (inQuote)
                {
                    if (c == '\\') { i++; continue; }
                    if (c == quote) inQuote = false;
                    continue;
                }
                if (c == '"' || c == '\'') { inQuote = true; quote = c; }
                else if (c == '<' || c == '(' || c == '[') depth++;
                else if (c == '>' || c == ')' || c == ']') depth--;
                else if (c == sep && depth == 0) { result.Add(s.Substring(start, i - start)); start = i + 1; }
            }
            result.Add(s.Substring(start));
            return result;
        }

        public static int IndexOfTopLevel(string s, char c)
        {
            int depth = 0;
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] == '<' || s[i] == '(' || s[i] == '[') depth++;
                else if (s[i] == '>' || s[i] == ')' || s[i] == ']') depth--;
                else if (s[i] == c && depth == 0) return i;
            }
            return -1;
        }
    }
}
