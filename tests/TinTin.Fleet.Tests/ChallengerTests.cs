using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The fleet's model as a challenger beside each board's own (FleetSettings.Challenger,
    /// FleetAdvisor): the board's own model learns exactly as it would alone, so with the fleet a
    /// board differs from the board alone only on the samples it answered with the challenger.
    /// </summary>
    public class ChallengerTests
    {
        // Every board gets a model (no own-share skip): the default would send the best-labelled board none here, and these
        // tests are about what a board does with the challenger it holds.
        private static FleetSimulationResult Run(int threshold, int cap) => VirtualFleet.Run(new VirtualFleetOptions
        {
            Boards = 3, MaxSamples = 1500, PublishEveryLabels = 16, Challenger = true, ChallengerThreshold = threshold, ChallengerCap = cap, OwnShareSkip = 0,
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

        [Fact]
        public void TheShadowEstimateAnswersWithTheFleetLineageOnlyWhileItLeadsOnTheBoardsLabels()
        {
            // Ten samples a minute apart, truth 1: the own lineage is right on 0..2 (3 right), the fleet lineage on 3..9 (7 right).
            var own = Enumerable.Range(0, 10).Select(i => new TracedSample(60_000L * i, 1, i < 3 ? 1 : 0)).ToList();
            var fleet = Enumerable.Range(0, 10).Select(i => new TracedSample(60_000L * i, 1, i < 3 ? 0 : 1)).ToList();
            // A press at 2:00 (seen before sample 2) labels samples 1, 0: only the own lineage right, lead -2 (cap 2).
            // A press at 6:00 (before sample 6) labels 5, 4, 3 (fleet right: -1, 0, 1) and 2 (own right: 0).
            var presses = new List<TracedPress> { new TracedPress(360_000, 1), new TracedPress(120_000, 1) };
            // Threshold 0: the fleet lineage answers 0, 1 (lead 0, wrong), the own 2..5 (lead -2: right on 2), the fleet 6..9 (lead 0: right).
            Assert.Equal(5, ShadowEstimate.Correct(own, fleet, presses, 300_000, threshold: 0, cap: 2));
            // Threshold 1 is never reached: the board's own lineage throughout.
            Assert.Equal(3, ShadowEstimate.Correct(own, fleet, presses, 300_000, threshold: 1, cap: 2));
            // At -cap the fleet lineage answers everything; above the cap the own lineage does; no labels: the lead stays 0.
            Assert.Equal(7, ShadowEstimate.Correct(own, fleet, presses, 300_000, threshold: -2, cap: 2));
            Assert.Equal(3, ShadowEstimate.Correct(own, fleet, presses, 300_000, threshold: 3, cap: 2));
            Assert.Equal(7, ShadowEstimate.Correct(own, fleet, new List<TracedPress>(), 300_000, threshold: 0, cap: 2));
            Assert.Throws<ArgumentException>(() => ShadowEstimate.Correct(own, fleet.Take(9).ToList(), presses, 300_000, 1, 2));
        }

        [Fact]
        public void TheShadowEstimateAtItsExtremesIsTheBoardAloneOrTheFleetRun()
        {
            FleetSimulationResult r = VirtualFleet.Run(new VirtualFleetOptions { Boards = 3, MaxSamples = 1500, PublishEveryLabels = 16 }, TextWriter.Null);
            foreach (FleetBoardResult b in r.Boards)
            {
                Assert.Equal(VirtualFleet.ShadowGrid.Length, b.Shadow.Count);
                foreach (ShadowResult s in b.Shadow)
                {
                    double low = Math.Min(b.IsolatedAccuracy, b.FleetAccuracy), high = Math.Max(b.IsolatedAccuracy, b.FleetAccuracy);
                    Assert.InRange(s.Accuracy, low - 0.05, high + 0.05);
                }
            }
        }

        [Fact]
        public void TheChallengerAllocatesNothingPerSampleNorWhenItIsRebuilt()
        {
            Network own = FleetNets.Create(11), other = FleetNets.Create(12), predictor = FleetNets.Create(13);
            FleetNets.Train(own, 1, 4);
            var member = new FleetMember(own, FleetNets.BoardKey, FleetNets.FleetKey, FleetMessage.DefaultMaxBytes, 64) { KeepOwnHead = true, OwnWeightFactor = 2 };
            var fleetModel = new ParameterSet(other);
            fleetModel.CopyFrom(other);
            byte[] merged = new byte[FleetMessage.MergedBytes(fleetModel)];
            int length = FleetMessage.WriteMerged(merged, fleetModel, 1, 2, 100, new HmacSha256(FleetNets.FleetKey));
            Assert.True(member.Receive(merged, length), member.LastError);
            var history = new HistoryRing(16, 6);
            var advisor = new FleetAdvisor(predictor, history.Capacity) { Threshold = 0, Cap = 4 };
            var random = new Random(5);
            void Steps(int n)
            {
                for (int i = 0; i < n; i++)
                {
                    FleetNets.Fill(own, random, 0);
                    int p = own.Predict();
                    history.Add(own.Input.Data, 1000L * i, p);
                    advisor.Advise(own, history, p);
                    if (i % 4 == 3)
                    {
                        int slot = history.PreviousSlot(history.NewestSlot());
                        history.SetLabel(slot, random.Next(2));
                        history.SetState(slot, LabelState.Pending);
                        advisor.Score(history);
                    }
                    if (i % 16 == 15 && member.BuildChallenger(20)) advisor.Load(member.Challenger);
                }
            }
            Assert.True(member.BuildChallenger(20));
            advisor.Load(member.Challenger);
            Steps(64); // warm-up
            long allocated = Allocations.FewestBytes(() => Steps(256));
            Assert.Equal(0, allocated);
            Assert.True(advisor.Scored > 0);
            Assert.Equal(1u, member.ChallengerVersion);
        }
    }
}
