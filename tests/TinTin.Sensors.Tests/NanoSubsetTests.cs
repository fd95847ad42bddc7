using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Xunit;

namespace TinTin.Sensors.Tests
{
    public class NanoSubsetTests
    {
        [Theory]
        [InlineData("sensors/TinTin.Sensors/TinTin.Sensors.nfproj")]
        [InlineData("sensors/TinTin.Sensors.Board/TinTin.Sensors.Board.nfproj")]
        public void The_nfproj_compiles_every_source_file_of_its_folder(string nfproj)
        {
            string path = Repo.Path(nfproj.Split('/'));
            string dir = Path.GetDirectoryName(path);
            var listed = XDocument.Load(path).Descendants().Where(e => e.Name.LocalName == "Compile")
                .Select(e => e.Attribute("Include").Value.Replace('\\', '/')).Where(f => !f.StartsWith("Properties/")).OrderBy(f => f).ToArray();
            var present = Directory.GetFiles(dir, "*.cs").Select(Path.GetFileName).OrderBy(f => f).ToArray();
            Assert.Equal(present, listed);
            string config = File.ReadAllText(Path.Combine(dir, "packages.config"));
            Assert.Contains("id=\"nanoFramework.CoreLibrary\" version=\"1.17.11\"", config);
        }

        /// <summary>The shared sensor code (pipeline, driver, psychrometrics) holds no floating point at all.</summary>
        [Fact]
        public void The_shared_sensor_assembly_has_no_floating_point()
        {
            var findings = FloatFinder.Scan(typeof(FeaturePipeline).Assembly.Location);
            Assert.True(findings.Count == 0, string.Join("\n", findings));
        }

        [Fact]
        public void The_float_finder_sees_floating_point_where_it_is()
        {
            // The replay source converts doubles: the scan must notice, or the test above proves nothing.
            var findings = FloatFinder.Scan(typeof(ReplaySource).Assembly.Location);
            Assert.Contains(findings, f => f.StartsWith("opcode"));
            Assert.Contains(findings, f => f.StartsWith("signature") || f.StartsWith("locals"));
        }
    }

    internal static class FloatFinder
    {
        private static readonly string[] FloatOps = { "ldc.r4", "ldc.r8", "conv.r4", "conv.r8", "conv.r.un", "ldelem.r4", "ldelem.r8", "stelem.r4", "stelem.r8", "ldind.r4", "ldind.r8", "stind.r4", "stind.r8", "ckfinite" };
        private static readonly Dictionary<short, OpCode> Ops = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)).ToDictionary(o => o.Value);

        public static List<string> Scan(string assembly)
        {
            var found = new List<string>();
            using var pe = new PEReader(File.OpenRead(assembly));
            var md = pe.GetMetadataReader();
            var sig = new IsFloat();
            foreach (var th in md.TypeDefinitions)
            {
                var type = md.GetTypeDefinition(th);
                string tn = md.GetString(type.Name);
                foreach (var fh in type.GetFields())
                    if (md.GetFieldDefinition(fh).DecodeSignature(sig, null)) found.Add("field " + tn + "." + md.GetString(md.GetFieldDefinition(fh).Name));
                foreach (var mh in type.GetMethods())
                {
                    var m = md.GetMethodDefinition(mh);
                    string mn = tn + "." + md.GetString(m.Name);
                    var s = m.DecodeSignature(sig, null);
                    if (s.ReturnType || s.ParameterTypes.Any(p => p)) found.Add("signature " + mn);
                    if (m.RelativeVirtualAddress == 0) continue;
                    var body = pe.GetMethodBody(m.RelativeVirtualAddress);
                    if (!body.LocalSignature.IsNil && md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(sig, null).Any(l => l))
                        found.Add("locals " + mn);
                    byte[] il = body.GetILBytes();
                    for (int at = 0; at < il.Length;)
                    {
                        short code = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
                        OpCode op = Ops[code];
                        if (FloatOps.Contains(op.Name)) found.Add("opcode " + op.Name + " in " + mn);
                        at += op.Size + Operand(op, il, at + op.Size);
                    }
                }
            }
            foreach (var rh in md.MemberReferences)
            {
                var r = md.GetMemberReference(rh);
                bool f = r.GetKind() == MemberReferenceKind.Method
                    ? r.DecodeMethodSignature(sig, null) is var ms && (ms.ReturnType || ms.ParameterTypes.Any(p => p))
                    : r.DecodeFieldSignature(sig, null);
                if (f) found.Add("reference " + md.GetString(r.Name));
            }
            return found;
        }

        private static int Operand(OpCode op, byte[] il, int at) => op.OperandType switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
            _ => 4,
        };

        private sealed class IsFloat : ISignatureTypeProvider<bool, object>
        {
            public bool GetPrimitiveType(PrimitiveTypeCode c) => c is PrimitiveTypeCode.Single or PrimitiveTypeCode.Double;
            public bool GetSZArrayType(bool e) => e;
            public bool GetArrayType(bool e, ArrayShape s) => e;
            public bool GetByReferenceType(bool e) => e;
            public bool GetPointerType(bool e) => e;
            public bool GetPinnedType(bool e) => e;
            public bool GetGenericInstantiation(bool g, ImmutableArray<bool> a) => g || a.Any(x => x);
            public bool GetFunctionPointerType(MethodSignature<bool> s) => false;
            public bool GetGenericMethodParameter(object c, int i) => false;
            public bool GetGenericTypeParameter(object c, int i) => false;
            public bool GetModifiedType(bool m, bool u, bool r) => u;
            public bool GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle h, byte k) => false;
            public bool GetTypeFromReference(MetadataReader r, TypeReferenceHandle h, byte k)
            {
                var t = r.GetTypeReference(h);
                string n = r.GetString(t.Namespace) + "." + r.GetString(t.Name);
                return n is "System.Single" or "System.Double" or "System.Decimal";
            }
            public bool GetTypeFromSpecification(MetadataReader r, object c, TypeSpecificationHandle h, byte k) => false;
        }
    }
}
