using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// (a) Code that uses what nanoFramework lacks fails to compile against the real nanoFramework references
    /// (NuGet mscorlib, the runtime's ref/), with the error naming the missing API; the same code shape using what it has compiles.
    /// </summary>
    public class NanoSurfaceTests
    {
        static string Wrap(string usings, string members) =>
            usings + "\nnamespace Board\n{\n    public class C\n    {\n" + members + "\n    }\n}\n";

        public static IEnumerable<object[]> Violations()
        {
            // name, source, extra assemblies, expected diagnostic id, text the message must contain
            yield return new object[] { "List<T>", Wrap("using System.Collections.Generic;", "public object F() { return new List<int>(); }"), "", "CS0234", "'Generic' does not exist in the namespace 'System.Collections'" };
            yield return new object[] { "List<T> qualified", Wrap("", "public object F() { return new System.Collections.Generic.List<int>(); }"), "", "CS0234", "Generic" };
            yield return new object[] { "Dictionary<K,V>", Wrap("", "public object F() { return new System.Collections.Generic.Dictionary<int, int>(); }"), "", "CS0234", "Generic" };
            yield return new object[] { "LINQ using", Wrap("using System.Linq;", "public int F(int[] a) { return a.Length; }"), "", "CS0234", "'Linq'" };
            yield return new object[] { "LINQ call", Wrap("", "public int F(int[] a) { return a.Sum(); }"), "", "CS1061", "'Sum'" };
            yield return new object[] { "Span<T>", Wrap("", "public int F(int[] a) { System.Span<int> s = a; return s.Length; }"), "", "CS0234", "'Span<>'" };
            yield return new object[] { "int?", Wrap("", "public int? F() { return null; }"), "", "CS0518", "System.Nullable`1" };
            yield return new object[] { "T[,]", Wrap("", "public int F() { int[,] g = new int[2, 3]; return g.Length; }"), "", "NANO001", "int[,]" };
            yield return new object[] { "Math.Clamp(int) (only long/ulong/float/double overloads)", Wrap("", "public int F(int x) { return System.Math.Clamp(x, 0, 10); }"), "System.Math", "CS0266", "'long' to 'int'" };
            yield return new object[] { "Math without System.Math", Wrap("using System;", "public int F(int x) { return Math.Abs(x); }"), "", "CS0103", "'Math'" };
            yield return new object[] { "string.Join", Wrap("", "public string F(string[] p) { return string.Join(\",\", p); }"), "", "CS0117", "'Join'" };
            yield return new object[] { "string.Split(char[], options)", Wrap("", "public string[] F(string s) { return s.Split(new[] { ',' }, System.StringSplitOptions.RemoveEmptyEntries); }"), "", "CS0234", "'StringSplitOptions'" };
            yield return new object[] { "string interpolation", Wrap("", "public string F(int x) { return $\"x={x}\"; }"), "", "NANO003", "String interpolation" };
            yield return new object[] { "generic class", Wrap("", "public class Box<T> { public T Value; }"), "", "NANO002", "Box" };
            yield return new object[] { "generic method", Wrap("", "public T Id<T>(T x) { return x; }"), "", "NANO002", "Id" };
            yield return new object[] { "tuple", Wrap("", "public (int, int) F() { return (1, 2); }"), "", "CS8179", "System.ValueTuple`2" };
            yield return new object[] { "async/Task", Wrap("", "public async System.Threading.Tasks.Task F() { }"), "", "CS0234", "'Tasks'" };
            yield return new object[] { "unchecked (int) of a uint", Wrap("", "public long F(uint u) { return -(int)u; }"), "", "NANO005", "(int)(long)value" };
            yield return new object[] { "unchecked (int) of a uint expression", Wrap("", "public int F(uint a, int s) { return (int)((a + 1u) >> s); }"), "", "NANO005", "Unchecked (int) of a uint" };
            yield return new object[] { "unchecked (long) of a ulong", Wrap("", "public long F(ulong u) { return (long)u; }"), "", "NANO005", "Unchecked (long) of a ulong" };
            yield return new object[] { "iterator", Wrap("", "public System.Collections.IEnumerable F() { yield return 1; }"), "", "NANO004", "yield" };
            yield return new object[] { "StringBuilder without nanoFramework.System.Text", Wrap("", "public object F() { return new System.Text.StringBuilder(); }"), "", "CS0234", "'Text' does not exist in the namespace 'System'" };
        }

        [Theory]
        [MemberData(nameof(Violations))]
        public void UsingWhatNanoFrameworkLacksFailsNamingIt(string what, string source, string assemblies, string id, string fragment)
        {
            var errors = NanoCompiler.CompileSnippet(source, Split(assemblies));
            Assert.True(errors.Any(d => d.Id == id && d.GetMessage().Contains(fragment)),
                what + ": expected " + id + " mentioning \"" + fragment + "\", got:\n" + NanoCompiler.Format(errors));
        }

        static string[] Split(string assemblies) => assemblies.Length == 0 ? new string[0] : assemblies.Split(';');

        [Fact]
        public void TheSameShapesWithWhatNanoFrameworkHasCompile()
        {
            // Control for the test above: the failures come from the missing API, not a broken setup.
            string source = Wrap("using System; using System.Collections; using System.Text; using System.Diagnostics;", @"
        public int[] Flat = new int[2 * 3];
        public int[][] Jagged = new int[2][];
        public ArrayList List = new ArrayList();
        public Hashtable Table = new Hashtable();
        public string Describe(int x, string[] parts)
        {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < parts.Length; i++) { if (i > 0) sb.Append(','); sb.Append(parts[i]); }
            Debug.WriteLine(""x="" + x);
            return string.Format(""{0} {1}"", x, sb.ToString()) + x.ToString(""X4"") + ""a,b"".Split(',').Length;
        }
        public long Clamp(long x) { return Math.Clamp(x, 0L, 10L) + Math.Abs(-3) + Math.Max(1, 2); }
        public void Each(Action<int> f, EventHandler h) { foreach (int v in Flat) f(v); h(this, EventArgs.Empty); }
        public IEnumerator Items() { return List.GetEnumerator(); }
        public object Locked() { lock (Table) { using (IDisposable d = null) { } return Table[""k""]; } }
        public long Widen(uint u) { return -(int)(long)u + (int)(long)(u >> 3) + (int)0xFFFFu + (long)(u & 7u); }
        public string Switch(string s) { switch (s) { case ""a"": return ""A""; case ""b"": return ""B""; default: return s ?? """"; } }");
            var errors = NanoCompiler.CompileSnippet(source, "nanoFramework.System.Collections", "nanoFramework.System.Text", "System.Math");
            Assert.True(errors.IsEmpty, NanoCompiler.Format(errors));
        }
    }
}
