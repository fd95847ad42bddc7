using System.Linq;
using TinTin.TestSupport;
using Xunit;

namespace TinTin.Sensors.Tests
{
    public class NanoSubsetTests
    {
        /// <summary>The shared sensor code (pipeline, driver, psychrometrics) holds no floating point at all.</summary>
        [Fact]
        public void The_shared_sensor_assembly_has_no_floating_point()
        {
            var findings = FloatScanner.Scan(typeof(FeaturePipeline).Assembly.Location);
            Assert.True(findings.Count == 0, string.Join("\n", findings));
        }

        [Fact]
        public void The_float_finder_sees_floating_point_where_it_is()
        {
            // The replay source converts doubles: the scan must notice, or the test above proves nothing.
            var findings = FloatScanner.Scan(typeof(ReplaySource).Assembly.Location);
            Assert.Contains(findings, f => f.StartsWith("opcode"));
            Assert.Contains(findings, f => f.StartsWith("signature") || f.StartsWith("locals"));
        }
    }
}
