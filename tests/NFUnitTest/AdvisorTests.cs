using nanoFramework.TestFramework;

namespace TinTin.NFUnitTest
{
    /// <summary>The fleet's challenger (FleetAdvisor) on the board (or nanoCLR): every step of <see cref="AdvisorCases"/> gives the host's line.</summary>
    [TestClass]
    public class AdvisorTests
    {
        [TestMethod]
        public void TheChallengerScoresAndAnswersAsOnTheHost()
        {
            string[] lines = AdvisorCases.Run();
            Assert.AreEqual(AdvisorCases.Expected.Length, lines.Length, "one expected line per sample");
            for (int i = 0; i < lines.Length; i++) Assert.AreEqual(AdvisorCases.Expected[i], lines[i], "advisor step " + i);
        }
    }
}
