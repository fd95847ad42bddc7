using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using TinTin.Reference;
using TinTin.TestSupport;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// tests/NFUnitTest on the real nanoFramework interpreter, through nanoFramework's own
    /// UnitTestLauncher: `nanoclr mscorlib.pe ... TestFramework.pe UnitTestLauncher.pe deps.pe NFUnitTest.pe`
    /// (the load list read from NFUnitTest.nfproj). Every [TestMethod] of the board build must report
    /// "Test passed", none "Test failed", and the launcher must reach "Done.".
    /// </summary>
    public class NanoClrUnitTests
    {
        static string NfprojPath => Repo.Path_("tests", "NFUnitTest", "NFUnitTest.nfproj");

        /// <summary>"Class.Method" of every [TestMethod] in the board build of NFUnitTest, read from its metadata.</summary>
        static List<string> ExpectedTests()
        {
            string assemblyName = NfProject_AssemblyName();
            string dll = Path.Combine(NanoRuntime.BuildOutput, assemblyName + ".dll");
            Assert.True(File.Exists(dll), dll + " is missing: build the board projects (dotnet build TinTinNano.sln)");
            var paths = Directory.GetFiles(Path.Combine(NanoRuntime.Require(), "ref"), "*.dll")
                .Concat(Directory.GetFiles(NanoRuntime.BuildOutput, "*.dll").Where(p => Path.GetFileName(p) != assemblyName + ".dll"))
                .Append(dll);
            using var mlc = new MetadataLoadContext(new PathAssemblyResolver(paths), "mscorlib");
            Assembly asm = mlc.LoadFromAssemblyPath(dll);
            return asm.GetTypes()
                .Where(t => t.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "nanoFramework.TestFramework.TestClassAttribute"))
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                    .Where(m => m.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "nanoFramework.TestFramework.TestMethodAttribute"))
                    .Select(m => t.FullName + "." + m.Name))
                .OrderBy(x => x, StringComparer.Ordinal).ToList();
        }

        static string NfProject_AssemblyName() => NfProject.Load(NfprojPath).AssemblyName;

        static readonly Regex ResultLine = new Regex(@"^Test (passed|failed),(.+?)\.(\d+),(.*)$");

        [NanoRuntimeFact]
        public void NFUnitTestPassesOnNanoClrThroughTheUnitTestLauncher()
        {
            List<string> load = NanoRuntime.LoadList(NfprojPath);
            Assert.Contains(load, p => Path.GetFileName(p) == "nanoFramework.UnitTestLauncher.pe");
            NanoRunResult run = NanoRuntime.Run(load, new NanoRunOptions { Timeout = TimeSpan.FromMinutes(5) });

            var passed = new List<string>();
            var failed = new List<string>();
            foreach (string line in run.Lines)
            {
                Match m = ResultLine.Match(line);
                if (!m.Success) continue;
                (m.Groups[1].Value == "passed" ? passed : failed).Add(m.Groups[2].Value);
            }
            Assert.False(run.TimedOut, "nanoclr timed out:\n" + run.Describe());
            Assert.True(failed.Count == 0, "on nanoclr: Test failed: " + string.Join(", ", failed) + "\n" + run.Describe());
            Assert.True(run.Lines.Contains("Done."), "the UnitTestLauncher never printed \"Done.\" (crash or abort?)\n" + run.Describe());
            Assert.True(run.ExitCode == 0, "nanoclr exit code " + run.ExitCode + "\n" + run.Describe());

            List<string> expected = ExpectedTests();
            Assert.True(expected.Count >= 7, "NFUnitTest has only " + expected.Count + " [TestMethod]s; the golden tests look lost: " + string.Join(", ", expected));
            Assert.Equal(expected, passed.OrderBy(x => x, StringComparer.Ordinal).ToList());
        }

        [Fact]
        public void TheResultLineFormatIsWhatTheLauncherPrints()
        {
            // The parser above must not silently match nothing: the documented line shape parses.
            Match m = ResultLine.Match("Test failed,TinTin.NFUnitTest.GoldenVectorTests.LossMatchesTheHost.0,66491");
            Assert.True(m.Success);
            Assert.Equal("failed", m.Groups[1].Value);
            Assert.Equal("TinTin.NFUnitTest.GoldenVectorTests.LossMatchesTheHost", m.Groups[2].Value);
        }
    }
}
