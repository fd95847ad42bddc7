using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Xml.Linq;

namespace TinTin.Reference
{
    /// <summary>How to run nanoCLR: which interpreter, how much heap, how long to wait.</summary>
    public sealed class NanoRunOptions
    {
        /// <summary>Run bin/nanoclr32 (12-byte heap blocks, as on ESP32/STM32) instead of the 64-bit bin/nanoclr.</summary>
        public bool Use32Bit;
        /// <summary>Managed heap of nanoclr32 (NANOCLR_HEAP_BYTES); null keeps its default (10 MiB). 32-bit only.</summary>
        public int? HeapBytes;
        public TimeSpan Timeout = TimeSpan.FromMinutes(2);
        /// <summary>Written to the interpreter's standard input, which is then closed; null closes it at once.</summary>
        public string StandardInput;
    }

    /// <summary>What one nanoCLR run printed. Output has its CRLF line ends normalised to LF.</summary>
    public sealed class NanoRunResult
    {
        public string Command;
        public int ExitCode;
        public bool TimedOut;
        public TimeSpan Elapsed;
        public string Output;
        public string Error;

        public string[] Lines => Output.Split('\n');

        /// <summary>Command, exit code and the tail of both streams, for assertion messages.</summary>
        public string Describe(int tailLines = 40)
        {
            string Tail(string s) => string.Join("\n", s.Split('\n').Reverse().Take(tailLines).Reverse());
            return Command + "\nexit code " + ExitCode + (TimedOut ? " (timed out)" : "") + ", " + (int)Elapsed.TotalMilliseconds + " ms" +
                "\n--- stdout (tail) ---\n" + Tail(Output) + "\n--- stderr (tail) ---\n" + Tail(Error);
        }
    }

    /// <summary>
    /// The real nanoFramework interpreter (nanoCLR, POSIX host) and the board build's outputs.
    /// The runtime folder is NANO_RUNTIME, else shared/nano-runtime in the repository root or any folder
    /// above it. Board assemblies are build/nano-out/NAME.pe (written by `dotnet build`, see
    /// build/NanoCheck.targets); the nanoFramework class libraries are the runtime's pe/NAME.pe.
    /// </summary>
    public static class NanoRuntime
    {
        public const string HowToGet =
            "Get it: put the nano-runtime folder at ../shared/nano-runtime beside the repository (or in any folder above it as shared/nano-runtime), " +
            "or set NANO_RUNTIME to its path; then `dotnet build TinTinNano.sln` writes the board .pe files to build/nano-out/. See docs/BOARD.md.";

        /// <summary>The runtime folder, or null when there is none (see <see cref="MissingMessage"/>).</summary>
        public static string Find()
        {
            string env = Environment.GetEnvironmentVariable("NANO_RUNTIME");
            if (!string.IsNullOrEmpty(env))
                return IsRuntime(env) ? Path.GetFullPath(env) : null;
            string root;
            try { root = RepositoryPaths.Root(); }
            catch (DirectoryNotFoundException) { return null; }
            for (var dir = new DirectoryInfo(root); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "nano-runtime");
                if (IsRuntime(candidate)) return candidate;
            }
            return null;
        }

        static bool IsRuntime(string dir) =>
            File.Exists(Path.Combine(dir, "bin", "nanoclr")) && File.Exists(Path.Combine(dir, "pe", "mscorlib.pe"));

        /// <summary>Why <see cref="Find"/> returned null, and how to get the runtime.</summary>
        public static string MissingMessage
        {
            get
            {
                string env = Environment.GetEnvironmentVariable("NANO_RUNTIME");
                string where = !string.IsNullOrEmpty(env)
                    ? "NANO_RUNTIME=" + env + " is not a nano-runtime folder (no bin/nanoclr and pe/mscorlib.pe)"
                    : "NANO_RUNTIME is not set and there is no shared/nano-runtime in or above the repository";
                return "The nanoFramework runtime was not found: " + where + ". " + HowToGet;
            }
        }

        /// <summary>The runtime folder; throws naming how to get one when it is missing.</summary>
        public static string Require() => Find() ?? throw new DirectoryNotFoundException(MissingMessage);

        /// <summary>build/nano-out: NAME.dll and NAME.pe of every board assembly.</summary>
        public static string BuildOutput => RepositoryPaths.Find("build", "nano-out");

        /// <summary>The .pe of a board assembly (build/nano-out) or, failing that, of a runtime class library (pe/).</summary>
        public static string Pe(string assemblyName)
        {
            string own = Path.Combine(BuildOutput, assemblyName + ".pe");
            if (File.Exists(own)) return own;
            string library = Path.Combine(Require(), "pe", assemblyName + ".pe");
            if (File.Exists(library)) return library;
            throw new FileNotFoundException("no " + assemblyName + ".pe in " + BuildOutput + " (build it: dotnet build TinTinNano.sln) nor in the runtime's pe/ folder", own);
        }

