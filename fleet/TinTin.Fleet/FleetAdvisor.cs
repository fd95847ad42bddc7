using System;
using TinTin.Core;

namespace TinTin.Fleet
{
    /// <summary>
    /// The fleet as a challenger beside the board's own model (champion/challenger):
    /// - the board's own network learns from its own labels only, so it is exactly the model the
    ///   board would have alone; nothing of the fleet is written into it;
    /// - the challenger is a second, prediction-only network holding the fleet's model (blended
    ///   with the board's own, see <see cref="FleetMember.BuildChallenger"/>);
    /// - both predict every sample (<see cref="Advise"/>, after the learner's own prediction, on the
    ///   same normalised input); the challenger's prediction is remembered beside the learner's
    ///   history slot;
    /// - when a remembered sample gets its label, the two predictions made at the time are scored
    ///   (<see cref="Score"/>): Lead grows by one when only the challenger was right, shrinks by one
    ///   when only the board's own was, and stays within [-Cap, Cap];
    /// - the board answers with the challenger only while Lead ≥ Threshold.
    /// So with the fleet the board differs from the board alone only on samples it answered with
    /// the challenger, and only after the challenger beat its own model on the board's own labels;
    /// a challenger that starts losing is dropped after at most Cap − Threshold + 1 such labels.
    /// Integer, allocation-free per sample; nano subset (runs on nanoCLR).
    /// </summary>
    public sealed class FleetAdvisor
    {
        /// <summary>Lead (labelled samples only the challenger got right, minus those only the board's own got right) from which the board answers with the challenger.</summary>
        public int Threshold = 2;
        /// <summary>The lead stays within [-Cap, Cap]: an old record neither locks the challenger in nor out.</summary>
        public int Cap = 4;

        private readonly Network predictor;
        private readonly sbyte[] advice; // [history capacity] the challenger's prediction for the sample in that history slot; -1: none, or already scored
        private bool loaded;
        private int lastChallenger = -1, lastOwn = -1;
        private int lead;

        /// <summary>Samples answered with the challenger, labelled samples scored, and of those the ones only the challenger (only the board's own) got right.</summary>
        public int Answered, Scored, ChallengerOnlyRight, OwnOnlyRight;

        /// <param name="predictor">A network of the board's model's shape, for predictions only (no training arena needed).</param>
        /// <param name="historyCapacity">Slots of the learner's history ring.</param>
        public FleetAdvisor(Network predictor, int historyCapacity)
        {
            if (predictor == null) throw new ArgumentException("the fleet advisor needs a network to predict with");
            if (historyCapacity < 1) throw new ArgumentException("the fleet advisor needs the learner's history");
            this.predictor = predictor;
            advice = new sbyte[historyCapacity];
            for (int i = 0; i < advice.Length; i++) advice[i] = -1;
        }

        /// <summary>Whether a challenger is loaded.</summary>
        public bool Loaded { get { return loaded; } }
        /// <summary>Whether the board answers with the challenger now.</summary>
        public bool UsesChallenger { get { return loaded && lead >= Threshold; } }
        public int Lead { get { return lead; } }
        /// <summary>The challenger's prediction of the sample last advised on (-1: none loaded then).</summary>
        public int LastChallengerPrediction { get { return lastChallenger; } }
        /// <summary>The board's own prediction of the sample last advised on.</summary>
        public int LastOwnPrediction { get { return lastOwn; } }

        /// <summary>Loads the challenger's parameters (a merged model blended with the board's own); the lead is kept.</summary>
        public void Load(ParameterSet challenger)
        {
            challenger.CopyTo(predictor);
            loaded = true;
        }

        /// <summary>
        /// Call after every prediction of the board's own model, with the learner's history (the
        /// sample just observed is its newest slot) and the own network's input still in place.
        /// Returns the prediction the board answers with.
        /// </summary>
        public int Advise(Network own, HistoryRing history, int ownPrediction)
        {
            int slot = history.NewestSlot();
            lastOwn = ownPrediction;
            if (!loaded)
            {
                advice[slot] = -1;
                lastChallenger = -1;
                return ownPrediction;
            }
            QTensor from = own.Input, to = predictor.Input;
            Array.Copy(from.Data, to.Data, from.Data.Length);
            to.Exponent = from.Exponent;
            int challenger = predictor.Predict();
            advice[slot] = (sbyte)challenger;
            lastChallenger = challenger;
            if (lead < Threshold) return ownPrediction;
            Answered++;
            return challenger;
        }

        /// <summary>
        /// Scores every sample of the history labelled since the last call for which both models
        /// predicted (each at the time, before its label). Returns how many were scored.
        /// </summary>
        public int Score(HistoryRing history)
        {
            int scored = 0;
            int slot = history.OldestSlot();
            for (int n = 0; n < history.Count; n++, slot = history.NextSlot(slot))
            {
                int challenger = advice[slot];
                if (challenger < 0 || history.StateAt(slot) == LabelState.Unlabelled) continue;
                advice[slot] = -1;
                int label = history.LabelAt(slot);
                bool ownRight = history.PredictionAt(slot) == label;
                bool challengerRight = challenger == label;
                scored++;
                if (challengerRight && !ownRight)
                {
                    ChallengerOnlyRight++;
                    if (lead < Cap) lead++;
                }
                else if (ownRight && !challengerRight)
                {
                    OwnOnlyRight++;
                    if (lead > -Cap) lead--;
                }
            }
            Scored += scored;
            return scored;
        }
    }
}
