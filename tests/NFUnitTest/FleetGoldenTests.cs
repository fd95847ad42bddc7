using System.Collections;
using nanoFramework.TestFramework;

namespace TinTin.NFUnitTest
{
    /// <summary>
    /// The fleet code on the board (or nanoCLR): re-runs <see cref="FleetScenario"/> and asserts
    /// bit-exact equality with the host-computed <see cref="FleetGoldens"/>.
    /// </summary>
    [TestClass]
    public class FleetGoldenTests
    {
        [TestMethod]
        public void Sha256AndHmacMatchTheHost() { Check(FleetScenario.Hash); }

        [TestMethod]
        public void IntegerMergeMatchesTheHost() { Check(FleetScenario.Merge); }

        [TestMethod]
        public void SignedMessagesMatchTheHost() { Check(FleetScenario.Message); }

        [TestMethod]
        public void MemberRefusesTakesAndRollsBackAsTheHost() { Check(FleetScenario.Member); }

        [TestMethod]
        public void AgreementCheckDeclinesNarrowsAndTakesAsTheHost() { Check(FleetScenario.Agreement); }

        [TestMethod]
        public void StatisticsAndAddressedModelsMatchTheHost() { Check(FleetScenario.Stats); }

        /// <summary>Runs the scenario and compares every section of one kind, value by value.</summary>
        public static void Check(string kind)
        {
            ArrayList actual = FleetScenario.Run();
            Assert.AreEqual(FleetGoldens.SectionNames.Length, actual.Count, "the fleet scenario recorded a different number of sections than the golden file holds");
            int at = 0, compared = 0;
            for (int s = 0; s < actual.Count; s++)
            {
                GoldenSection section = (GoldenSection)actual[s];
                int length = FleetGoldens.SectionLengths[s];
                Assert.AreEqual(FleetGoldens.SectionNames[s], section.Name, "section order differs from the golden file");
                if (section.Kind == kind)
                {
                    Assert.AreEqual(length, section.Values.Length, section.Name + ": length");
                    for (int i = 0; i < length; i++)
                        Assert.AreEqual(FleetGoldens.Values[at + i], section.Values[i], section.Name + "[" + i + "]");
                    compared++;
                }
                at += length;
            }
            Assert.IsTrue(compared > 0, "no fleet golden sections of kind " + kind);
        }
    }
}
