using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// (c) Every .nfproj lists exactly the .cs files of its folder, which are exactly what its host
    /// twin (DIR/Host/*.csproj) compiles; it has a nano check project; both are in the solution; its
    /// packages.config names the packages and versions its references use, at the versions of the assemblies the board build compiles against.
    /// </summary>
    public class NfprojConsistencyTests
    {
        /// <summary>nanoFramework-template files a board project may compile that its host twin does not (the SDK generates its own).</summary>
        static readonly string[] NanoOnly = { "Properties/AssemblyInfo.cs" };

        public static IEnumerable<object[]> Projects() => Repo.NanoProjects().Select(p => new object[] { Repo.Relative(p) });

        [Fact]
        public void TheBoardProjectsAreFound()
        {
            var found = Repo.NanoProjects().Select(Repo.Relative).ToList();
            Assert.Contains("TinTin.Core.Nano/TinTin.Core.Nano.nfproj", found);
            Assert.Contains("tests/NFUnitTest/NFUnitTest.nfproj", found);
        }

        [Theory]
        [MemberData(nameof(Projects))]
        public void CompileListIsExactlyTheFolderSources(string nfproj)
        {
            NfProject p = NfProject.Load(Repo.Path_(nfproj));
            var listed = p.Compile.Select(Repo.Relative).ToList();
            var duplicates = listed.GroupBy(x => x).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, nfproj + " lists twice: " + string.Join(", ", duplicates));
            var onDisk = SourcesOf(p.Directory).Select(Repo.Relative).ToHashSet();
            var missingFromProject = onDisk.Except(listed).OrderBy(x => x).ToList();
            var missingOnDisk = listed.Except(onDisk).OrderBy(x => x).ToList();
            Assert.True(missingFromProject.Count == 0 && missingOnDisk.Count == 0,
                nfproj + ": add to its Compile list: [" + string.Join(", ", missingFromProject) + "]; listed but not in the folder: [" + string.Join(", ", missingOnDisk) + "]");
        }

        /// <summary>The .cs files under dir, minus build output and subfolders that are projects of their own (Host/, NanoCheck/).</summary>
        static IEnumerable<string> SourcesOf(string dir)
        {
            foreach (string f in Directory.GetFiles(dir, "*.cs")) yield return f;
            foreach (string d in Directory.GetDirectories(dir))
            {
                string name = Path.GetFileName(d);
                if (name == "bin" || name == "obj" || name.StartsWith(".")) continue;
                if (Directory.GetFiles(d, "*.csproj").Length > 0 || Directory.GetFiles(d, "*.nfproj").Length > 0) continue;
                foreach (string f in SourcesOf(d)) yield return f;
            }
        }

        static string[] HostTwins(string nfproj)
        {
            string hostDir = Path.Combine(Path.GetDirectoryName(Repo.Path_(nfproj)), "Host");
            return Directory.Exists(hostDir) ? Directory.GetFiles(hostDir, "*.csproj") : new string[0];
        }

        /// <summary>Board projects with a host twin: DIR/Host/*.csproj compiling DIR's sources for net10.0.</summary>
        public static IEnumerable<object[]> ProjectsWithHostTwin() =>
            Repo.NanoProjects().Select(Repo.Relative).Where(p => HostTwins(p).Length > 0).Select(p => new object[] { p });

        [Fact]
        public void TheEngineHasAHostTwin()
        {
            Assert.Contains(ProjectsWithHostTwin(), row => (string)row[0] == "TinTin.Core.Nano/TinTin.Core.Nano.nfproj");
        }

        [Theory]
        [MemberData(nameof(ProjectsWithHostTwin))]
        public void HostTwinCompilesTheSameFiles(string nfproj)
        {
            NfProject p = NfProject.Load(Repo.Path_(nfproj));
            string[] twins = HostTwins(nfproj);
            var nano = p.Compile.Select(Repo.Relative)
                .Where(f => !NanoOnly.Any(n => f.EndsWith("/" + n, StringComparison.Ordinal)))
                .OrderBy(x => x, StringComparer.Ordinal).ToList();
            foreach (string twin in twins)
            {
                string prefix = Repo.Relative(p.Directory) + "/";
                var compiled = EvaluatedCompileItems(twin).Select(Repo.Relative)
                    .Where(f => f.StartsWith(prefix, StringComparison.Ordinal) && !f.Contains("/obj/") && !f.Contains("/bin/")).ToList();
                // Host variants (one file per variant, no #if): DIR/Host/X.cs stands in for the board's DIR/X.cs;
                // a file under DIR/Host/ without a board twin is host-only (e.g. the SIMD kernels).
                string hostPrefix = prefix + "Host/";
                var replaced = compiled.Where(f => f.StartsWith(hostPrefix, StringComparison.Ordinal))
                    .Select(f => prefix + f.Substring(hostPrefix.Length)).Where(nano.Contains).ToList();
                var host = compiled.Where(f => !f.StartsWith(hostPrefix, StringComparison.Ordinal)).Concat(replaced)
                    .OrderBy(x => x, StringComparer.Ordinal).ToList();
                Assert.True(replaced.All(f => !compiled.Contains(f)),
                    Repo.Relative(twin) + " compiles both a board file and its Host/ variant: [" + string.Join(", ", replaced.Where(compiled.Contains)) + "]");
                Assert.True(nano.SequenceEqual(host),
                    nfproj + " vs " + Repo.Relative(twin) + ": only the board compiles [" + string.Join(", ", nano.Except(host)) +
                    "]; only the host compiles [" + string.Join(", ", host.Except(nano)) + "]");
            }
        }

        /// <summary>The Compile items MSBuild evaluates for a project (globs, Removes and conditions applied).</summary>
        static List<string> EvaluatedCompileItems(string csproj)
        {
            var psi = new ProcessStartInfo("dotnet", "msbuild \"" + csproj + "\" -getItem:Compile -nologo")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            using Process proc = Process.Start(psi);
            string stdout = proc.StandardOutput.ReadToEnd();
            string stderr = proc.StandardError.ReadToEnd();
            proc.WaitForExit();
            Assert.True(proc.ExitCode == 0, "dotnet msbuild -getItem:Compile " + csproj + " failed:\n" + stdout + stderr);
            using JsonDocument json = JsonDocument.Parse(stdout.Substring(stdout.IndexOf('{')));
            return json.RootElement.GetProperty("Items").GetProperty("Compile").EnumerateArray()
                .Select(e => e.GetProperty("FullPath").GetString()).ToList();
        }

        [Theory]
        [MemberData(nameof(Projects))]
        public void HasANanoCheckProjectAndBothAreInTheSolution(string nfproj)
        {
            var sln0 = SolutionProjects();
            Assert.True(sln0.Contains(nfproj), nfproj + " is not listed in TinTinNano.sln");
            if (Repo.Unchecked.TryGetValue(nfproj, out string why)) { Assert.False(string.IsNullOrEmpty(why)); return; } // see Repo.Unchecked
            string full = Repo.Path_(nfproj);
            string check = Path.Combine(Path.GetDirectoryName(full), "NanoCheck", Path.GetFileNameWithoutExtension(full) + ".NanoCheck.csproj");
            Assert.True(File.Exists(check), nfproj + " has no nano check project; add " + Repo.Relative(check) +
                " containing <Project Sdk=\"Microsoft.NET.Sdk\"><Import Project=\".../build/NanoCheck.targets\" /></Project> (see build/NanoCheck.targets)");
            Assert.Contains("build/NanoCheck.targets", File.ReadAllText(check));
            var sln = SolutionProjects();
            Assert.True(sln.Contains(nfproj), nfproj + " is not listed in TinTinNano.sln");
            Assert.True(sln.Contains(Repo.Relative(check)), Repo.Relative(check) + " is not listed in TinTinNano.sln, so CI does not run it");
        }

        static HashSet<string> SolutionProjects()
        {
            string text = File.ReadAllText(Repo.Path_("TinTinNano.sln"));
            return Regex.Matches(text, "^Project\\(\"\\{[^}]+\\}\"\\) = \"[^\"]*\", \"([^\"]+)\"", RegexOptions.Multiline)
                .Select(m => m.Groups[1].Value.Replace('\\', '/')).ToHashSet();
        }

        [Theory]
        [MemberData(nameof(Projects))]
        public void PackagesConfigNamesTheReferencedPackagesAtTheVersionsBuiltAgainst(string nfproj)
        {
            NfProject p = NfProject.Load(Repo.Path_(nfproj));
            string config = Path.Combine(p.Directory, "packages.config");
            Assert.True(File.Exists(config), nfproj + ": no packages.config beside it");
            var packages = XDocument.Load(config).Root.Elements("package")
                .ToDictionary(e => (string)e.Attribute("id"), e => (string)e.Attribute("version"));
            Assert.True(packages.TryGetValue("nanoFramework.CoreLibrary", out string core) && core == "1.17.11",
                nfproj + ": packages.config must name nanoFramework.CoreLibrary 1.17.11 (the mscorlib the board build restores)");
            foreach (var r in p.References)
            {
                if (NanoCompiler.IgnoredReferences.Contains(r.name)) continue;
                Assert.True(r.hintPath != null, nfproj + ": reference " + r.name + " has no HintPath");
                Match pkg = Regex.Match(r.hintPath.Replace('\\', '/'), @"packages/(.+?)\.(\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.-]+?)?)/lib/");
                Assert.True(pkg.Success, nfproj + ": cannot read a package from HintPath " + r.hintPath);
                string id = pkg.Groups[1].Value, version = pkg.Groups[2].Value;
                Assert.True(packages.TryGetValue(id, out string v) && v == version,
                    nfproj + ": reference " + r.name + " comes from " + id + " " + version + ", which packages.config does not name at that version");
                try { NanoReferences.Resolve(r.name); }
                catch (FileNotFoundException)
                {
                    Assert.True(Repo.Unchecked.ContainsKey(nfproj), nfproj + ": " + r.name + " is neither in the runtime's ref/ nor listed in build/nano-api");
                    continue;
                }
                // The assembly version is the package's (full, or major.minor.0.0 for the IoT.Device packages), as Visual
                // Studio users restore it. The board build here compiles against the runtime's build, which may be of
                // another version of the same API (the runtime's README lists its versions).
                if (r.version != null)
                {
                    string[] v3 = version.Split('.');
                    Assert.True(r.version == version + ".0" || r.version == v3[0] + "." + v3[1] + ".0.0",
                        nfproj + ": " + r.name + " Version=" + r.version + " but its package is " + id + " " + version);
                }
            }
        }
    }
}
