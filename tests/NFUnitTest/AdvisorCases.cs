using TinTin.Core;
using TinTin.Fleet;

namespace TinTin.NFUnitTest
{
    /// <summary>
    /// The fleet's challenger (FleetAdvisor) through a fixed scenario: two 6-16-2 networks (the
    /// board's own, seed 11; the challenger's parameters from seed 12, loaded into a third network
    /// after sample 4), 45 pseudo-random samples in an 8-slot history, every third sample the two
    /// samples before it labelled and scored: as the board's own model predicted them (samples before
    /// 16 and from 30: the own model is right), else as the challenger did (it is right, and takes over). Each step is one
    /// line: sample, own and challenger prediction, the answer, the lead, labelled samples scored so
    /// far. Expected holds the host's lines (AdvisorCasesOnHost checks them on .NET and checks them
    /// against the advisor's rules); the NFUnitTest AdvisorTests checks nanoCLR gives the same.
    /// Nano-subset C#.
    /// </summary>
    public static class AdvisorCases
    {
        public const int Samples = 45;
        public const int ChallengerRightFrom = 16, OwnRightAgainFrom = 30;
        public const int LoadAfter = 4;

        public static string[] Run()
        {
            Network own = Network.CreateMlp(new int[] { 6, 16, 2 }, 11, -1, false);
            Network other = Network.CreateMlp(new int[] { 6, 16, 2 }, 12, -1, false);
            Network predictor = Network.CreateMlp(new int[] { 6, 16, 2 }, 13, -1, false);
            ParameterSet challenger = new ParameterSet(other);
            challenger.CopyFrom(other);
            HistoryRing history = new HistoryRing(8, 6);
            FleetAdvisor advisor = new FleetAdvisor(predictor, history.Capacity);
            advisor.Threshold = 1;
            advisor.Cap = 2;
            XorShift32 random = new XorShift32(2024);
            string[] lines = new string[Samples];
            int[] ownPredictions = new int[Samples];
            int[] challengerPredictions = new int[Samples];
            for (int i = 0; i < Samples; i++)
            {
                if (i == LoadAfter) advisor.Load(challenger);
                QTensor input = own.Input;
                for (int f = 0; f < 6; f++) input.Data[f] = (sbyte)((int)(long)(random.Next() % 255) - 127);
                input.Exponent = -5;
                int ownPrediction = own.Predict();
                history.Add(input.Data, 1000L * i, ownPrediction);
                int answer = advisor.Advise(own, history, ownPrediction);
                ownPredictions[i] = ownPrediction;
                challengerPredictions[i] = advisor.LastChallengerPrediction;
                if (i % 3 == 2)
                {
                    // The person labels the two samples before this one.
                    int slot = history.NewestSlot();
                    for (int back = 1; back <= 2; back++)
                    {
                        slot = history.PreviousSlot(slot);
                        int sample = i - back;
                        bool challengerRight = sample >= ChallengerRightFrom && sample < OwnRightAgainFrom && challengerPredictions[sample] >= 0;
                        history.SetLabel(slot, challengerRight ? challengerPredictions[sample] : ownPredictions[sample]);
                        history.SetState(slot, LabelState.Pending);
                    }
                    advisor.Score(history);
                }
                lines[i] = "sample " + i + " own " + ownPrediction + " challenger " + advisor.LastChallengerPrediction + " answer " + answer +
                    " lead " + advisor.Lead + " scored " + advisor.Scored + " only_challenger " + advisor.ChallengerOnlyRight + " only_own " + advisor.OwnOnlyRight;
            }
            return lines;
        }

