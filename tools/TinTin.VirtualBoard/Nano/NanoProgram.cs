using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinTin.Reference;

namespace TinTin.VirtualBoard
{
    /// <summary>Thrown when the nanoFramework runtime or the board build outputs are missing, or a program fails to compile.</summary>
    public sealed class NanoProgramException : Exception
    {
        public NanoProgramException(string message) : base(message) { }
    }

    /// <summary>What a nanoCLR run printed.</summary>
    public sealed class NanoRunOutput
    {
        public int ExitCode { get; init; }
        public string StandardOutput { get; init; }
        public string StandardError { get; init; }
        public long WallMs { get; init; }
        /// <summary>Lines without their CR (nanoCLR ends console lines with CRLF).</summary>
        public IReadOnlyList<string> Lines => StandardOutput.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
    }

    /// <summary>
    /// The nanoFramework interpreter on this machine (../shared/nano-runtime, see its README) and the
    /// board assemblies built for it (build/nano-out/*.dll + .pe, made by `dotnet build`). Compiles a
    /// small generated program against them with Roslyn as nanoFramework compiles (no standard
    /// library, C# 9, optimised), converts it with the metadata processor and runs it on nanoclr
    /// (64-bit) or nanoclr32 (32-bit, board-sized heap blocks, heap from NANOCLR_HEAP_BYTES).
    /// </summary>
    public sealed class NanoProgram
    {
        /// <summary>The board assemblies a replay program loads, in load order.</summary>
        public static readonly string[] BoardAssemblies = { "TinTin.Core.Nano", "TinTin.Sensors", "TinTin.Firmware", "TinTin.Firmware.Replay" };

        public string Root { get; }
        public string BoardOutputs { get; }

        private NanoProgram(string root, string boardOutputs) { Root = root; BoardOutputs = boardOutputs; }

        /// <summary>How to get a runtime, for messages.</summary>
        public const string HowToGet = "set NANO_RUNTIME to the nano-runtime folder (bin/nanoclr, bin/nano-mdp, ref/, pe/), or place it at shared/nano-runtime in a folder above the repository";

