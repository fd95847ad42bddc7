using System.Collections.Generic;
using System.Linq;
using TinTin.Firmware.Replay;
using TinTin.TestSupport;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// The engine bench's learner with the opt-in selection settings (priced fill, fresh scores from the update's own
    /// backward) on nanoCLR against the same code on the host: the same tape, model and settings must give the same
    /// updates, MACs, selection and trained model (CRC of the saved file). The goldens cover only the default learner.
    /// </summary>
    public class EngineBenchAgreementTests
    {
        private sealed class Chunks : TapeValues
        {
            private readonly List<int[]> chunks;
            public Chunks(List<int[]> chunks) { this.chunks = chunks; }
            public override int ChunkCount => chunks.Count;
            public override int LongestChunk => chunks.Select(c => c.Length).DefaultIfEmpty(0).Max();
            protected override void Write(int index) { foreach (int v in chunks[index]) Put(v); }
        }

        private sealed class FileBytes : TinTin.Firmware.ModelBytesSource
        {
            private readonly byte[] bytes;
            public FileBytes(byte[] bytes) { this.bytes = bytes; }
            public override byte[] Bytes() => (byte[])bytes.Clone();
        }

        [NanoRuntimeTheory]
        [InlineData(EngineBench.PricedFill | EngineBench.ScoreFromUpdates, 1)]
        [InlineData(EngineBench.PricedFill | EngineBench.ScoreFromUpdates, 2)]
        [InlineData(EngineBench.ScoreFromUpdates | EngineBench.ScoreMixed, 1)]
        public void Fresh_scores_and_the_priced_fill_on_nanoclr_give_the_hosts_updates_selection_and_model(int settings, int freshEvery)
        {
            // A model whose full update does not fit the C3's budget, so the selection binds and re-selections change it.
            PreparedModel model = ModelPreparation.Prepare(new PrepareOptions
            {
                TrainingPath = TinTin.Reference.RepositoryPaths.Data("occupancy", "datatraining.txt"), Hidden = new[] { 48, 24 }, Epochs = 1, Seed = 7,
            });
            var options = new VirtualBoardOptions { Board = "esp32c3-devkit", MaxSamples = 200, LabelFraction = 0, ProgressEvery = 0, Model = model };
            const int Steps = 64; // past the periodic scoring pass at 50 updates, which scores the bottom layer too

            List<int[]> rows = NanoReplay.RowChunks(options, out int total, out bool hasPressure, out string name);
            var tape = new ReplayTape
            {
                BoardName = options.Board, SourceName = name, TotalRows = total, MaxSamples = options.MaxSamples, HasPressure = hasPressure,
                Rows = new Chunks(rows), Decisions = new Chunks(new List<int[]>()), Seed = (uint)options.Seed,
                Model = new FileBytes(model.Bytes), ModelName = model.ModelName, FeatureIds = model.FeatureIds, WindowSamples = model.WindowSamples,
            };
            var host = new CollectingOutput();
            EngineBench.Run(tape, EngineBench.Update, Steps, settings, freshEvery, host);
            Assert.Equal("E done", host.Lines[^1]);
            // The settings matter here: the other fill gives another selection and another trained model.
            var otherFill = new CollectingOutput();
            EngineBench.Run(tape, EngineBench.Update, Steps, settings ^ EngineBench.PricedFill, freshEvery, otherFill);
            Assert.NotEqual(host.Lines.First(l => l.StartsWith("R model_crc ")), otherFill.Lines.First(l => l.StartsWith("R model_crc ")));
            Dictionary<string, string> expected = host.Lines.Where(l => l.StartsWith("R ")).Select(l => l.Substring(2).Split(' '))
                .ToDictionary(p => p[0], p => p[1]);
            Assert.True(int.Parse(expected["updates"]) >= Steps / 2, "the bench must train");
            Assert.True(int.Parse(expected["reselections"]) >= Steps / 2 / freshEvery, "fresh re-selections ran");

            using CompiledReplay compiled = NanoReplay.Compile(options, new NanoReplayOptions
            {
                HeapBytes = NanoBench.LargeHeap, CompareFrozen = false, ProbeHeap = false, WithChecks = true,
                Entry = "EngineBench.Run(tape, EngineBench.Update, " + Steps + ", " + settings + ", " + freshEvery + ", new ConsoleLineOutput());",
            });
            NanoReplayResult nano = compiled.Run(NanoBench.LargeHeap);
            foreach (string key in new[] { "predictions", "updates", "macs_total", "macs_updates", "selected_channels", "reselections", "model_crc" })
                Assert.True(expected[key] == nano.Figures[key], key + ": host " + expected[key] + ", nanoclr " + nano.Figures[key]);
        }
    }
}
