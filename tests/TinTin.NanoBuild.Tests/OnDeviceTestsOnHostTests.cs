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
            XAssert.Equal(5, tests.Length);
            XAssert.NotNull(typeof(GoldenVectorTests).GetCustomAttribute<TestClassAttribute>());
            foreach (MethodInfo m in tests)
            {
                try { m.Invoke(new GoldenVectorTests(), null); }
                catch (TargetInvocationException e) { XAssert.Fail(m.Name + " failed on the host: " + e.InnerException.Message); }
            }
        }

        [Theory]
        [InlineData(GoldenScenario.Forward)]
        [InlineData(GoldenScenario.Loss)]
        [InlineData(GoldenScenario.ActivationGradient)]
        [InlineData(GoldenScenario.WeightGradient)]
        [InlineData(GoldenScenario.AfterStep)]
        public void AGoldenValueOffByOneFailsItsTest(string kind)
        {
            // The last section of this kind (of the last case): late in training, so everything before it must agree too.
            int index = Array.LastIndexOf(GoldenVectors.SectionKinds, kind);
            XAssert.True(index >= 0, "no section of kind " + kind);
            int[] values = GoldenVectors.SectionValues[index];
            int at = values.Length - 1;
            values[at]++;
            try
            {
                var e = XAssert.Throws<HostAssertFailedException>(() => GoldenVectorTests.Check(kind));
                XAssert.Contains(GoldenVectors.SectionNames[index], e.Message);
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
    }
}
