using System;
using System.IO;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The fleet's model as a challenger beside each board's own (FleetSettings.Challenger,
    /// FleetAdvisor): the board's own model learns exactly as it would alone, so with the fleet a
    /// board differs from the board alone only on the samples it answered with the challenger.
    /// </summary>
    public class ChallengerTests
    {
        private static FleetSimulationResult Run(int threshold, int cap) => VirtualFleet.Run(new VirtualFleetOptions
        {
            Boards = 3, MaxSamples = 1500, PublishEveryLabels = 16, Challenger = true, ChallengerThreshold = threshold, ChallengerCap = cap,
        }, TextWriter.Null);

        [Fact]
        public void AChallengerThatNeverAnswersLeavesEveryBoardExactlyAsAlone()
        {
            FleetSimulationResult r = Run(threshold: 1000, cap: 1000);
            Assert.True(r.MergedVersions > 0);
            long disagreements = 0;
            foreach (FleetBoardResult b in r.Boards)
            {
                Assert.Equal(0, b.ChallengerAnswered);
                Assert.Equal(b.IsolatedAccuracy, b.FleetAccuracy);
                Assert.Equal(b.IsolatedBalancedAccuracy, b.FleetBalancedAccuracy);
                Assert.Equal(0, b.MergesTaken);
                disagreements += b.ChallengerOnlyRightAll + b.OwnOnlyRightAll;
            }
            // The challenger was loaded and predicted: it disagreed with the boards' own models somewhere.
            Assert.True(disagreements > 0);
        }

        [Fact]
        public void AChallengerThatAlwaysAnswersChangesExactlyTheSamplesWhereTheTwoModelsDisagree()
        {
            // Threshold -cap: the lead is always at least the threshold, so the challenger answers every sample once loaded.
            FleetSimulationResult r = Run(threshold: -4, cap: 4);
            bool anyDifferent = false;
            foreach (FleetBoardResult b in r.Boards)
            {
                Assert.True(b.ChallengerAnswered > 0, b.Name);
                long isolatedCorrect = (long)Math.Round(b.IsolatedAccuracy * b.Samples), fleetCorrect = (long)Math.Round(b.FleetAccuracy * b.Samples);
                Assert.Equal(b.ChallengerOnlyRightAll - b.OwnOnlyRightAll, fleetCorrect - isolatedCorrect);
                anyDifferent |= fleetCorrect != isolatedCorrect;
            }
            Assert.True(anyDifferent);
        }
    }
}
