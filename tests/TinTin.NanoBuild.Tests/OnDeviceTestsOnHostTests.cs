using System;
using System.Collections;
using System.Linq;
using System.Reflection;
using nanoFramework.TestFramework;
using TinTin.NFUnitTest;
using Xunit;
using XAssert = Xunit.Assert;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// The NFUnitTest sources, compiled here against a host stand-in for nanoFramework.TestFramework:
    /// they pass against the committed goldens, they fail when a golden value is off by one, and the
    /// scenario really trains (the goldens are not a trivial fixed point).
    /// </summary>
    public class OnDeviceTestsOnHostTests
    {
        static MethodInfo[] TestMethods() => typeof(GoldenVectorTests).GetMethods()
            .Where(m => m.GetCustomAttribute<TestMethodAttribute>() != null).ToArray();

        [Fact]
        public void EveryOnDeviceTestPassesOnTheHost()
        {
            MethodInfo[] tests = TestMethods();
            XAssert.Equal(11, tests.Length);
            XAssert.NotNull(typeof(GoldenVectorTests).GetCustomAttribute<TestClassAttribute>());
            foreach (MethodInfo m in tests)
            {
                try { m.Invoke(new GoldenVectorTests(), null); }
                catch (TargetInvocationException e) { XAssert.Fail(m.Name + " failed on the host: " + e.InnerException.Message); }
            }
        }

        /// <summary>The window scenario updates many times and its model keeps changing (its CRC differs at every record), in both layouts.</summary>
        [Fact]
        public void TheWindowScenarioTrains()
        {
            for (int c = 0; c < 2; c++)
            {
                var learner = GoldenScenario.RunWindowContinual(GoldenGenerator.WindowSeed, c == 1, true).Cast<GoldenSection>()
                    .Where(s => s.Name.EndsWith(".learner", StringComparison.Ordinal)).ToList();
                XAssert.Equal(GoldenScenario.WindowSamples / GoldenScenario.WindowRecordEvery, learner.Count);
                XAssert.True(learner[^1].Values[0] > 50, "updates: " + learner[^1].Values[0]);
                XAssert.Equal(learner.Count, learner.Select(s => s.Values[^1]).Distinct().Count());
            }
        }

        [Theory]
        [InlineData(GoldenScenario.Forward)]
        [InlineData(GoldenScenario.Loss)]
        [InlineData(GoldenScenario.ActivationGradient)]
        [InlineData(GoldenScenario.WeightGradient)]
        [InlineData(GoldenScenario.AfterStep)]
        [InlineData(GoldenScenario.Rounding)]
        [InlineData(GoldenScenario.Continual)]
        [InlineData(GoldenScenario.TrainingModes)]
        [InlineData(GoldenScenario.FanIn)]
        public void AGoldenValueOffByOneFailsItsTest(string kind)
        {
            // The last section of this kind (of the last case): late in training, so everything before it must agree too.
            string[] names;
            int[][] all;
            if (kind == GoldenScenario.Rounding) { names = GoldenVectors.RoundingSectionNames; all = GoldenVectors.RoundingSectionValues; }
            else if (kind == GoldenScenario.Continual) { names = GoldenVectors.ContinualSectionNames; all = GoldenVectors.ContinualSectionValues; }
            else if (kind == GoldenScenario.FanIn) { names = GoldenVectors.FanInSectionNames; all = GoldenVectors.FanInSectionValues; }
            else if (kind == GoldenScenario.TrainingModes) { names = GoldenVectors.TrainingModeSectionNames; all = GoldenVectors.TrainingModeSectionValues; }
            else { names = GoldenVectors.SectionNames; all = GoldenVectors.SectionValues; }
            int index = kind == GoldenScenario.Rounding || kind == GoldenScenario.Continual || kind == GoldenScenario.TrainingModes || kind == GoldenScenario.FanIn ? names.Length - 1 : Array.LastIndexOf(GoldenVectors.SectionKinds, kind);
            XAssert.True(index >= 0, "no section of kind " + kind);
            int[] values = all[index];
            int at = values.Length - 1;
            values[at]++;
            try
            {
                var e = XAssert.Throws<HostAssertFailedException>(() => GoldenVectorTests.Check(kind));
                XAssert.Contains(names[index], e.Message);
            }
            finally { values[at]--; }
            GoldenVectorTests.Check(kind); // restored
        }

        [Fact]
        public void TheScenarioTrains()
        {
            var (x, e, y) = GoldenGenerator.Inputs(GoldenGenerator.Seeds[0]);
            ArrayList trace = GoldenScenario.Run(GoldenGenerator.Seeds[0], x, e, y);
            GoldenSection Find(string name) => trace.Cast<GoldenSection>().Single(s => s.Name == name);
            int[] first = Find("step0.layer0.master").Values, last = Find("step" + (GoldenScenario.Steps - 1) + ".layer0.master").Values;
            XAssert.False(first.SequenceEqual(last), "master weights did not change over the training steps");
            XAssert.Contains(trace.Cast<GoldenSection>(), s => s.Kind == GoldenScenario.WeightGradient && s.Values.Skip(1).Any(v => v != 0));
            var losses = trace.Cast<GoldenSection>().Where(s => s.Kind == GoldenScenario.Loss).Select(s => s.Values[0]).ToList();
            XAssert.Equal(GoldenScenario.SampleCount, losses.Count);
            XAssert.True(losses.Distinct().Count() > 1, "every sample has the same loss");
            XAssert.All(losses, l => XAssert.True(l > 0));
        }
    
        [Fact]
        public void TheContinualScenarioUpdatesTheDefaultModelRepeatedly()
        {
            ArrayList trace = GoldenScenario.RunContinual(GoldenGenerator.ContinualSeeds[0], TinTin.Firmware.DefaultModel.Bytes());
            var learner = trace.Cast<GoldenSection>().Where(s => s.Name.EndsWith(".learner")).Select(s => s.Values).ToList();
            XAssert.Equal(GoldenScenario.ContinualUpdates, learner.Count);
            // [label, labelled, updated, Updates, ..., crc]: most rounds update, the model changes with them.
            int updates = learner[learner.Count - 1][3];
            XAssert.True(updates >= GoldenScenario.ContinualUpdates / 2, "only " + updates + " updates in " + learner.Count + " rounds");
            XAssert.True(learner.Select(v => v[v.Length - 1]).Distinct().Count() >= updates, "the model CRC does not change with each update");
            XAssert.True(learner.Select(v => v[0]).Distinct().Count() > 1, "every round has the same label");
            var predictions = trace.Cast<GoldenSection>().Where(s => s.Name.EndsWith(".predictions")).SelectMany(s => s.Values).ToList();
            XAssert.True(predictions.Distinct().Count() > 1, "the default model predicts one class for every generated sample");
            // Biases after the last update carry negative values: the negative rounding branch is exercised.
            XAssert.Contains(trace.Cast<GoldenSection>(), s => s.Name.EndsWith(".bias") && s.Values.Skip(1).Any(v => v < 0));
        }

        [Fact]
        public void TheFanInScenarioScalesTheWideLayerInEveryModeAndTheScalingShowsInTheWeights()
        {
            XAssert.True(new TinTin.Core.ContinualConfig().ScaleRateByFanIn, "fan-in scaling is no longer the default: the golden case records the unscaled path");
            XAssert.True(GoldenScenario.FanInSizes[0] > TinTin.Core.Network.ReferenceFanIn);
            GoldenSection[] scaled = GoldenScenario.RunFanIn(GoldenGenerator.FanInSeed, true).Cast<GoldenSection>().ToArray();
            GoldenSection[] plain = GoldenScenario.RunFanIn(GoldenGenerator.FanInSeed, false).Cast<GoldenSection>().ToArray();
            XAssert.Equal(plain.Select(s => s.Name), scaled.Select(s => s.Name));
            string[] modes = scaled.Where(s => s.Name.EndsWith(".rateShift")).Select(s => s.Name.Split('.')[0]).ToArray();
            XAssert.Equal(4, modes.Length);
            foreach (string mode in modes)
            {
                // 64 inputs = 2^2 · 16: the first layer steps at lr · 2^-2, the 3-input second layer at lr.
                XAssert.Equal(new[] { 2, -1, 0 }, scaled.Single(s => s.Name == mode + ".rateShift").Values);
                XAssert.Equal(new[] { 0, -1, 0 }, plain.Single(s => s.Name == mode + ".rateShift").Values);
                string last = mode + ".update" + (mode == "mode0" ? 1 : GoldenScenario.FanInSamples - 1) + ".layer0.";
                string what = scaled.Any(s => s.Name == last + "residue") ? "residue" : scaled.Any(s => s.Name == last + "master") ? "master" : "weights";
                int[] a = scaled.Single(s => s.Name == last + what).Values, b = plain.Single(s => s.Name == last + what).Values;
                XAssert.False(a.SequenceEqual(b), mode + ": the first layer's " + what + " are the same with and without fan-in scaling");
                int[] start = TinTin.Core.Network.CreateMlp(GoldenScenario.FanInSizes, GoldenGenerator.FanInSeed, -1, false).Layers.OfType<TinTin.Core.ParameterLayer>().First().Weights.Select(v => (int)v).ToArray();
                XAssert.False(start.SequenceEqual(scaled.Single(s => s.Name == last + "weights").Values.Skip(1)), mode + ": the scaled first layer's int8 weights never moved");
            }
        }

        [Fact]
        public void TheRoundingScenarioCoversLargeNegativeMagnitudesAndEveryShift()
        {
            XAssert.Contains(int.MinValue, GoldenScenario.RoundingInputs);
            XAssert.Contains(GoldenScenario.RoundingInputs, v => v < -(1 << 30));
            XAssert.Equal(31, GoldenScenario.MaxShift);
            ArrayList trace = GoldenScenario.RunRounding();
            var nearest = trace.Cast<GoldenSection>().Single(s => s.Name == "value" + Array.IndexOf(GoldenScenario.RoundingInputs, -6) + ".nearest").Values;
            // shift 1: -6 / 2 = -3, widened: high word -1, SaturatingAdd(-3, 1) = -2 (nanoCLR with an unconverted uint gave 0 and int.MaxValue).
            XAssert.Equal(new[] { -3, -1, -2 }, nearest.Take(3).ToArray());
            var minNearest = trace.Cast<GoldenSection>().Single(s => s.Name == "value0.nearest").Values;
            XAssert.Equal(-(1 << 30), minNearest[0]);
            XAssert.Equal(-1, minNearest[1]);
        }

        [Fact]
        public void TheProvisioningCasesGiveTheHostsResultsAndAWrongExpectationFails()
        {
            var tests = typeof(ProvisioningTests).GetMethods().Where(m => m.GetCustomAttribute<TestMethodAttribute>() != null).ToArray();
            XAssert.Equal(2, tests.Length);
            foreach (MethodInfo m in tests)
            {
                try { m.Invoke(new ProvisioningTests(), null); }
                catch (TargetInvocationException e) { XAssert.Fail(m.Name + " failed on the host: " + e.InnerException.Message); }
            }
            // Good, TLS, malformed and oversized files are all among the cases.
            XAssert.Contains(ProvisioningCases.Expected, e => e.StartsWith("ok ") && e.Contains(" tls=1 "));
            XAssert.Contains(ProvisioningCases.Expected, e => e.Contains("over the 4096 limit"));
            XAssert.True(ProvisioningCases.Expected.Count(e => e.StartsWith("error: ")) >= 10);
            string saved = ProvisioningCases.Expected[3];
            ProvisioningCases.Expected[3] = saved.Replace("port=443", "port=444");
            try { XAssert.Throws<HostAssertFailedException>(() => new ProvisioningTests().ProvisioningFilesParseAsOnTheHost()); }
            finally { ProvisioningCases.Expected[3] = saved; }
        }

        [Fact]
        public void TheAdvisorCasesGiveTheHostsLinesFollowTheAdvisorsRulesAndAWrongExpectationFails()
        {
            string[] lines = AdvisorCases.Run();
            new AdvisorTests().TheChallengerScoresAndAnswersAsOnTheHost();
            // The rules, read back from the lines: no challenger before it is loaded; the answer is the
            // challenger's while the lead (after the previous step's scoring) is at least the threshold (1);
            // the lead stays within the cap (2); every scored sample counts at most once.
            int previousLead = 0, answeredByChallenger = 0, previousScored = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                string[] w = lines[i].Split(' ');
                int own = int.Parse(w[3]), challenger = int.Parse(w[5]), answer = int.Parse(w[7]), lead = int.Parse(w[9]), scored = int.Parse(w[11]);
                int onlyChallenger = int.Parse(w[13]), onlyOwn = int.Parse(w[15]);
                if (i < AdvisorCases.LoadAfter) { XAssert.Equal(-1, challenger); XAssert.Equal(own, answer); }
                else XAssert.Equal(previousLead >= 1 ? challenger : own, answer);
                if (answer != own) answeredByChallenger++;
                XAssert.InRange(lead, -2, 2);
                XAssert.InRange(scored - previousScored, 0, 2);
                XAssert.True(onlyChallenger + onlyOwn <= scored);
                previousLead = lead;
                previousScored = scored;
            }
            // The scenario exercises both answers: the challenger answers some samples and differs from the board's own.
            XAssert.True(answeredByChallenger > 0);
            XAssert.Contains(lines, l => l.Split(' ')[9].StartsWith("-"));
            // Once the board's own model is right again the challenger loses the lead and stops answering.
            string last = lines[^1];
            XAssert.True(int.Parse(last.Split(' ')[9]) < 1, last);
            string saved = AdvisorCases.Expected[10];
            AdvisorCases.Expected[10] = saved.Replace(" lead ", " lead 1");
            try { XAssert.Throws<HostAssertFailedException>(() => new AdvisorTests().TheChallengerScoresAndAnswersAsOnTheHost()); }
            finally { AdvisorCases.Expected[10] = saved; }
        }
    }
}
