using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using TinTin.NanoRefGen;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// API listings (build/nano-api) stand in only for assemblies that have no real build in the
    /// runtime's ref/; tools/NanoRefGen turns them into reference assemblies compiled against the real
    /// mscorlib. The generated assemblies carry exactly the listed surface: every listed type with its
    /// kind, base type and interfaces, every listed member (name, kind, parameter types), and nothing
    /// public or protected beyond it. Read back from the DLLs with MetadataLoadContext. The generator is
    /// proven on a fixture listing (Fixtures/), generated into a temporary folder.
    /// </summary>
    public class StubSurfaceTests
    {
        static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures");
        static string AdditionsDir => Path.Combine(Repo.Root, "build", "nano-ref-additions");

        static readonly Lazy<(List<ApiAssembly> listings, string outDir)> Fixture = new Lazy<(List<ApiAssembly>, string)>(() =>
        {
            string outDir = Path.Combine(Path.GetTempPath(), "tintin-nanorefgen-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Generator.Run(FixtureDir, null, outDir, new[] { NanoReferences.CoreLibrary });
            return (Generator.Load(FixtureDir, null), outDir);
        });

        public static IEnumerable<object[]> FixtureAssemblies() => Generator.Load(FixtureDir, null).Select(a => new object[] { a.Name });

        [Fact]
        public void EveryListingStandsInForAnAssemblyWithNoRealBuildAndIsGenerated()
        {
            foreach (ApiAssembly a in Generator.Load(Repo.NanoApi, AdditionsDir))
            {
                Assert.False(NanoReferences.IsReal(a.Name), "build/nano-api lists " + a.Name + ", which the runtime has a real build of (ref/" + a.Name + ".dll): delete the listing, the board build uses the real assembly");
                Assert.True(File.Exists(Path.Combine(Repo.NanoRef, a.Name + ".dll")), a.Name + ".dll missing from build/nano-ref (build tools/NanoRefGen)");
            }
            foreach (string extra in Directory.GetFiles(AdditionsDir, "*.txt"))
                Assert.True(File.Exists(Path.Combine(Repo.NanoApi, Path.GetFileName(extra))), extra + " adds to a listing that no longer exists");
        }

        [Fact]
        public void TheGeneratorRejectsAnAdditionWithoutItsListing()
        {
            string dir = Path.Combine(Path.GetTempPath(), "tintin-additions-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(dir);
            try
            {
                File.WriteAllText(Path.Combine(dir, "No.Such.Assembly.txt"), "# Public API of No.Such.Assembly 1.0.0.0\nX.Y | public class X.Y\n");
                var e = Assert.Throws<GenerationException>(() => Generator.Load(FixtureDir, dir));
                Assert.Contains("no listing for assembly No.Such.Assembly", e.Message);
            }
            finally { Directory.Delete(dir, true); }
        }

        [Theory]
        [MemberData(nameof(FixtureAssemblies))]
        public void ReferenceAssemblyHasExactlyTheListedSurface(string name)
        {
            var (listings, outDir) = Fixture.Value;
            ApiAssembly listing = listings.Single(a => a.Name == name);
            var paths = Directory.GetFiles(outDir, "*.dll").Append(NanoReferences.CoreLibrary);
            using var mlc = new MetadataLoadContext(new PathAssemblyResolver(paths), "mscorlib");
            Assembly asm = mlc.LoadFromAssemblyPath(Path.Combine(outDir, name + ".dll"));
            Assert.Equal(listing.Version, asm.GetName().Version.ToString());
            var problems = new List<string>();
            var listedTypes = new HashSet<string>(StringComparer.Ordinal);
            foreach (ApiType t in listing.Types)
            {
                string metaName = MetadataName(t);
                listedTypes.Add(metaName);
                Type type = asm.GetType(metaName);
                if (type == null) { problems.Add("missing type " + t.FullName); continue; }
                CheckType(t, type, problems);
            }
            foreach (Type type in asm.GetTypes())
            {
                bool visible = type.IsPublic || type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamORAssem;
                if (visible && !listedTypes.Contains(type.FullName)) problems.Add("type not in the listing: " + type.FullName);
            }
            Assert.True(problems.Count == 0, name + ":\n  " + string.Join("\n  ", problems.Take(40)));
        }

        static string MetadataName(ApiType t) =>
            t.Parent == null ? Names.Key(t.FullName) : MetadataName(t.Parent) + "+" + Names.Key(t.SimpleName);

        static string Kind(Type type) =>
            type.IsInterface ? "interface" : type.IsEnum ? "enum" : type.IsValueType ? "struct"
            : type.BaseType != null && type.BaseType.FullName == "System.MulticastDelegate" ? "delegate" : "class";

        static void CheckType(ApiType t, Type type, List<string> problems)
        {
            if (Kind(type) != t.Decl.Kind) { problems.Add(t.FullName + ": is a " + Kind(type) + ", listed as " + t.Decl.Kind); return; }
            if (t.Decl.Kind == "delegate" || t.Decl.Kind == "enum")
            {
                if (t.Decl.Kind == "enum")
                {
                    var listed = t.Members.Select(m => m.Name + "=" + m.Value).OrderBy(x => x).ToList();
                    var actual = type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.Name + "=" + Convert.ToString(f.GetRawConstantValue())).OrderBy(x => x).ToList();
                    if (!listed.SequenceEqual(actual)) problems.Add(t.FullName + ": enum values differ");
                }
                return;
            }
            // Base class and the full interface set (the listings show all interfaces, inherited ones too).
            var bases = t.Decl.Bases.Select(Normalize).ToList();
            string baseClass = type.BaseType == null ? null : Normalize(type.BaseType);
            if (t.Decl.Kind == "class" && t.FullName != "System.Object")
            {
                string expectedBase = bases.Count > 0 && !IsInterfaceName(t.Decl.Bases[0], type) ? bases[0] : "System.Object";
                if (baseClass != expectedBase) problems.Add(t.FullName + ": base " + baseClass + ", listed " + expectedBase);
            }
            var ifaces = type.GetInterfaces().Select(Normalize).OrderBy(x => x).ToList();
            var listedIfaces = bases.Where(b => b != baseClass).OrderBy(x => x).ToList();
            if (!ifaces.SequenceEqual(listedIfaces))
                problems.Add(t.FullName + ": interfaces [" + string.Join(", ", ifaces) + "], listed [" + string.Join(", ", listedIfaces) + "]");

            var listedMembers = t.Members.Select(Key).OrderBy(x => x, StringComparer.Ordinal).ToList();
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var actualMembers = new List<string>();
            foreach (MemberInfo m in type.GetMembers(all))
            {
                string key = Key(m);
                if (key != null) actualMembers.Add(key);
            }
            actualMembers.Sort(StringComparer.Ordinal);
            var missing = listedMembers.Except(actualMembers).ToList();
            var extra = actualMembers.Except(listedMembers).ToList();
            if (t.Decl.Kind == "struct") extra.Remove("ctor()"); // implicit in every struct
            foreach (string m in missing) problems.Add(t.FullName + ": missing " + m);
            foreach (string m in extra) problems.Add(t.FullName + ": not listed " + m);
        }

        static bool IsInterfaceName(string listed, Type type) => type.GetInterfaces().Any(i => Normalize(i) == Normalize(listed));

        static readonly Dictionary<string, string> Aliases = new Dictionary<string, string>
        {
            ["bool"] = "System.Boolean", ["byte"] = "System.Byte", ["sbyte"] = "System.SByte", ["char"] = "System.Char",
            ["short"] = "System.Int16", ["ushort"] = "System.UInt16", ["int"] = "System.Int32", ["uint"] = "System.UInt32",
            ["long"] = "System.Int64", ["ulong"] = "System.UInt64", ["float"] = "System.Single", ["double"] = "System.Double",
            ["string"] = "System.String", ["object"] = "System.Object", ["void"] = "System.Void",
        };

        /// <summary>A listed type name in metadata spelling (aliases expanded, generic arity, arrays kept).</summary>
        static string Normalize(string listed)
        {
            string suffix = "";
            while (listed.EndsWith("[]")) { suffix += "[]"; listed = listed.Substring(0, listed.Length - 2); }
            if (Aliases.TryGetValue(listed, out string full)) return full + suffix;
            if (!listed.Contains('.')) return listed + suffix; // generic parameter
            return Names.Key(listed) + suffix;
        }

        static string Normalize(Type t)
        {
            if (t.IsByRef) return Normalize(t.GetElementType());
            if (t.IsArray) return Normalize(t.GetElementType()) + "[]";
            if (t.IsGenericParameter) return t.Name;
            string name = t.IsGenericType ? t.GetGenericTypeDefinition().FullName : t.FullName;
            return name.Replace('+', '.');
        }

        static string Params(IEnumerable<Param> ps) => string.Join(",", ps.Select(p => (p.Modifier == "ref" || p.Modifier == "out" || p.Modifier == "in" ? "&" : "") + Normalize(p.Type)));

        static string Params(IEnumerable<ParameterInfo> ps) => string.Join(",", ps.Select(p => (p.ParameterType.IsByRef ? "&" : "") + Normalize(p.ParameterType)));

        static string Key(Member m)
        {
            switch (m.Kind)
            {
                case "ctor": return "ctor(" + Params(m.Params) + ")";
                case "finalizer": return "method Finalize()";
                case "method": case "operator": return "method " + m.Name + "(" + Params(m.Params) + ")";
                case "property": return "property " + m.Name;
                case "indexer": return "property Item[" + Params(m.Params) + "]";
                case "field": return "field " + m.Name;
                case "event": return "event " + m.Name;
                default: return m.Kind + " " + m.Name;
            }
        }

        static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

        static string Key(MemberInfo m)
        {
            switch (m)
            {
                case ConstructorInfo c:
                    return Visible(c) && !c.IsStatic ? "ctor(" + Params(c.GetParameters()) + ")" : null;
                case MethodInfo mi:
                    if (!Visible(mi) || (mi.IsSpecialName && !mi.Name.StartsWith("op_"))) return null;
                    return "method " + mi.Name + "(" + Params(mi.GetParameters()) + ")";
                case PropertyInfo p:
                {
                    MethodInfo acc = p.GetMethod ?? p.SetMethod;
                    if (acc == null || !Visible(acc)) return null;
                    var idx = p.GetIndexParameters();
                    return idx.Length > 0 ? "property Item[" + Params(idx) + "]" : "property " + p.Name;
                }
                case FieldInfo f:
                    return (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) ? "field " + f.Name : null;
                case EventInfo e:
                    return e.AddMethod != null && Visible(e.AddMethod) ? "event " + e.Name : null;
                default:
                    return null; // nested types are checked as types
            }
        }
    }
}
