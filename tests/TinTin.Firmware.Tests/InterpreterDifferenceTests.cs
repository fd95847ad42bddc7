using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using TinTin.Reference;
using TinTin.TestSupport;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// Board code stays away from what the POSIX nanoCLR does differently from a board or from .NET
    /// (shared/nano-runtime README): Environment.TickCount64 crashes it, GC.Run aborts it and
    /// GC.EnableGCMessages throws, the Hashtable indexer throws, StringBuilder.Append(string)
    /// throws, System.Math gives wrong values (and is double: never in the engine). Scans the
    /// member references of every board assembly the build made (build/nano-out/*.dll). The one
    /// exception: the board's heap binding (TinTin.Firmware.Board NativeHeap) calls GC.Run(false),
    /// which is what a real board answers free heap with; it never runs on nanoCLR, where the
    /// replay driver probes the heap by allocation instead (TinTin.Firmware.Replay AllocationProbeHeap).
    /// </summary>
    public class InterpreterDifferenceTests
    {
        private static readonly (string Type, string Member, string Why)[] Forbidden =
        {
            ("System.Environment", "get_TickCount64", "crashes the POSIX nanoCLR: use DateTime.UtcNow.Ticks or the board clock"),
            ("nanoFramework.Runtime.Native.GC", "Run", "aborts the POSIX nanoCLR (only the board heap binding may call it)"),
            ("System.GC", "EnableGCMessages", "throws NotSupportedException on nanoCLR"),
            ("System.Collections.Hashtable", "get_Item", "the Hashtable indexer throws on the POSIX nanoCLR: use arrays"),
            ("System.Collections.Hashtable", "set_Item", "the Hashtable indexer throws on the POSIX nanoCLR: use arrays"),
            ("System.Text.StringBuilder", "Append", "StringBuilder.Append(string) throws on the POSIX nanoCLR: concatenate or use char[]"),
            ("System.Math", "*", "System.Math is wrong on the POSIX nanoCLR and double-based: integer helpers (QMath) instead"),
        };

        private static readonly HashSet<(string Assembly, string Type, string Member)> Allowed = new()
        {
            ("TinTin.Firmware.Board", "nanoFramework.Runtime.Native.GC", "Run"),
        };

        public static IEnumerable<object[]> BoardAssemblies()
        {
            string dir = NanoRuntime.BuildOutput;
            if (!Directory.Exists(dir)) return new[] { new object[] { "(no build/nano-out: run dotnet build)" } };
            return Directory.GetFiles(dir, "*.dll").Select(p => new object[] { Path.GetFileNameWithoutExtension(p) });
        }

        [NanoRuntimeTheory]
        [MemberData(nameof(BoardAssemblies))]
        public void Board_assembly_uses_nothing_the_interpreter_runs_differently(string assembly)
        {
            string path = Path.Combine(NanoRuntime.BuildOutput, assembly + ".dll");
            Assert.True(File.Exists(path), "no " + path + ": build first (dotnet build TinTinNano.sln)");
            var found = new List<string>();
            using var pe = new PEReader(File.OpenRead(path));
            MetadataReader md = pe.GetMetadataReader();
            foreach (MemberReferenceHandle h in md.MemberReferences)
            {
                MemberReference m = md.GetMemberReference(h);
                string type = TypeName(md, m.Parent);
                string member = md.GetString(m.Name);
                foreach (var (t, name, why) in Forbidden)
                    if (type == t && (name == "*" || name == member) && !Allowed.Contains((assembly, type, member)))
                        found.Add(type + "." + member + ": " + why);
            }
            Assert.True(found.Count == 0, assembly + " uses:\n" + string.Join("\n", found.Distinct()));
        }

        [NanoRuntimeFact]
        public void The_scan_sees_the_board_heap_bindings_GC_Run()
        {
            // Proves the scan reads member references at all: the one allowed use is found.
            string path = Path.Combine(NanoRuntime.BuildOutput, "TinTin.Firmware.Board.dll");
            Assert.True(File.Exists(path), "no " + path + ": build first (dotnet build TinTinNano.sln)");
            using var pe = new PEReader(File.OpenRead(path));
            MetadataReader md = pe.GetMetadataReader();
            Assert.Contains(md.MemberReferences.Select(md.GetMemberReference),
                m => TypeName(md, m.Parent) == "nanoFramework.Runtime.Native.GC" && md.GetString(m.Name) == "Run");
        }

        private static string TypeName(MetadataReader md, EntityHandle parent)
        {
            if (parent.Kind == HandleKind.TypeReference)
            {
                TypeReference t = md.GetTypeReference((TypeReferenceHandle)parent);
                string ns = md.GetString(t.Namespace);
                return (ns.Length > 0 ? ns + "." : "") + md.GetString(t.Name);
            }
            if (parent.Kind == HandleKind.TypeDefinition)
            {
                TypeDefinition t = md.GetTypeDefinition((TypeDefinitionHandle)parent);
                string ns = md.GetString(t.Namespace);
                return (ns.Length > 0 ? ns + "." : "") + md.GetString(t.Name);
            }
            return "";
        }
    }
}
