using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>(b) The engine, and every other board project, compiles clean against the nanoFramework surface.</summary>
    public class BoardProjectsCompileTests
    {
        [Fact]
        public void TheEngineCompilesAgainstTheNanoFrameworkSurface()
        {
            var (errors, image) = NanoCompiler.CompileProject(Repo.Path_("TinTin.Core.Nano", "TinTin.Core.Nano.nfproj"));
            Assert.True(errors.IsEmpty, NanoCompiler.Format(errors));
            Assert.NotNull(image);
            Assert.True(NfProject.Load(Repo.Path_("TinTin.Core.Nano", "TinTin.Core.Nano.nfproj")).Compile.Count >= 10, "the engine's Compile list looks truncated");
        }

        public static IEnumerable<object[]> Projects() => Repo.NanoProjects().Select(p => new object[] { Repo.Relative(p) });

        [Theory]
        [MemberData(nameof(Projects))]
        public void EveryBoardProjectCompilesAgainstTheNanoFrameworkSurface(string nfproj)
        {
            var (errors, image) = NanoCompiler.CompileProject(Repo.Path_(nfproj));
            Assert.True(errors.IsEmpty, nfproj + ":\n" + NanoCompiler.Format(errors));
            Assert.NotNull(image);
        }
    }
}