        static readonly XNamespace Ms = "http://schemas.microsoft.com/developer/msbuild/2003";

        /// <summary>
        /// Every .pe nanoCLR needs to run the board project nfproj, in load order: mscorlib first, the
        /// class libraries its .nfproj files reference, the project references (dependencies first),
        /// the project itself last. Read from the .nfproj files, never a fixed list.
        /// </summary>
        public static List<string> LoadList(string nfproj)
        {
            var libraries = new List<string>();
            var projects = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            void Visit(string path)
            {
                path = Path.GetFullPath(path);
                if (!seen.Add(path)) return;
                if (!File.Exists(path)) throw new FileNotFoundException("board project not found: " + path, path);
                XDocument doc = XDocument.Load(path);
                string dir = Path.GetDirectoryName(path);
                foreach (XElement r in doc.Root.Elements(Ms + "ItemGroup").Elements(Ms + "Reference"))
                {
                    string name = ((string)r.Attribute("Include")).Split(',')[0].Trim();
                    if (name != "mscorlib" && !libraries.Contains(name)) libraries.Add(name);
                }
                foreach (XElement pr in doc.Root.Elements(Ms + "ItemGroup").Elements(Ms + "ProjectReference"))
                    Visit(Path.Combine(dir, ((string)pr.Attribute("Include")).Replace('\\', '/')));
                string assembly = doc.Descendants(Ms + "AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault()
                    ?? throw new InvalidDataException(path + " has no AssemblyName");
                projects.Add(assembly);
            }
            Visit(nfproj);
            string runtime = Require();
            var list = new List<string> { Path.Combine(runtime, "pe", "mscorlib.pe") };
            foreach (string name in libraries)
            {
                string pe = Path.Combine(runtime, "pe", name + ".pe");
                if (!File.Exists(pe)) throw new FileNotFoundException(nfproj + " references " + name + ", which the runtime has no .pe of: " + pe, pe);
                list.Add(pe);
            }
            foreach (string name in projects)
            {
                string pe = Path.Combine(BuildOutput, name + ".pe");
                if (!File.Exists(pe)) throw new FileNotFoundException("no " + pe + ": build the board projects first (dotnet build TinTinNano.sln)", pe);
                list.Add(pe);
            }
            return list;
        }

        /// <summary>Runs nanoclr (or nanoclr32) with the .pe files, waits for it to exit or time out (then kills it).</summary>
        public static NanoRunResult Run(IEnumerable<string> peFiles, NanoRunOptions options = null)
        {
            options ??= new NanoRunOptions();
            if (options.HeapBytes.HasValue && !options.Use32Bit)
                throw new ArgumentException("HeapBytes sets NANOCLR_HEAP_BYTES, which only nanoclr32 reads: set Use32Bit too");
            List<string> files = peFiles.ToList();
            if (files.Count == 0) throw new ArgumentException("no .pe files to run");
            foreach (string f in files)
                if (!File.Exists(f)) throw new FileNotFoundException("no such .pe: " + f, f);
            string exe = Path.Combine(Require(), "bin", options.Use32Bit ? "nanoclr32" : "nanoclr");

            var psi = new ProcessStartInfo(exe)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            foreach (string f in files) psi.ArgumentList.Add(f);
            if (options.HeapBytes.HasValue) psi.Environment["NANOCLR_HEAP_BYTES"] = options.HeapBytes.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string command = (options.HeapBytes.HasValue ? "NANOCLR_HEAP_BYTES=" + options.HeapBytes.Value + " " : "") + exe + " " + string.Join(" ", files);

            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            var watch = Stopwatch.StartNew();
            using var process = new Process { StartInfo = psi };
            process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                if (options.StandardInput != null) process.StandardInput.Write(options.StandardInput);
                process.StandardInput.Close();
            }
            catch (IOException) { } // exited before reading its input: the exit code and output say why
            bool exited = process.WaitForExit((int)options.Timeout.TotalMilliseconds);
            if (!exited)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
            }
            else process.WaitForExit(); // drains the asynchronous readers
            watch.Stop();
            string Clean(StringBuilder sb) { lock (sb) return sb.ToString().Replace("\r", ""); }
            return new NanoRunResult
            {
                Command = command,
                ExitCode = exited ? process.ExitCode : -1,
                TimedOut = !exited,
                Elapsed = watch.Elapsed,
                Output = Clean(stdout),
                Error = Clean(stderr),
            };
        }
    }
}