        /// <summary>The runtime folder: NANO_RUNTIME, else the first shared/nano-runtime found walking up from the repository; null when there is none.</summary>
        public static string FindRoot()
        {
            string env = Environment.GetEnvironmentVariable("NANO_RUNTIME");
            if (!string.IsNullOrEmpty(env)) return IsRuntime(env) ? Path.GetFullPath(env) : null;
            string start;
            try { start = RepositoryPaths.Root(); } catch (Exception) { start = AppContext.BaseDirectory; }
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "nano-runtime");
                if (IsRuntime(candidate)) return candidate;
            }
            return null;
        }

        private static bool IsRuntime(string dir) =>
            File.Exists(Path.Combine(dir, "bin", "nanoclr")) && File.Exists(Path.Combine(dir, "bin", "nano-mdp")) && File.Exists(Path.Combine(dir, "ref", "mscorlib.dll"));

        /// <summary>The runtime and the board outputs (build/nano-out, or NANO_OUT), or a clear error naming what is missing.</summary>
        public static NanoProgram Locate()
        {
            string root = FindRoot();
            if (root == null)
            {
                string env = Environment.GetEnvironmentVariable("NANO_RUNTIME");
                throw new NanoProgramException(string.IsNullOrEmpty(env)
                    ? "no nanoFramework runtime found: " + HowToGet
                    : "NANO_RUNTIME=" + env + " is not a nano-runtime folder (needs bin/nanoclr, bin/nano-mdp, ref/mscorlib.dll)");
            }
            string outputs = Environment.GetEnvironmentVariable("NANO_OUT");
            if (string.IsNullOrEmpty(outputs)) outputs = RepositoryPaths.Find("build", "nano-out");
            foreach (string name in BoardAssemblies)
                foreach (string ext in new[] { ".dll", ".pe" })
                    if (!File.Exists(Path.Combine(outputs, name + ext)))
                        throw new NanoProgramException("board build output missing: " + Path.Combine(outputs, name + ext) + " (run `dotnet build TinTinNano.sln` first: it builds every .nfproj into build/nano-out)");
            return new NanoProgram(root, outputs);
        }

        public string Mscorlib => Path.Combine(Root, "ref", "mscorlib.dll");

        /// <summary>Compiles source as a nanoFramework exe named assemblyName into folder, then .pe; returns the .pe path.</summary>
        public string CompileProgram(string source, string assemblyName, string folder)
        {
            Directory.CreateDirectory(folder);
            var references = new List<string> { Mscorlib };
            references.AddRange(BoardAssemblies.Select(n => Path.Combine(BoardOutputs, n + ".dll")));
            var compilation = CSharpCompilation.Create(assemblyName,
                new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp9, preprocessorSymbols: new[] { "NANOFRAMEWORK_1_0" })) },
                references.Select(r => MetadataReference.CreateFromFile(r)),
                new CSharpCompilationOptions(OutputKind.ConsoleApplication, optimizationLevel: OptimizationLevel.Release, deterministic: true));
            string dll = Path.Combine(folder, assemblyName + ".dll");
            using (var stream = File.Create(dll))
            {
                var result = compilation.Emit(stream);
                var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                if (!result.Success || errors.Count > 0)
                    throw new NanoProgramException("the generated nanoFramework program does not compile: " + string.Join("; ", errors.Take(5)));
            }
            string pe = Path.Combine(folder, assemblyName + ".pe");
            var args = new List<string> { dll, pe };
            args.AddRange(references);
            NanoRunOutput mdp = RunProcess(Path.Combine(Root, "bin", "nano-mdp"), args, null, TimeSpan.FromMinutes(5));
            if (mdp.ExitCode != 0 || !File.Exists(pe))
                throw new NanoProgramException("nano-mdp failed on " + dll + " (exit " + mdp.ExitCode + "): " + Tail(mdp.StandardError + mdp.StandardOutput));
            return pe;
        }

        /// <summary>
        /// Runs program (a .pe with Main) after mscorlib and the board assemblies. heapBytes &gt; 0: nanoclr32
        /// with that managed heap; else the 64-bit nanoclr. wrapper: e.g. valgrind and its options.
        /// </summary>
        public NanoRunOutput Run(string programPe, int heapBytes, TimeSpan timeout, IReadOnlyList<string> wrapper = null)
        {
            string clr = Path.Combine(Root, "bin", heapBytes > 0 ? "nanoclr32" : "nanoclr");
            var args = new List<string> { Path.Combine(Root, "pe", "mscorlib.pe") };
            args.AddRange(BoardAssemblies.Select(n => Path.Combine(BoardOutputs, n + ".pe")));
            args.Add(programPe);
            var env = new Dictionary<string, string>();
            if (heapBytes > 0) env["NANOCLR_HEAP_BYTES"] = heapBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (wrapper != null && wrapper.Count > 0)
            {
                // valgrind runs the ELF itself, not the wrapper script.
                string real = Path.Combine(Root, "bin", heapBytes > 0 ? "nanoFramework.nanoCLR32" : "nanoFramework.nanoCLR");
                var wrapped = new List<string>(wrapper.Skip(1)) { File.Exists(real) ? real : clr };
                wrapped.AddRange(args);
                return RunProcess(wrapper[0], wrapped, env, timeout);
            }
            return RunProcess(clr, args, env, timeout);
        }

        public static NanoRunOutput RunProcess(string file, IEnumerable<string> args, IDictionary<string, string> env, TimeSpan timeout)
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in args) info.ArgumentList.Add(a);
            if (env != null) foreach (var kv in env) info.Environment[kv.Key] = kv.Value;
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(info) ?? throw new NanoProgramException("could not start " + file);
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit((int)Math.Min(int.MaxValue, timeout.TotalMilliseconds)))
            {
                try { process.Kill(true); } catch (InvalidOperationException) { }
                throw new NanoProgramException(Path.GetFileName(file) + " did not finish within " + timeout.TotalSeconds + " s");
            }
            process.WaitForExit();
            watch.Stop();
            lock (stdout) lock (stderr)
                return new NanoRunOutput { ExitCode = process.ExitCode, StandardOutput = stdout.ToString(), StandardError = stderr.ToString(), WallMs = watch.ElapsedMilliseconds };
        }

        public static string Tail(string text, int lines = 12)
        {
            var all = (text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
            return string.Join("\n", all.Skip(Math.Max(0, all.Count - lines)));
        }
    }
}
