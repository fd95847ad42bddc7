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
    /// Runs generated nanoFramework programs: compiles C# with Roslyn as the board build compiles
    /// (no standard library, C# 9, optimised) against the runtime's mscorlib and the board
    /// assemblies in build/nano-out (made by `dotnet build`), converts it with the metadata processor,
    /// and runs it after the load list of firmware/TinTin.Firmware.Replay (or TinTin.Firmware.Checks) on nanoclr (64-bit) or
    /// nanoclr32 (a board's 12-byte heap blocks, heap from NANOCLR_HEAP_BYTES). Finding the runtime
    /// and running it is TinTin.Reference.NanoRuntime; this adds the compile step and a wrapper
    /// (valgrind) around the interpreter.
    /// </summary>
    public sealed class NanoProgram
    {
        public string Root { get; }
        /// <summary>mscorlib.pe, the class libraries and board assemblies the replay driver needs, in load order.</summary>
        public IReadOnlyList<string> LoadList { get; }

        private NanoProgram(string root, IReadOnlyList<string> loadList) { Root = root; LoadList = loadList; }

        /// <summary>The replay driver's project, whose references give the load list.</summary>
        public static string DriverProject => RepositoryPaths.Find("firmware", "TinTin.Firmware.Replay", "TinTin.Firmware.Replay.nfproj");

        /// <summary>
        /// The checks and the engine bench (SensorPathCheck, BoardFlowCheck, EngineBench) on top of the replay
        /// driver: a program that runs them loads this project's list. A replay run does not: nanoCLR keeps the
        /// tables of every loaded assembly on its heap, and a board has no checks.
        /// </summary>
        public static string ChecksProject => RepositoryPaths.Find("firmware", "TinTin.Firmware.Checks", "TinTin.Firmware.Checks.nfproj");

        /// <summary>The runtime and the board outputs for the replay driver, or a clear error naming what is missing and how to get it.</summary>
        public static NanoProgram Locate() => Locate(DriverProject);

        /// <summary>The runtime and the board outputs a program on top of this board project needs (<see cref="DriverProject"/> or <see cref="ChecksProject"/>).</summary>
        public static NanoProgram Locate(string driverProject)
        {
            string root = NanoRuntime.Find() ?? throw new NanoProgramException(NanoRuntime.MissingMessage);
            List<string> list;
            try { list = NanoRuntime.LoadList(driverProject); }
            catch (FileNotFoundException e) { throw new NanoProgramException(e.Message); }
            foreach (string pe in list.Where(p => p.StartsWith(NanoRuntime.BuildOutput, StringComparison.Ordinal)))
                if (!File.Exists(Path.ChangeExtension(pe, ".dll")))
                    throw new NanoProgramException("board build output missing: " + Path.ChangeExtension(pe, ".dll") + " (build first: dotnet build TinTinNano.sln)");
            return new NanoProgram(root, list);
        }

        public string Mscorlib => Path.Combine(Root, "ref", "mscorlib.dll");

        /// <summary>Compiles source as a nanoFramework exe named assemblyName into folder, then .pe; returns the .pe path.</summary>
        public string CompileProgram(string source, string assemblyName, string folder)
        {
            Directory.CreateDirectory(folder);
            var references = new List<string> { Mscorlib };
            references.AddRange(LoadList.Skip(1).Select(pe => pe.StartsWith(NanoRuntime.BuildOutput, StringComparison.Ordinal)
                ? Path.ChangeExtension(pe, ".dll") : Path.Combine(Root, "ref", Path.GetFileNameWithoutExtension(pe) + ".dll")));
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
            var args = new List<string>(LoadList) { programPe };
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
            NanoRunResult run = NanoRuntime.Run(args, new NanoRunOptions { Use32Bit = heapBytes > 0, HeapBytes = heapBytes > 0 ? heapBytes : null, Timeout = timeout });
            if (run.TimedOut) throw new NanoProgramException(Path.GetFileName(clr) + " did not finish within " + timeout.TotalSeconds + " s");
            return new NanoRunOutput { ExitCode = run.ExitCode, StandardOutput = run.Output, StandardError = run.Error, WallMs = (long)run.Elapsed.TotalMilliseconds };
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
