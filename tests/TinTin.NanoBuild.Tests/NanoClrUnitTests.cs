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
        static readonly Regex AssemblyLine = new Regex(@"^\s*Assembly: (\S+)");
        static readonly Regex SignaturesLine = new Regex(@"^\s*Signatures\s*=\s*(\d+) bytes");
        /// <summary>
        /// nanoCLR addresses an assembly's signature table, which also holds its constant arrays (the goldens), with
        /// 16 bits: measured, NFUnitTest with 69,963 B stops at "Resolving. Error: a2000000", with 54,283 B it runs.
        /// </summary>
        public const int MaxSignatureBytes = 65535;

        /// <summary>Signature-table bytes of every assembly in nanoclr's load report, by assembly name.</summary>
        static Dictionary<string, int> SignatureBytes(IEnumerable<string> lines)
        {
            var sizes = new Dictionary<string, int>();
            string assembly = null;
            foreach (string line in lines)
            {
                Match a = AssemblyLine.Match(line);
                if (a.Success) { assembly = a.Groups[1].Value; continue; }
                Match sig = SignaturesLine.Match(line);
                if (sig.Success && assembly != null) sizes[assembly] = int.Parse(sig.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
            return sizes;
        }

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
            Dictionary<string, int> signatures = SignatureBytes(run.Lines);
            Assert.True(signatures.ContainsKey(NfProject_AssemblyName()), "nanoclr's load report names no signature table of " + NfProject_AssemblyName() + "\n" + run.Describe());
            foreach (var kv in signatures)
                Assert.True(kv.Value <= MaxSignatureBytes, kv.Key + ": signature table of " + kv.Value + " B, over the " + MaxSignatureBytes +
                    " B nanoCLR can address (constant arrays live there: record fewer golden values, e.g. a CRC per step as GoldenScenario.RunFanIn does)");
            Assert.True(failed.Count == 0, "on nanoclr: Test failed: " + string.Join(", ", failed) + "\n" + run.Describe());
            Assert.True(run.Lines.Contains("Done."), "the UnitTestLauncher never printed \"Done.\" (crash or abort?)\n" + run.Describe());
            Assert.True(run.ExitCode == 0, "nanoclr exit code " + run.ExitCode + "\n" + run.Describe());

            List<string> expected = ExpectedTests();
            Assert.True(expected.Count >= 7, "NFUnitTest has only " + expected.Count + " [TestMethod]s; the golden tests look lost: " + string.Join(", ", expected));
            Assert.Equal(expected, passed.OrderBy(x => x, StringComparer.Ordinal).ToList());
        }

        [Fact]
        public void TheSignatureTableSizesAreReadFromNanoClrsLoadReport()
        {
            // Lines as nanoclr prints them (the failing NFUnitTest build of 2026-12-01).
            string[] report =
            {
                "   Assembly: TinTin.Sensors (1.0.0.0)   (804 RAM - 10180 ROM - 2724 METADATA)",
                "   Signatures      =      372 bytes",
                "   Assembly: NFUnitTest (1.0.0.0)   (2720 RAM - 105628 ROM - 73495 METADATA)",
                "   Strings         =    17539 bytes",
                "   Signatures      =    69963 bytes",
            };
            Dictionary<string, int> sizes = SignatureBytes(report);
            Assert.Equal(372, sizes["TinTin.Sensors"]);
            Assert.Equal(69963, sizes["NFUnitTest"]);
            Assert.True(sizes["NFUnitTest"] > MaxSignatureBytes);
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
