using TinTin.Core;

namespace TinTin.Firmware
{
    /// <summary>The firmware's protocol lines (docs/PROTOCOL.md) apart from command replies: hello, stat, sel, pred, upd, ckpt and err.</summary>
    public sealed class StatusLines
    {
        private readonly FirmwareApp app;
        private readonly FirmwareHardware hw;
        private readonly FirmwareConfig config;
        private readonly ProtocolWriter writer;

        public StatusLines(FirmwareApp app, FirmwareHardware hardware, FirmwareConfig config, ProtocolWriter writer)
        {
            this.app = app;
            hw = hardware;
            this.config = config;
            this.writer = writer;
        }

        /// <summary>Writes the stat lines now (two lines: together they exceed 200 characters).</summary>
        public void Stat()
        {
            long now = hw.Clock.NowMs;
            int heap = hw.Heap != null ? hw.Heap.FreeBytes() : -1;
            writer.Begin(Protocol.Stat);
            writer.Int("part", 1);
            writer.Int("t_ms", now);
            writer.Int("heap", heap);
            writer.Int("engine_bytes", app.EngineBytes);
            writer.Int("samples", app.Counters.Samples);
            writer.Int("labelled", app.Counters.Labelled);
            writer.Int("correct", app.Counters.Correct);
            writer.Int("acc_pm", app.Counters.AccuracyPerMille);
            writer.Int("updates", app.Counters.Updates);
            writer.Int("ckpts", app.Counters.Checkpoints);
            writer.Int("faults", app.Counters.Faults);
            writer.Int("selected", app.Learner.SelectedChannels);
            writer.End();
            writer.Begin(Protocol.Stat);
            writer.Int("part", 2);
            writer.Int("t_ms", now);
            writer.Int("predict_us", app.LastPredictMicroseconds);
            writer.Int("update_us", app.LastUpdateMicroseconds);
            writer.Int("macs_total", app.Counters.MacsTotal);
            writer.Int("macs_update", app.LastUpdateMacs);
            writer.Int("uj_update", app.LastUpdateMicroJoules);
            writer.Int("uj_total", app.Counters.EnergyTotalUj);
            writer.Int("budget_bytes", app.Learner.BudgetBytes);
            writer.Int("budget_macs", app.Learner.BudgetMacs);
            writer.End();
        }

        public void Hello()
        {
            writer.Begin(Protocol.Hello);
            writer.Token("board", hw.Board.Name);
            writer.Token("fw", config.FirmwareVersion);
            writer.Token("model", config.ModelName);
            writer.Token("source", app.ModelSource);
            writer.Int("classes", app.ClassCount);
            writer.Int("features", app.LastFeatures.Length);
            writer.Int("engine_bytes", app.EngineBytes);
            writer.Int("heap", hw.Heap != null ? hw.Heap.FreeBytes() : -1);
            writer.Token("sensor", hw.Source.Name);
            writer.Int("boots", app.Counters.Boots);
            writer.End();
        }

        public void Selection(string reason)
        {
            Network network = app.Learner.Model.Network;
            writer.Begin(Protocol.Sel);
            writer.Int("t_ms", hw.Clock.NowMs);
            writer.Token("reason", reason);
            writer.Int("channels", app.Learner.SelectedChannels);
            writer.Int("bytes", network.BackwardBytes());
            writer.Int("macs", network.BackwardMacs());
            writer.End();
        }

        /// <summary>A pred line: the class predicted for a sample and its raw features.</summary>
        public void Prediction(long now, int predicted, int[] raw)
        {
            writer.Begin(Protocol.Pred);
            writer.Int("t_ms", now);
            writer.Int("cls", predicted);
            for (int i = 0; i < raw.Length; i++) { if (i < MaxFeatureKeys) writer.IndexedInt("f", i, raw[i]); else writer.Int("fx", raw[i]); }
            writer.End();
        }

        /// <summary>An upd line after an update (what it cost, measured or estimated by the board profile).</summary>
        public void Update(long now, int label, long macs, long us, long uj)
        {
            writer.Begin(Protocol.Upd);
            writer.Int("t_ms", now);
            writer.Int("n", app.Learner.LastUpdateSamples);
            writer.Int("label", label);
            writer.Int("loss_q16", app.Learner.LastLossQ16);
            writer.Int("macs", macs);
            writer.Int("us", us);
            writer.Int("uj", uj);
            writer.Int("bytes", app.Learner.LastUpdateBytes);
            writer.End();
        }

        /// <summary>A ckpt line after a checkpoint was written.</summary>
        public void Checkpoint(long now, long sequence, int slot, int bytes)
        {
            writer.Begin(Protocol.Ckpt);
            writer.Int("t_ms", now);
            writer.Int("seq", sequence);
            writer.Int("slot", slot);
            writer.Int("bytes", bytes);
            writer.End();
        }

        /// <summary>An err line.</summary>
        public void Error(string code, string message)
        {
            writer.Begin(Protocol.Err);
            writer.Token("code", code);
            writer.Text("msg", message);
            writer.End();
        }

        /// <summary>An err line whose message ends in a number (no string built for it).</summary>
        public void Error(string code, string message, long number)
        {
            writer.Begin(Protocol.Err);
            writer.Token("code", code);
            writer.Text("msg", message, number);
            writer.End();
        }

        // Features f0..f15 are keyed by index (written as digits, not from a static string table: nanoCLR keeps
        // every static array and its strings on the board's heap from start-up); later ones share "fx".
        private const int MaxFeatureKeys = 16;
    }
}
