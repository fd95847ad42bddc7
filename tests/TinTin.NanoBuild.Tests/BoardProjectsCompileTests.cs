using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>(b) The engine, and every other board project, compiles clean (Release, NanoRules on) against the real nanoFramework references.</summary>
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

        [TinTin.TestSupport.NanoRuntimeFact]
        public void TheRestoredMscorlibIsTheOneTheRuntimeLoads()
        {
            // Board code compiles against the NuGet package's mscorlib.dll; nanoCLR loads the runtime's pe/mscorlib.pe,
            // built from the runtime's ref/mscorlib.dll. They must be the same assembly, byte for byte.
            byte[] nuget = System.IO.File.ReadAllBytes(NanoReferences.CoreLibrary);
            byte[] runtime = System.IO.File.ReadAllBytes(System.IO.Path.Combine(NanoReferences.Runtime, "ref", "mscorlib.dll"));
            Assert.True(nuget.AsSpan().SequenceEqual(runtime), NanoReferences.CoreLibrary + " differs from the runtime's ref/mscorlib.dll");
        }

        public static IEnumerable<object[]> Projects() => Repo.NanoProjects().Select(Repo.Relative).Where(p => !Repo.Unchecked.ContainsKey(p)).Select(p => new object[] { p });

        [Fact]
        public void UncheckedProjectsStillCannotBeChecked()
        {
            // An exemption lasts only while its reason holds: the project references an assembly with neither a real build nor a listing.
            foreach (var entry in Repo.Unchecked)
            {
                Assert.True(System.IO.File.Exists(Repo.Path_(entry.Key)), entry.Key + " no longer exists: drop it from Repo.Unchecked");
                var unlisted = NfProject.Load(Repo.Path_(entry.Key)).References.Select(r => r.name)
                    .Where(n => !NanoCompiler.IgnoredReferences.Contains(n) && !NanoReferences.IsReal(n) && !System.IO.File.Exists(System.IO.Path.Combine(Repo.NanoApi, n + ".txt")))
                    .ToList();
                Assert.True(unlisted.Count > 0, entry.Key + " now references only real or listed assemblies: remove it from Repo.Unchecked and add its nano check project");
            }
        }

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