        /// <summary>The host's lines (.NET, TinTin.NanoBuild.Tests AdvisorCasesOnHost).</summary>
        public static string[] Expected = new string[]
        {
            "sample 0 own 0 challenger -1 answer 0 lead 0 scored 0 only_challenger 0 only_own 0",
            "sample 1 own 1 challenger -1 answer 1 lead 0 scored 0 only_challenger 0 only_own 0",
            "sample 2 own 1 challenger -1 answer 1 lead 0 scored 0 only_challenger 0 only_own 0",
            "sample 3 own 1 challenger -1 answer 1 lead 0 scored 0 only_challenger 0 only_own 0",
            "sample 4 own 0 challenger 1 answer 0 lead 0 scored 0 only_challenger 0 only_own 0",
            "sample 5 own 1 challenger 1 answer 1 lead -1 scored 1 only_challenger 0 only_own 1",
            "sample 6 own 0 challenger 1 answer 0 lead -1 scored 1 only_challenger 0 only_own 1",
            "sample 7 own 1 challenger 0 answer 1 lead -1 scored 1 only_challenger 0 only_own 1",
            "sample 8 own 0 challenger 1 answer 0 lead -2 scored 3 only_challenger 0 only_own 3",
            "sample 9 own 0 challenger 0 answer 0 lead -2 scored 3 only_challenger 0 only_own 3",
            "sample 10 own 0 challenger 0 answer 0 lead -2 scored 3 only_challenger 0 only_own 3",
            "sample 11 own 1 challenger 1 answer 1 lead -2 scored 5 only_challenger 0 only_own 3",
            "sample 12 own 1 challenger 1 answer 1 lead -2 scored 5 only_challenger 0 only_own 3",
            "sample 13 own 0 challenger 0 answer 0 lead -2 scored 5 only_challenger 0 only_own 3",
            "sample 14 own 0 challenger 1 answer 0 lead -2 scored 7 only_challenger 0 only_own 3",
            "sample 15 own 1 challenger 1 answer 1 lead -2 scored 7 only_challenger 0 only_own 3",
            "sample 16 own 1 challenger 1 answer 1 lead -2 scored 7 only_challenger 0 only_own 3",
            "sample 17 own 0 challenger 1 answer 0 lead -2 scored 9 only_challenger 0 only_own 3",
            "sample 18 own 0 challenger 1 answer 0 lead -2 scored 9 only_challenger 0 only_own 3",
            "sample 19 own 0 challenger 0 answer 0 lead -2 scored 9 only_challenger 0 only_own 3",
            "sample 20 own 1 challenger 1 answer 1 lead -1 scored 11 only_challenger 1 only_own 3",
            "sample 21 own 0 challenger 0 answer 0 lead -1 scored 11 only_challenger 1 only_own 3",
            "sample 22 own 1 challenger 0 answer 1 lead -1 scored 11 only_challenger 1 only_own 3",
            "sample 23 own 0 challenger 0 answer 0 lead 0 scored 13 only_challenger 2 only_own 3",
            "sample 24 own 0 challenger 0 answer 0 lead 0 scored 13 only_challenger 2 only_own 3",
            "sample 25 own 1 challenger 0 answer 1 lead 0 scored 13 only_challenger 2 only_own 3",
            "sample 26 own 1 challenger 1 answer 1 lead 1 scored 15 only_challenger 3 only_own 3",
            "sample 27 own 0 challenger 1 answer 1 lead 1 scored 15 only_challenger 3 only_own 3",
            "sample 28 own 0 challenger 0 answer 0 lead 1 scored 15 only_challenger 3 only_own 3",
            "sample 29 own 1 challenger 0 answer 0 lead 2 scored 17 only_challenger 4 only_own 3",
            "sample 30 own 0 challenger 0 answer 0 lead 2 scored 17 only_challenger 4 only_own 3",
            "sample 31 own 0 challenger 0 answer 0 lead 2 scored 17 only_challenger 4 only_own 3",
            "sample 32 own 0 challenger 1 answer 1 lead 2 scored 19 only_challenger 4 only_own 3",
            "sample 33 own 1 challenger 0 answer 0 lead 2 scored 19 only_challenger 4 only_own 3",
            "sample 34 own 0 challenger 1 answer 1 lead 2 scored 19 only_challenger 4 only_own 3",
            "sample 35 own 0 challenger 1 answer 1 lead 0 scored 21 only_challenger 4 only_own 5",
            "sample 36 own 1 challenger 1 answer 1 lead 0 scored 21 only_challenger 4 only_own 5",
            "sample 37 own 0 challenger 0 answer 0 lead 0 scored 21 only_challenger 4 only_own 5",
            "sample 38 own 0 challenger 0 answer 0 lead 0 scored 23 only_challenger 4 only_own 5",
            "sample 39 own 1 challenger 0 answer 1 lead 0 scored 23 only_challenger 4 only_own 5",
            "sample 40 own 1 challenger 1 answer 1 lead 0 scored 23 only_challenger 4 only_own 5",
            "sample 41 own 0 challenger 0 answer 0 lead -1 scored 25 only_challenger 4 only_own 6",
            "sample 42 own 1 challenger 0 answer 1 lead -1 scored 25 only_challenger 4 only_own 6",
            "sample 43 own 0 challenger 1 answer 0 lead -1 scored 25 only_challenger 4 only_own 6",
            "sample 44 own 0 challenger 0 answer 0 lead -2 scored 27 only_challenger 4 only_own 8"
        };
    }
}
