using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using TinTin.TestSupport;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// The engine assembly holds no floating point at all: no float opcodes in any method body,
    /// and no float/double in any field, local, parameter, return type or referenced member.
    /// </summary>
    public class FloatFreeTests
    {
        [Fact]
        public void Engine_assembly_contains_no_floating_point()
        {
            string path = typeof(Network).Assembly.Location;
            List<string> findings = FloatScanner.Scan(path);
            Assert.True(findings.Count == 0, "floating point in " + Path.GetFileName(path) + ":\n" + string.Join("\n", findings));
        }

        [Fact]
        public void Scanner_finds_floating_point_where_it_exists()
        {
            // The float reference is full of floats: the scanner must see them, or the test above proves nothing.
            List<string> findings = FloatScanner.Scan(typeof(TinTin.Reference.FloatMlp).Assembly.Location);
            Assert.Contains(findings, f => f.Contains("opcode ldc.r8") || f.Contains("opcode ldc.r4"));
            Assert.Contains(findings, f => f.Contains("opcode ldelem.r4"));
            Assert.Contains(findings, f => f.StartsWith("field "));
            Assert.Contains(findings, f => f.StartsWith("locals "));
            Assert.Contains(findings, f => f.StartsWith("signature "));
        }
    }
}
