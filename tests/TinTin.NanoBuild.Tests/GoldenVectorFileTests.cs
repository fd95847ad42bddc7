using System;
using System.IO;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>CI regenerates the golden vectors and fails when the committed file is stale.</summary>
    public class GoldenVectorFileTests
    {
        static string GoldenPath => Repo.Path_("tests", "NFUnitTest", "GoldenVectors.cs");

        [Fact]
        public void CommittedGoldenVectorsMatchTheEngine()
        {
            string fresh = GoldenGenerator.Generate();
            bool update = Environment.GetEnvironmentVariable("TINTIN_UPDATE_GOLDENS") == "1";
            string committed = File.Exists(GoldenPath) ? File.ReadAllText(GoldenPath).Replace("\r\n", "\n") : null;
            if (update && committed != fresh)
            {
                File.WriteAllText(GoldenPath, fresh);
                committed = fresh;
            }
            Assert.True(committed != null, GoldenPath + " is missing. Generate it with:\n  " + GoldenGenerator.RegenerateCommand);
            if (committed != fresh)
            {
                string[] a = committed.Split('\n'), b = fresh.Split('\n');
                int line = 0;
                while (line < a.Length && line < b.Length && a[line] == b[line]) line++;
                Assert.Fail("tests/NFUnitTest/GoldenVectors.cs no longer matches what the engine computes (first difference at line " + (line + 1) +
                    "):\n  committed: " + (line < a.Length ? a[line].Trim() : "<end>") + "\n  engine now: " + (line < b.Length ? b[line].Trim() : "<end>") +
                    "\nIf the engine change is intended, regenerate and commit the file:\n  " + GoldenGenerator.RegenerateCommand);
            }
        }

        [Fact]
        public void GoldenInputsAreDeterministicAndVaried()
        {
            var (x1, e1, y1) = GoldenGenerator.Inputs(GoldenGenerator.Seeds[0]);
            var (x2, _, _) = GoldenGenerator.Inputs(GoldenGenerator.Seeds[0]);
            var (x3, _, _) = GoldenGenerator.Inputs(GoldenGenerator.Seeds[1]);
            Assert.Equal(x1, x2);
            Assert.NotEqual(x1, x3);
            Assert.Contains(x1, v => v < 0);
            Assert.Contains(x1, v => v > 0);
            Assert.All(e1, e => Assert.InRange(e, -7, -5));
            Assert.All(y1, y => Assert.InRange(y, 0, 2));
        }
    }
}
