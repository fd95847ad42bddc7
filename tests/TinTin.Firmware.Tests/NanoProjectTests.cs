using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    public class NanoProjectTests
    {
        [Fact]
        public void The_firmware_logic_holds_no_floating_point()
        {
            var findings = TinTin.TestSupport.FloatScanner.Scan(typeof(DefaultModel).Assembly.Location);
            Assert.True(findings.Count == 0, string.Join("\n", findings));
        }

        [Fact]
        public void The_embedded_default_model_matches_the_prepare_step()
        {
            PreparedModel prepared = ModelPreparation.Prepare(new PrepareOptions());
            Assert.Equal(DefaultModel.FeatureIds(), prepared.FeatureIds);
            // The committed constant is exactly what the prepare step produces (training is integer and seeded).
            Assert.Equal(DefaultModel.Bytes(), prepared.Bytes);
            Assert.True(prepared.TrainingAccuracyPerMille > 850);
        }
    }
}
