using TinTin.Core;

namespace TinTin.Firmware
{
    /// <summary>
    /// What the loop needs from the on-device learner: the surface of TinTin.Core.ContinualLearner,
    /// behind an interface so the loop can be tested with a stand-in and so the adapter is the one
    /// place that knows the engine's learner (see <see cref="ContinualLearnerAdapter"/>).
    /// </summary>
    public interface ILearner
    {
        Model Model { get; }
        /// <summary>Normalises raw features, predicts, remembers the sample for labelling; returns the predicted class.</summary>
        int Observe(int[] rawFeatures, long timeMs);
        /// <summary>Labels the remembered samples with timeMs in [fromMs, toMs]; returns how many.</summary>
        int LabelRecent(int label, long fromMs, long toMs);
        /// <summary>Samples the last LabelRecent labelled for the first time (the prequential score's count).</summary>
        int LastNewlyLabelled { get; }
        /// <summary>Of those, the ones predicted right when they were observed.</summary>
        int LastNewlyLabelledCorrect { get; }
        /// <summary>Runs one integer update when enough labels wait and the rate limit allows; true when it did.</summary>
        bool UpdateIfDue(long nowMs);
        void SetBudget(int bytes, long macs);
        int Updates { get; }
        int PendingLabels { get; }
        int SelectedChannels { get; }
        long LastUpdateMacs { get; }
        int LastUpdateBytes { get; }
        int LastLossQ16 { get; }
        int Reselections { get; }
        int DriftSignals { get; }
        /// <summary>Samples that went into the last update.</summary>
        int LastUpdateSamples { get; }
        int BudgetBytes { get; }
        long BudgetMacs { get; }
    }

    /// <summary>Builds a learner around a model (at start-up, and after reset). The one allocation path outside start-up.</summary>
    public interface ILearnerFactory
    {
        ILearner Create(Model model);
        /// <summary>Gradient arena (int32s) models are loaded with; -1 for enough to train everything.</summary>
        int TrainingCapacityInts { get; }
        bool WithMomentum { get; }
        /// <summary>How models are loaded to train (the board profile's default).</summary>
        TrainingStateMode TrainingMode { get; }
    }
}
