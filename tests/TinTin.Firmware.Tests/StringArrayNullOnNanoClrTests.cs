using System;
using System.IO;
using System.Linq;
using TinTin.TestSupport;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// A nanoCLR difference found while running the board loop's fakes (BoardLoopCheck's RamFiles first tested path slots
    /// for null): an element of a new string[] that was never assigned is not a plain null. A branch sees null, the value
    /// of `s == null` is False, and `s == "x"` crashes the interpreter; once the element is assigned null it behaves.
    /// Board code must count the slots in use instead. When a runtime fixes this, the test fails and the note in
    /// DEVELOPERS.md can go.
    /// </summary>
    public class StringArrayNullOnNanoClrTests
    {
        private static NanoRunOutput Run(string body, string name)
        {
            NanoProgram runtime = NanoProgram.Locate(NanoProgram.ChecksProject);
            string folder = Path.Combine(Path.GetTempPath(), "tintin-string-array-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(
                    "public static class Program { public static void Main() { string[] a = new string[2]; string x = \"x\"; " + body
                    + " System.Console.WriteLine(\"E done\"); } }", name, folder);
                return runtime.Run(pe, 0, TimeSpan.FromMinutes(1));
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }

        [NanoRuntimeFact]
        public void A_never_assigned_string_array_element_is_not_a_plain_null_on_nanoclr()
        {
            NanoRunOutput run = Run(
                "string s = a[0]; System.Console.WriteLine(\"R value=\" + (s == null ? \"T\" : \"F\") + (s == null));"
                + " if (s == null) System.Console.WriteLine(\"R branch=null\"); else System.Console.WriteLine(\"R branch=other\");"
                + " a[1] = null; System.Console.WriteLine(\"R assigned-equals-x=\" + (a[1] == x));",
                "TinTin.StringArrayNull");
            var lines = run.Lines.Where(l => l.StartsWith("R ", StringComparison.Ordinal) || l.StartsWith("E ", StringComparison.Ordinal)).ToList();
            // .NET prints value=TTrue; nanoCLR's conditional sees null, the compared value does not.
            Assert.Equal(new[] { "R value=TFalse", "R branch=null", "R assigned-equals-x=False", "E done" }, lines);
        }

        [NanoRuntimeFact]
        public void Comparing_a_never_assigned_string_array_element_with_a_string_crashes_nanoclr()
        {
            NanoRunOutput run = Run("System.Console.WriteLine(\"R start\"); System.Console.WriteLine(\"R equals-x=\" + (a[0] == x));", "TinTin.StringArrayCrash");
            Assert.Contains("R start", run.Lines);
            Assert.DoesNotContain("E done", run.Lines);
            Assert.NotEqual(0, run.ExitCode);
        }
    }
}
