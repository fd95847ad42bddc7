using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TinTin.Reference;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>
    /// `tintin` as a dotnet tool: the project packs (PackAsTool) with the demo recording, installs from the
    /// .nupkg into a tool path, and `tintin simulate` then runs in a folder outside any checkout.
    /// </summary>
    public class ToolPackageTests
    {
        private static (int Code, string Out, string Error) Run(string file, string workingDirectory, params string[] args)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
            foreach (string a in args) start.ArgumentList.Add(a);
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            using Process process = Process.Start(start);
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(300_000)) { process.Kill(true); throw new TimeoutException(file + " " + string.Join(" ", args)); }
            return (process.ExitCode, output.Result, error.Result);
        }

        [Fact]
        public void Packed_tool_installs_and_simulates_outside_a_checkout()
        {
            using var temp = new TempFolder(); // under the system temp folder: no TinTinNano.sln above it
            Assert.Null(FindSolutionAbove(temp.Path));
            string project = RepositoryPaths.Find("tools", "TinTin.Cli", "TinTin.Cli.csproj");
            string configuration = AppContext.BaseDirectory.Contains(Path.DirectorySeparatorChar + "Release" + Path.DirectorySeparatorChar) ? "Release" : "Debug";
            string feed = Path.Combine(temp.Path, "feed"), tools = Path.Combine(temp.Path, "tools"), work = Path.Combine(temp.Path, "work");
            Directory.CreateDirectory(work);

            var pack = Run("dotnet", temp.Path, "pack", project, "-c", configuration, "--no-build", "-o", feed);
            Assert.True(pack.Code == 0, "dotnet pack: " + pack.Out + pack.Error);
            string nupkg = Directory.GetFiles(feed, "*.nupkg").Single();
            using (var zip = System.IO.Compression.ZipFile.OpenRead(nupkg))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains(entries, e => e.EndsWith("/DotnetToolSettings.xml"));
                Assert.Contains(entries, e => e.EndsWith("/data/occupancy/datatest2.txt"));
                Assert.Contains(entries, e => e.EndsWith("/data/occupancy/README.md")); // the data's attribution travels with it
            }

            var install = Run("dotnet", temp.Path, "tool", "install", "--tool-path", tools, "--add-source", feed, "TinTinNano.Tool");
            Assert.True(install.Code == 0, "dotnet tool install: " + install.Out + install.Error);
            string tintin = Path.Combine(tools, OperatingSystem.IsWindows() ? "tintin.exe" : "tintin");

            var simulate = Run(tintin, work, "simulate", "--max-samples", "600", "--log", "sim.csv");
            Assert.True(simulate.Code == 0, "tintin simulate: " + simulate.Out + simulate.Error);
            Assert.Contains("accuracy, adapting firmware", simulate.Out);
            Assert.Contains("datatest2.txt", simulate.Out);
            var report = Run(tintin, work, "report", "sim.csv");
            Assert.True(report.Code == 0, "tintin report: " + report.Out + report.Error);
            ReportTests.AssertChartPng(Path.Combine(work, "sim-report", "accuracy.png"));
        }

        private static string FindSolutionAbove(string path)
        {
            for (var dir = new DirectoryInfo(path); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "TinTinNano.sln"))) return dir.FullName;
            return null;
        }
    }
}
