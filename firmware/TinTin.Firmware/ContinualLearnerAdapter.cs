using TinTin.Core;

namespace TinTin.Firmware
{
    /// <summary>The firmware's learner: TinTin.Core.ContinualLearner (the continual-learning loop) behind <see cref="ILearner"/>.</summary>
    public sealed class ContinualLearnerAdapter : ILearner
    {
        private readonly ContinualLearner learner;

        public ContinualLearnerAdapter(Model model, ContinualConfig config)
        {
            learner = new ContinualLearner(model, config);
        }

        public ContinualLearner Inner { get { return learner; } }
        public Model Model { get { return learner.Model; } }
        public int Observe(int[] rawFeatures, long timeMs) { return learner.Observe(rawFeatures, timeMs); }
        public int LabelRecent(int label, long fromMs, long toMs) { return learner.LabelRecent(label, fromMs, toMs); }
        public int LastNewlyLabelled { get { return learner.LastNewlyLabelled; } }
        public int LastNewlyLabelledCorrect { get { return learner.LastNewlyLabelledCorrect; } }
        public bool UpdateIfDue(long nowMs) { return learner.UpdateIfDue(nowMs); }

        public void SetBudget(int bytes, long macs) { learner.SetBudget(bytes, macs); }

        public int Updates { get { return learner.Updates; } }
        public int PendingLabels { get { return learner.PendingLabels; } }
        public int SelectedChannels { get { return learner.SelectedChannels; } }
        public long LastUpdateMacs { get { return learner.LastUpdateMacs; } }
        public int LastUpdateBytes { get { return learner.LastUpdateBytes; } }
        public int LastLossQ16 { get { return learner.LastLossQ16; } }
        public int Reselections { get { return learner.Reselections; } }
        public int DriftSignals { get { return learner.DriftSignals; } }
        public int LastUpdateSamples { get { return learner.LastBatchSize; } }
        public int BudgetBytes { get { return learner.BudgetBytes; } }
        public long BudgetMacs { get { return learner.BudgetMacs; } }
    }

    /// <summary>Creates <see cref="ContinualLearnerAdapter"/>s with one shared configuration.</summary>
    public sealed class ContinualLearnerFactory : ILearnerFactory
    {
        private readonly ContinualConfig config;
        private readonly int trainingCapacityInts;
        private readonly bool withMomentum;

        public ContinualLearnerFactory(ContinualConfig config, int trainingCapacityInts, bool withMomentum)
        {
            this.config = config;
            this.trainingCapacityInts = trainingCapacityInts;
            this.withMomentum = withMomentum;
        }

        public ContinualConfig Config { get { return config; } }
        public ILearner Create(Model model) { return new ContinualLearnerAdapter(model, config); }
        public int TrainingCapacityInts { get { return trainingCapacityInts; } }
        public bool WithMomentum { get { return withMomentum; } }
        /// <summary>The board profile's mode (config.Profile.TrainingMode).</summary>
        public TrainingStateMode TrainingMode { get { return config.Profile.TrainingMode; } }
    }
}
