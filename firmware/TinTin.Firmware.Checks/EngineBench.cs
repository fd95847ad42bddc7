using System;
using TinTin.Core;
using TinTin.Sensors;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// The engine alone, for instruction counts: the firmware's learner (ContinualLearner with the
    /// board's configuration) on feature vectors computed from the tape's first rows by the board's
    /// FeaturePipeline. Predict: Observe (normalise, forward, remember) count times. Update: per
    /// iteration Observe, label that sample, UpdateIfDue (one update with a batch from the pending
    /// label and the replay buffer, re-selection every 50 updates as in the firmware). Prints "R"
    /// figures (predictions, updates, MACs) and "E done"; the host runs two counts and subtracts.
    /// The learner's opt-in selection settings (<c>tintin bench --on nanoclr --learner</c>) come as
    /// <see cref="PricedFill"/>, <see cref="ScoreFromUpdates"/> and <see cref="ScoreMixed"/> bits and the fresh re-selection period.
    /// </summary>
    public static class EngineBench
    {
        public const int Predict = 0, Update = 1;
        /// <summary>Settings bits: ContinualConfig.PricedFill, ContinualConfig.ScoreFromUpdates, ScoreRecentOnly off (every batch sample scored).</summary>
        public const int PricedFill = 1, ScoreFromUpdates = 2, ScoreMixed = 4;
        private const int Vectors = 32;

        public static void Run(ReplayTape tape, int mode, int count, ILineOutput output)
        {
            Run(tape, mode, count, 0, 1, output);
        }

        /// <summary>As <see cref="Run(ReplayTape, int, int, ILineOutput)"/> with the learner's selection settings (bits) and FreshReselectEveryUpdates.</summary>
        public static void Run(ReplayTape tape, int mode, int count, int settings, int freshReselectEvery, ILineOutput output)
        {
            try
            {
                RunChecked(tape, mode, count, settings, freshReselectEvery, output);
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        private static void RunChecked(ReplayTape tape, int mode, int count, int settings, int freshReselectEvery, ILineOutput output)
        {
            BoardProfile board = ReplayRunner.BoardByName(tape.BoardName);
            ContinualConfig config = new ContinualConfig();
            config.Profile = board.Device;
            config.Seed = tape.Seed;
            config.PricedFill = (settings & PricedFill) != 0;
            config.ScoreFromUpdates = (settings & ScoreFromUpdates) != 0;
            config.FreshReselectEveryUpdates = freshReselectEvery;
            if ((settings & ScoreMixed) != 0) config.ScoreRecentOnly = false;
            byte[] bytes = tape.Model.Bytes();
            Model model = ModelFile.Load(bytes, bytes.Length, -1, false);
            ContinualLearner learner = new ContinualLearner(model, config);

            // Real feature vectors: the tape's rows through the board's pipeline (all before the measured loop).
            int[][] vectors = new int[Vectors][];
            int[] labels = new int[Vectors];
            int filled = 0;
            ReplayClock clock = new ReplayClock();
            ReplaySampleSource source = new ReplaySampleSource(tape, clock);
            FeaturePipeline pipeline = new FeaturePipeline(tape.FeatureIds, tape.WindowSamples);
            EnvironmentSample sample = new EnvironmentSample();
            int[] raw = new int[tape.FeatureIds.Length];
            while (filled < Vectors)
            {
                int status = source.Read(sample);
                if (status == SampleStatus.EndOfData) break;
                if (status != SampleStatus.Ok || !pipeline.Push(sample, raw)) continue;
                vectors[filled] = (int[])raw.Clone();
                labels[filled] = sample.Label < 0 ? filled % 2 : sample.Label;
                filled++;
            }
            if (filled == 0) throw new InvalidOperationException("the tape gives no feature vector");

            long macs0 = model.Network.Counters.TotalMacs;
            long updateMacs = 0;
            long t = 0;
            for (int i = 0; i < count; i++)
            {
                int k = i % filled;
                learner.Observe(vectors[k], t);
                if (mode == Update)
                {
                    learner.LabelRecent(labels[k], t, t);
                    long before = model.Network.Counters.TotalMacs;
                    if (learner.UpdateIfDue(t)) updateMacs += model.Network.Counters.TotalMacs - before;
                }
                t += 60000;
            }
            output.Line(ReplayLines.Result, "predictions " + count);
            output.Line(ReplayLines.Result, "updates " + learner.Updates);
            output.Line(ReplayLines.Result, "macs_total " + (model.Network.Counters.TotalMacs - macs0));
            output.Line(ReplayLines.Result, "macs_updates " + updateMacs);
            output.Line(ReplayLines.Result, "selected_channels " + learner.SelectedChannels);
            output.Line(ReplayLines.Result, "reselections " + (learner.Reselections + learner.FreshReselections));
            // The trained model's CRC (the file's own, its last 4 bytes: a CRC over a file that ends in its CRC is a constant).
            // After the measured loop: both run lengths pay it once.
            byte[] trained = ModelFile.Save(model);
            output.Line(ReplayLines.Result, "model_crc " + Crc32.Compute(trained, 0, trained.Length - 4).ToString());
        }
    }
}
