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

        [TestMethod]
        public void NegativeRoundingOfLargeMagnitudesMatchesTheHost()
        {
            Check(GoldenScenario.Rounding);
        }

        [TestMethod]
        public void LeanTrainingModesMatchTheHost()
        {
            Check(GoldenScenario.TrainingModes);
        }

        [TestMethod]
        public void DefaultModelContinualTrainingMatchesTheHost()
        {
            Check(GoldenScenario.Continual);
        }

        [TestMethod]
        public void FanInRateScalingMatchesTheHost()
        {
            Check(GoldenScenario.FanIn);
        }

        [TestMethod]
        public void WindowModelRowHistoryTrainingMatchesTheHost()
        {
            Check(GoldenScenario.WindowHistory);
        }

        /// <summary>
        /// The history of rows trains as the history of whole windows did (every recorded section equal, on this runtime),
        /// in fewer bytes: 24 samples of 4 rows of 3 features kept as 24 + 3 rows.
        /// </summary>
        [TestMethod]
        public void RowHistoryTrainsAsWholeWindowsDid()
        {
            for (int c = 0; c < 2; c++)
            {
                ArrayList rows = GoldenScenario.RunWindowContinual(GoldenVectors.WindowSeed, c == 1, true);
                ArrayList windows = GoldenScenario.RunWindowContinual(GoldenVectors.WindowSeed, c == 1, false);
                Assert.AreEqual(windows.Count, rows.Count, "case " + c + ": sections");
                for (int s = 0; s < rows.Count - 1; s++)
                {
                    int[] a = ((GoldenSection)windows[s]).Values, b = ((GoldenSection)rows[s]).Values;
                    Assert.AreEqual(a.Length, b.Length, "case " + c + " " + ((GoldenSection)rows[s]).Name + ": length");
                    for (int i = 0; i < a.Length; i++) Assert.AreEqual(a[i], b[i], "case " + c + " " + ((GoldenSection)rows[s]).Name + "[" + i + "]");
                }
                int[] windowMemory = ((GoldenSection)windows[windows.Count - 1]).Values, rowMemory = ((GoldenSection)rows[rows.Count - 1]).Values;
                int saved = 24 * GoldenScenario.WindowRows * GoldenScenario.WindowRowFeatures - (24 + GoldenScenario.WindowRows - 1) * GoldenScenario.WindowRowFeatures;
                Assert.AreEqual(saved, windowMemory[0] - rowMemory[0], "case " + c + ": history bytes saved");
                Assert.AreEqual(saved, windowMemory[1] - rowMemory[1], "case " + c + ": learner bytes saved");
            }
        }

        /// <summary>Runs the scenario that records sections of this kind, every case, and compares them value by value.</summary>
        public static void Check(string kind)
        {
            if (kind == GoldenScenario.Rounding)
            {
                int compared = Compare(GoldenScenario.RunRounding(), 0, 0, GoldenVectors.RoundingSectionNames, GoldenVectors.RoundingSectionValues, kind);
                Assert.AreEqual(GoldenVectors.RoundingSectionNames.Length, compared, "the golden file holds rounding sections the engine did not record");
                return;
            }
            if (kind == GoldenScenario.TrainingModes)
            {
                ArrayList modes = GoldenScenario.RunTrainingModes(GoldenVectors.Seeds[0], GoldenVectors.Inputs[0], GoldenVectors.InputExponents[0], GoldenVectors.Labels[0]);
                int compared = Compare(modes, 0, 0, GoldenVectors.TrainingModeSectionNames, GoldenVectors.TrainingModeSectionValues, kind);
                Assert.AreEqual(GoldenVectors.TrainingModeSectionNames.Length, compared, "the golden file holds training-mode sections the engine did not record");
                return;
            }
            if (kind == GoldenScenario.FanIn)
            {
                ArrayList fanIn = GoldenScenario.RunFanIn(GoldenVectors.FanInSeed, new TinTin.Core.ContinualConfig().ScaleRateByFanIn);
                int compared = Compare(fanIn, 0, 0, GoldenVectors.FanInSectionNames, GoldenVectors.FanInSectionValues, kind);
                Assert.AreEqual(GoldenVectors.FanInSectionNames.Length, compared, "the golden file holds fan-in sections the engine did not record");
                return;
            }
            if (kind == GoldenScenario.WindowHistory)
            {
                int next = 0;
                for (int c = 0; c < 2; c++)
                {
                    ArrayList actual = GoldenScenario.RunWindowContinual(GoldenVectors.WindowSeed, c == 1, true);
                    for (int s = 0; s < actual.Count; s++)
                        Assert.AreEqual(GoldenVectors.WindowSectionCases[next + s], c, "case " + c + " " + ((GoldenSection)actual[s]).Name + ": golden file out of step");
                    next += Compare(actual, c, next, GoldenVectors.WindowSectionNames, GoldenVectors.WindowSectionValues, kind);
                }
                Assert.AreEqual(GoldenVectors.WindowSectionNames.Length, next, "the golden file holds window sections the engine did not record");
                return;
            }
            if (kind == GoldenScenario.Continual)
            {
                byte[] model = TinTin.Firmware.DefaultModel.Bytes();
                int next = 0;
                for (int c = 0; c < GoldenVectors.ContinualSeeds.Length; c++)
                {
                    ArrayList actual = GoldenScenario.RunContinual(GoldenVectors.ContinualSeeds[c], model, GoldenVectors.ContinualLookAhead[c]);
                    for (int s = 0; s < actual.Count; s++)
                        Assert.AreEqual(GoldenVectors.ContinualSectionCases[next + s], c, "case " + c + " " + ((GoldenSection)actual[s]).Name + ": golden file out of step");
                    next += Compare(actual, c, next, GoldenVectors.ContinualSectionNames, GoldenVectors.ContinualSectionValues, kind);
                }
                Assert.AreEqual(GoldenVectors.ContinualSectionNames.Length, next, "the golden file holds continual sections the engine did not record");
                return;
            }
            CheckTrainingSteps(kind);
        }

        /// <summary>Compares every section of actual with names/values from index first on; returns how many it compared.</summary>
        static int Compare(ArrayList actual, int c, int first, string[] names, int[][] values, string kind)
        {
            for (int s = 0; s < actual.Count; s++)
            {
                GoldenSection section = (GoldenSection)actual[s];
                int at = first + s;
                Assert.IsTrue(at < names.Length, "case " + c + ": the engine recorded more " + kind + " sections than the golden file holds");
                Assert.AreEqual(names[at], section.Name, "case " + c + ": " + kind + " section order differs from the golden file");
                string name = "case " + c + " " + section.Name;
                int[] expected = values[at];
                Assert.AreEqual(expected.Length, section.Values.Length, name + ": length");
                for (int i = 0; i < expected.Length; i++)
                    Assert.AreEqual(expected[i], section.Values[i], name + "[" + i + "]");
            }
            return actual.Count;
        }

        /// <summary>Runs every case of the training-step scenario and compares the sections of one kind, value by value.</summary>
        static void CheckTrainingSteps(string kind)
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
