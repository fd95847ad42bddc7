using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TinTin.NanoRules;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>What a .nfproj says about its build, read straight from the XML.</summary>
    public sealed class NfProject
    {
        static readonly XNamespace Ms = "http://schemas.microsoft.com/developer/msbuild/2003";
        public string Path;
        public string Directory;
        public string AssemblyName;
        public string LangVersion;
        public List<string> Compile = new List<string>();            // full paths
        public List<(string name, string version, string hintPath)> References = new List<(string, string, string)>();
        public List<string> ProjectReferences = new List<string>();  // full paths

        public static NfProject Load(string path)
        {
            XDocument doc = XDocument.Load(path);
            string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            string Full(string include) => System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, include.Replace('\\', '/')));
            var p = new NfProject
            {
                Path = System.IO.Path.GetFullPath(path),
                Directory = dir,
                AssemblyName = doc.Descendants(Ms + "AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault(),
                LangVersion = doc.Descendants(Ms + "LangVersion").Select(e => e.Value.Trim()).FirstOrDefault(),
            };
            foreach (XElement e in doc.Root.Elements(Ms + "ItemGroup").Elements(Ms + "Compile")) p.Compile.Add(Full((string)e.Attribute("Include")));
            foreach (XElement e in doc.Root.Elements(Ms + "ItemGroup").Elements(Ms + "ProjectReference")) p.ProjectReferences.Add(Full((string)e.Attribute("Include")));
            foreach (XElement e in doc.Root.Elements(Ms + "ItemGroup").Elements(Ms + "Reference"))
            {
                string[] parts = ((string)e.Attribute("Include")).Split(',');
                string version = parts.Skip(1).Select(x => x.Trim()).Where(x => x.StartsWith("Version=")).Select(x => x.Substring(8)).FirstOrDefault();
                p.References.Add((parts[0].Trim(), version, e.Element(Ms + "HintPath")?.Value.Trim()));
            }
            return p;
        }
    }

    /// <summary>
    /// The references the board build compiles against (build/NanoCheck.targets): mscorlib.dll from the
    /// restored NuGet package nanoFramework.CoreLibrary, every other assembly from the runtime's ref/,
    /// and only an assembly the runtime has no build of from its API listing (build/nano-ref/).
    /// </summary>
    public static class NanoReferences
    {
        /// <summary>mscorlib.dll of the restored nanoFramework.CoreLibrary package (path baked in at build time).</summary>
        public static string CoreLibrary
        {
            get
            {
                string path = typeof(NanoReferences).Assembly.GetCustomAttributes<System.Reflection.AssemblyMetadataAttribute>()
                    .Where(a => a.Key == "NanoCoreLibrary").Select(a => a.Value).Single();
                if (!File.Exists(path)) throw new FileNotFoundException("nanoFramework.CoreLibrary is not restored (dotnet restore): " + path, path);
                return path;
            }
        }

        public static string Runtime => TinTin.Reference.NanoRuntime.Require();

        /// <summary>Where the board build takes assembly NAME from; throws naming what is missing.</summary>
        public static string Resolve(string assemblyName)
        {
            if (assemblyName == "mscorlib") return CoreLibrary;
            string real = Path.Combine(Runtime, "ref", assemblyName + ".dll");
            if (File.Exists(real)) return real;
            string listed = Path.Combine(Repo.NanoRef, assemblyName + ".dll");
            if (File.Exists(listed)) return listed;
            throw new FileNotFoundException(assemblyName + " is neither in the runtime's ref/ nor generated from a listing in build/nano-api (build tools/NanoRefGen)", real);
        }

        /// <summary>True when the runtime has a real build of the assembly (ref/NAME.dll), mscorlib included.</summary>
        public static bool IsReal(string assemblyName) =>
            assemblyName == "mscorlib" || File.Exists(Path.Combine(Runtime, "ref", assemblyName + ".dll"));
    }

    /// <summary>Roslyn compilation as the board build does it: no standard library, the real references, C# 9, optimised, NanoRules.</summary>
    public static class NanoCompiler
    {
        public static readonly string[] IgnoredReferences = { "nanoFramework.UnitTestLauncher" };

        public static MetadataReference Ref(string assemblyName) => MetadataReference.CreateFromFile(NanoReferences.Resolve(assemblyName));

        public static CSharpParseOptions ParseOptions(string langVersion = null)
        {
            LanguageVersion v = LanguageVersion.CSharp9;
            if (langVersion != null && !LanguageVersionFacts.TryParse(langVersion, out v)) throw new ArgumentException("bad LangVersion " + langVersion);
            return new CSharpParseOptions(v, preprocessorSymbols: new[] { "TRACE", "NANOFRAMEWORK_1_0" });
        }

        /// <summary>Compiles the sources; returns compiler and NanoRules diagnostics of error severity, and the image when clean.</summary>
        public static (ImmutableArray<Diagnostic> errors, byte[] image) Compile(string assemblyName, IEnumerable<SyntaxTree> trees, IEnumerable<MetadataReference> references)
        {
            var compilation = CSharpCompilation.Create(assemblyName, trees, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary).WithNullableContextOptions(NullableContextOptions.Disable)
                    .WithOptimizationLevel(OptimizationLevel.Release).WithDeterministic(true));
            var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NanoRulesAnalyzer()));
            ImmutableArray<Diagnostic> all = withAnalyzers.GetAllDiagnosticsAsync().GetAwaiter().GetResult();
            ImmutableArray<Diagnostic> errors = all.Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
            if (errors.Length > 0) return (errors, null);
            using var ms = new MemoryStream();
            var result = compilation.Emit(ms);
            return (result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray(), result.Success ? ms.ToArray() : null);
        }

        public static ImmutableArray<Diagnostic> CompileSnippet(string source, params string[] assemblies)
        {
            var refs = new[] { "mscorlib" }.Concat(assemblies).Distinct().Select(Ref).ToList();
            return Compile("Snippet", new[] { CSharpSyntaxTree.ParseText(source, ParseOptions(), "Snippet.cs") }, refs).errors;
        }

        /// <summary>Compiles an .nfproj (its project references first, recursively) the way build/NanoCheck.targets does.</summary>
        public static (ImmutableArray<Diagnostic> errors, byte[] image) CompileProject(string nfproj, Dictionary<string, byte[]> done = null)
        {
            done ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
            NfProject p = NfProject.Load(nfproj);
            var refs = new List<MetadataReference>();
            foreach (var r in p.References)
                if (!IgnoredReferences.Contains(r.name)) refs.Add(Ref(r.name));
            foreach (string pr in p.ProjectReferences)
            {
                if (!done.TryGetValue(pr, out byte[] image))
                {
                    var (errors, img) = CompileProject(pr, done);
                    if (img == null) return (errors, null);
                    done[pr] = image = img;
                }
                refs.Add(MetadataReference.CreateFromImage(image));
            }
            var trees = p.Compile.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), ParseOptions(p.LangVersion), f));
            return Compile(p.AssemblyName, trees, refs);
        }

        public static string Format(IEnumerable<Diagnostic> diagnostics) =>
            string.Join("\n", diagnostics.Take(30).Select(d => d.ToString()));
    }
}
