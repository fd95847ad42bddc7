using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using TinTin.Reference;
using TinTin.TestSupport;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// Limits of the nanoFramework assembly format that neither the compiler nor the metadata processor
    /// reports: a type holds at most 255 static fields (nanoCLR stores the count in a byte and crashes
    /// while resolving an assembly that has more; measured: 250 constant arrays load, 256 crash). The
    /// C# compiler puts every constant array initialiser in a static field of one hidden type
    /// (&lt;PrivateImplementationDetails&gt;), so large tables of constants reach it first.
    /// </summary>
    public class NanoAssemblyLimitsTests
    {
        public const int MaxFieldsOfAKind = 255;

        [NanoRuntimeFact]
        public void NoBoardTypeHasMoreFieldsThanNanoClrCanLoad()
        {
            string[] dlls = Directory.GetFiles(NanoRuntime.BuildOutput, "*.dll");
            Assert.True(dlls.Length >= Repo.NanoProjects().Count(), "build/nano-out holds " + dlls.Length + " assemblies for " + Repo.NanoProjects().Count() + " board projects: build them (dotnet build TinTinNano.sln)");
            var problems = new List<string>();
            foreach (string dll in dlls)
            {
                using var pe = new PEReader(File.OpenRead(dll));
                MetadataReader md = pe.GetMetadataReader();
                foreach (TypeDefinitionHandle h in md.TypeDefinitions)
                {
                    TypeDefinition type = md.GetTypeDefinition(h);
                    var fields = type.GetFields().Select(f => md.GetFieldDefinition(f).Attributes)
                        .Where(a => (a & FieldAttributes.Literal) == 0).ToList(); // constants are inlined, not stored
                    int statics = fields.Count(a => (a & FieldAttributes.Static) != 0);
                    int instance = fields.Count - statics;
                    string name = md.GetString(type.Namespace) + "." + md.GetString(type.Name);
                    if (statics > MaxFieldsOfAKind) problems.Add(Path.GetFileName(dll) + ": " + name + " has " + statics + " static fields");
                    if (instance > MaxFieldsOfAKind) problems.Add(Path.GetFileName(dll) + ": " + name + " has " + instance + " instance fields");
                }
            }
            Assert.True(problems.Count == 0, "nanoCLR cannot load these (at most " + MaxFieldsOfAKind + " fields of a kind per type; for constant tables, concatenate arrays):\n  " + string.Join("\n  ", problems));
        }
    }
}
