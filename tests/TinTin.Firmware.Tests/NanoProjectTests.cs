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
        public void The_nfproj_compiles_exactly_the_shared_firmware_files()
        {
            string folder = RepositoryPaths.Find("firmware", "TinTin.Firmware");
            string nfproj = File.ReadAllText(Path.Combine(folder, "TinTin.Firmware.nfproj"));
            var listed = Regex.Matches(nfproj, "<Compile Include=\"([^\"]+)\"").Select(m => m.Groups[1].Value)
                .Where(p => !p.Contains('\\')).OrderBy(p => p).ToArray();
            var files = Directory.GetFiles(folder, "*.cs").Select(Path.GetFileName).OrderBy(p => p).ToArray();
            Assert.Equal(files, listed);
        }

        [Fact]
        public void The_embedded_default_model_matches_the_prepare_step()
        {
            PreparedModel prepared = ModelPreparation.Prepare(new PrepareOptions());
            Assert.Equal(DefaultModel.FeatureIds(), prepared.FeatureIds);
            Assert.Equal(DefaultModel.Bytes().Length, prepared.Bytes.Length);
            Assert.True(prepared.TrainingAccuracyPerMille > 850);
        }
    }
}
