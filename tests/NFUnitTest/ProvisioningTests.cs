using nanoFramework.TestFramework;
using TinTin.Firmware;

namespace TinTin.NFUnitTest
{
    /// <summary>The fleet provisioning parser on the board (or nanoCLR): every case of <see cref="ProvisioningCases"/> gives the host's result.</summary>
    [TestClass]
    public class ProvisioningTests
    {
        [TestMethod]
        public void ProvisioningFilesParseAsOnTheHost()
        {
            string[] texts = ProvisioningCases.Texts();
            Assert.AreEqual(ProvisioningCases.Expected.Length, texts.Length, "one expected result per case");
            for (int i = 0; i < texts.Length; i++)
            {
                FleetProvisioning p = new FleetProvisioning();
                bool ok = p.Parse(texts[i]);
                Assert.AreEqual(ProvisioningCases.Expected[i], ProvisioningCases.Describe(p, ok), "provisioning case " + i);
            }
        }

        [TestMethod]
        public void OneParserReadsFileAfterFile()
        {
            // The board parses once, but a reused parser must not carry a key over from an earlier file.
            FleetProvisioning p = new FleetProvisioning();
            string[] texts = ProvisioningCases.Texts();
            Assert.IsTrue(p.Parse(texts[2]), p.Error);
            Assert.IsTrue(p.Parse(texts[1]), p.Error);
            Assert.AreEqual(ProvisioningCases.Expected[1], ProvisioningCases.Describe(p, true));
        }
    }
}
