using System;
using TinTin.Core;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Core.Tests
{
    public class AllocationTests
    {
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_training_step_allocates_nothing_after_warm_up(bool momentum)
        {
            Network net = TestData.Mlp(new[] { 8, 32, 16, 3 }, 3, momentum);
            ShiftSum lr = ShiftSum.FromRatio(1, 128, 3);
            ShiftSum beta = momentum ? ShiftSum.FromRatio(9, 10, 3) : null;
            var random = new Random(1);
            var inputs = new QTensor[16];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = TestData.RandomTensor(random, 8, -5);
            void Steps(int count)
            {
                for (int s = 0; s < count; s++)
                {
                    net.Input.CopyFrom(inputs[s % 16]);
                    net.Counters.BeginStep();
                    net.TrainSample(s % 3);
                    if (s % 4 == 3) net.Step(lr, beta);
                    net.Predict();
                }
            }
            Steps(32); // warm-up: JIT, static tables
            Assert.Equal(0, Allocations.FewestBytes(() => Steps(200)));
        }
    }
}
