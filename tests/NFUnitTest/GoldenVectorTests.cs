using System;
using System.Collections;
using nanoFramework.TestFramework;

namespace TinTin.NFUnitTest
{
    /// <summary>
    /// On-device golden-vector tests: re-runs <see cref="GoldenScenario"/> on the board (or nanoclr)
    /// and asserts bit-exact equality with the host-computed <see cref="GoldenVectors"/>.
    /// </summary>
    [TestClass]
    public class GoldenVectorTests
    {
        [TestMethod]
        public void ForwardActivationsMatchTheHost()
        {
            Check(GoldenScenario.Forward);
        }

        [TestMethod]
        public void LossMatchesTheHost()
        {
            Check(GoldenScenario.Loss);
        }

        [TestMethod]
        public void ActivationGradientsMatchTheHost()
        {
            Check(GoldenScenario.ActivationGradient);
        }

        [TestMethod]
        public void WeightGradientRowsMatchTheHost()
        {
            Check(GoldenScenario.WeightGradient);
        }

        [TestMethod]
        public void WeightsAfterTrainingStepsMatchTheHost()
        {
            Check(GoldenScenario.AfterStep);
        }

        /// <summary>Runs every case and compares the sections of one kind, value by value.</summary>
        public static void Check(string kind)
        {
            int compared = 0;
            int next = 0; // index into the expected sections, which are stored case after case
            for (int c = 0; c < GoldenVectors.Seeds.Length; c++)
            {
                ArrayList actual = GoldenScenario.Run(GoldenVectors.Seeds[c], GoldenVectors.Inputs[c], GoldenVectors.InputExponents[c], GoldenVectors.Labels[c]);
                for (int s = 0; s < actual.Count; s++, next++)
                {
                    GoldenSection section = (GoldenSection)actual[s];
                    Assert.IsTrue(next < GoldenVectors.SectionNames.Length, "case " + c + ": the engine recorded more sections than the golden file holds");
                    string name = "case " + c + " " + section.Name;
                    Assert.AreEqual(GoldenVectors.SectionCases[next], c, name + ": golden file out of step");
                    Assert.AreEqual(GoldenVectors.SectionNames[next], section.Name, "case " + c + ": section order differs from the golden file");
                    if (section.Kind != kind) continue;
                    int[] expected = GoldenVectors.SectionValues[next];
                    Assert.AreEqual(expected.Length, section.Values.Length, name + ": length");
                    for (int i = 0; i < expected.Length; i++)
                        Assert.AreEqual(expected[i], section.Values[i], name + "[" + i + "]");
                    compared++;
                }
            }
            Assert.AreEqual(GoldenVectors.SectionNames.Length, next, "the golden file holds sections the engine did not record");
            Assert.IsTrue(compared > 0, "no golden sections of kind " + kind);
        }
    }
}
