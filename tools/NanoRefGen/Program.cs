using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;

namespace TinTin.NanoRefGen
{
    /// <summary>
    /// nanorefgen --listings build/nano-api --additions build/nano-ref-additions --out build/nano-ref [--reference REAL.dll ...]
    /// For assemblies with no real build to compile against (the runtime's ref/ has the others):
    /// reads every `*.txt` listing (files with "preview" in the name are skipped: not a stable package
    /// the board projects may use), emits C# stubs (out/src/NAME.cs) and compiles them with Roslyn into
    /// reference assemblies (out/NAME.dll), against the other listings and the real assemblies given
    /// with --reference (mscorlib from nanoFramework.CoreLibrary, the runtime's ref/*.dll). Files are
    /// replaced atomically and only when their bytes change, so concurrent builds and incremental
    /// builds both behave.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            string listings = null, additions = null, output = null;
            var references = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                string a = args[i];
                string next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException("missing value after " + a);
                if (a == "--listings") listings = next();
                else if (a == "--additions") additions = next();
                else if (a == "--out") output = next();
                else if (a == "--reference") references.Add(next());
                else { Console.Error.WriteLine("nanorefgen: unknown argument " + a); return Usage(); }
            }
            if (listings == null || output == null) return Usage();
            try
            {
                var sw = Stopwatch.StartNew();
                var result = Generator.Run(listings, additions, output, references);
                Console.WriteLine("nanorefgen: " + result.Count + " reference assemblies in " + output + " (" + sw.ElapsedMilliseconds + " ms)");
                return 0;
            }
            catch (GenerationException e)
            {
                Console.Error.WriteLine("nanorefgen: error: " + e.Message);
                return 1;
            }
        }

        static int Usage()
        {
            Console.Error.WriteLine("usage: nanorefgen --listings <dir of *.txt> [--additions <dir>] --out <dir> [--reference <real .dll>]...");
            return 2;
        }
    }

    public sealed class GenerationException : Exception
    {
        public GenerationException(string message) : base(message) { }
    }

    public static class Generator
    {
        /// <summary>Loads the listings (plus additions), parses every member, returns assemblies by name.</summary>
        public static List<ApiAssembly> Load(string listingsDir, string additionsDir)
        {
            var list = new List<ApiAssembly>();
            foreach (string file in Directory.GetFiles(listingsDir, "*.txt").OrderBy(f => f, StringComparer.Ordinal))
            {
                if (Path.GetFileName(file).Contains("preview", StringComparison.OrdinalIgnoreCase)) continue;
                ApiAssembly asm;
                try { asm = ApiAssembly.Load(file); }
                catch (FormatException e) { throw new GenerationException(e.Message); }
                list.Add(asm);
            }
            if (additionsDir != null && Directory.Exists(additionsDir))
            {
                foreach (string file in Directory.GetFiles(additionsDir, "*.txt").OrderBy(f => f, StringComparer.Ordinal))
                {
                    string name = Path.GetFileNameWithoutExtension(file);
                    ApiAssembly target = list.FirstOrDefault(a => a.Name == name)
                        ?? throw new GenerationException(file + ": no listing for assembly " + name);
                    ApiAssembly extra;
                    try { extra = ApiAssembly.Load(file); }
                    catch (FormatException e) { throw new GenerationException(e.Message); }
                    Merge(target, extra, file);
                }
            }
            foreach (ApiAssembly asm in list)
                foreach (ApiType t in asm.Types)
                {
                    try { t.Members = t.MemberLines.Select(Member.Parse).ToList(); }
                    catch (FormatException e) { throw new GenerationException(asm.SourceFile + ": " + t.FullName + ": " + e.Message); }
                }
            return list;
        }

        static void Merge(ApiAssembly target, ApiAssembly extra, string file)
        {
            var byName = target.Types.ToDictionary(t => t.FullName, StringComparer.Ordinal);
            foreach (ApiType t in extra.Types)
            {
                if (byName.ContainsKey(t.FullName)) throw new GenerationException(file + ": " + t.FullName + " is already in the listing");
                t.Assembly = target;
                target.Types.Add(t);
                byName.Add(t.FullName, t);
                if (t.Parent != null) continue;
                // Re-home nesting against the full listing.
                List<string> parts = Names.SplitDotted(t.FullName);
                for (int n = parts.Count - 1; n >= 1; n--)
                {
                    if (byName.TryGetValue(string.Join(".", parts.Take(n)), out ApiType parent) && parent != t)
                    {
                        t.Parent = parent;
                        t.Namespace = null;
                        parent.Nested.Add(t);
                        break;
                    }
                }
            }
        }

        public static Dictionary<string, ApiType> Index(List<ApiAssembly> assemblies)
        {
            var all = new Dictionary<string, ApiType>(StringComparer.Ordinal);
            foreach (ApiAssembly a in assemblies)
                foreach (ApiType t in a.Types)
                {
                    if (all.TryGetValue(t.Key, out ApiType other))
                        throw new GenerationException(t.FullName + " is declared in both " + other.Assembly.Name + " and " + a.Name);
                    all.Add(t.Key, t);
                }
            return all;
        }

        static readonly Regex DottedName = new Regex(@"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:<[^()]*?>)?", RegexOptions.Compiled);

        /// <summary>The assemblies whose types this assembly's signatures name.</summary>
        public static HashSet<ApiAssembly> Dependencies(ApiAssembly asm, Dictionary<string, ApiType> all)
        {
            var deps = new HashSet<ApiAssembly>();
            // Every assembly but the core library itself needs it (primitives, System.Object, attributes).
            if (all.TryGetValue("System.Object", out ApiType obj) && obj.Assembly != asm) deps.Add(obj.Assembly);
            var texts = new List<string>();
            foreach (ApiType t in asm.Types)
            {
                texts.AddRange(t.Decl.Bases);
                if (t.Decl.DelegateReturn != null) { texts.Add(t.Decl.DelegateReturn); texts.Add(t.Decl.DelegateParams); }
                foreach (Member m in t.Members)
                {
                    if (m.Kind == "enumValue") continue;
                    if (m.Type != null) texts.Add(m.Type);
                    foreach (Param p in m.Params) texts.Add(p.Type);
                }
            }
            foreach (string text in texts)
                foreach (Match mt in DottedName.Matches(text))
                {
                    ApiType found = Resolve(mt.Value, all);
                    if (found != null && found.Assembly != asm) deps.Add(found.Assembly);
                }
            return deps;
        }

        static ApiType Resolve(string name, Dictionary<string, ApiType> all)
        {
            // Try the name, then shorter prefixes (a nested type missing from the listing still names its parent).
            List<string> parts = Names.SplitDotted(name);
            for (int n = parts.Count; n >= 1; n--)
                if (all.TryGetValue(Names.Key(string.Join(".", parts.Take(n))), out ApiType t)) return t;
            return null;
        }

        public sealed class Output
        {
            public string Name;
            public string DllPath;
            public string SourcePath;
        }

        public static List<Output> Run(string listingsDir, string additionsDir, string outDir, IEnumerable<string> realReferences = null)
        {
            var real = new List<MetadataReference>();
            foreach (string path in realReferences ?? Enumerable.Empty<string>())
            {
                if (!File.Exists(path)) throw new GenerationException("reference assembly not found: " + path);
                real.Add(MetadataReference.CreateFromFile(path));
            }
            List<ApiAssembly> assemblies = Load(listingsDir, additionsDir);
            Dictionary<string, ApiType> all = Index(assemblies);
            var deps = assemblies.ToDictionary(a => a, a => Dependencies(a, all));

            // Topological order (dependencies first).
            var order = new List<ApiAssembly>();
            var state = new Dictionary<ApiAssembly, int>();
            void Visit(ApiAssembly a, List<string> path)
            {
                state.TryGetValue(a, out int s);
                if (s == 2) return;
                if (s == 1) throw new GenerationException("assembly dependency cycle: " + string.Join(" -> ", path) + " -> " + a.Name);
                state[a] = 1;
                path.Add(a.Name);
                foreach (ApiAssembly d in deps[a].OrderBy(x => x.Name, StringComparer.Ordinal)) Visit(d, path);
                path.RemoveAt(path.Count - 1);
                state[a] = 2;
                order.Add(a);
            }
            foreach (ApiAssembly a in assemblies.OrderBy(x => x.Name, StringComparer.Ordinal)) Visit(a, new List<string>());

            Directory.CreateDirectory(outDir);
            string srcDir = Path.Combine(outDir, "src");
            Directory.CreateDirectory(srcDir);
            CSharpCompilation realLookup = CSharpCompilation.Create("RealLookup", references: real);
            var writer = new StubWriter(all, name => realLookup.GetTypeByMetadataName(Names.Key(name)));
            var images = new Dictionary<ApiAssembly, MetadataReference>();
            var outputs = new List<Output>();
            var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
            foreach (ApiAssembly asm in order)
            {
                string source = writer.Write(asm);
                string srcPath = Path.Combine(srcDir, asm.Name + ".cs");
                WriteIfChanged(srcPath, Encoding.UTF8.GetBytes(source));
                var closure = new HashSet<ApiAssembly>();
                void Add(ApiAssembly d) { if (closure.Add(d)) foreach (ApiAssembly x in deps[d]) Add(x); }
                foreach (ApiAssembly d in deps[asm]) Add(d);
                var compilation = CSharpCompilation.Create(
                    asm.Name,
                    new[] { CSharpSyntaxTree.ParseText(source, parseOptions, path: srcPath, encoding: Encoding.UTF8) },
                    closure.Select(d => images[d]).Concat(real.Where(r => !IsNamed(r, asm.Name))),
                    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
                        .WithDeterministic(true)
                        .WithOptimizationLevel(OptimizationLevel.Release)
                        .WithNullableContextOptions(NullableContextOptions.Disable)
                        .WithGeneralDiagnosticOption(ReportDiagnostic.Suppress)
                        .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>()));
                using var pe = new MemoryStream();
                EmitResult emitted = compilation.Emit(pe);
                if (!emitted.Success)
                {
                    var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(40).Select(d => d.ToString());
                    throw new GenerationException("stubs of " + asm.Name + " (" + asm.SourceFile + ") do not compile:\n  " + string.Join("\n  ", errors));
                }
                byte[] bytes = pe.ToArray();
                string dllPath = Path.Combine(outDir, asm.Name + ".dll");
                WriteIfChanged(dllPath, bytes);
                images[asm] = MetadataReference.CreateFromImage(bytes, filePath: dllPath);
                outputs.Add(new Output { Name = asm.Name, DllPath = dllPath, SourcePath = srcPath });
            }
            // Remove DLLs of listings that no longer exist.
            var names = new HashSet<string>(outputs.Select(o => o.Name + ".dll"), StringComparer.Ordinal);
            foreach (string dll in Directory.GetFiles(outDir, "*.dll"))
                if (!names.Contains(Path.GetFileName(dll))) File.Delete(dll);
            return outputs;
        }

        static bool IsNamed(MetadataReference reference, string assemblyName) =>
            reference is PortableExecutableReference pe && string.Equals(Path.GetFileNameWithoutExtension(pe.FilePath), assemblyName, StringComparison.OrdinalIgnoreCase);

        /// <summary>Atomic replace (write a temp file, rename over) and only when the content differs.</summary>
        public static void WriteIfChanged(string path, byte[] bytes)
        {
            if (File.Exists(path))
            {
                byte[] old = File.ReadAllBytes(path);
                if (old.AsSpan().SequenceEqual(bytes)) return;
            }
            string tmp = path + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
        }
    }
}
