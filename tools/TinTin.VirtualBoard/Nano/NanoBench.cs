using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace TinTin.VirtualBoard
{
    /// <summary>What `tintin bench --on nanoclr` measures, and how long its runs are.</summary>
    public sealed class NanoBenchOptions
    {
        /// <summary>Rows of the shorter callgrind run (the longer has twice as many).</summary>
        public int Samples { get; set; } = 100;
        /// <summary>Steps of the shorter engine-only callgrind run.</summary>
        public int EngineSteps { get; set; } = 100;
        /// <summary>Rows of the shorter wall-clock run (the longer has twice as many).</summary>
        public int WallSamples { get; set; } = 500;
        /// <summary>Rows of the run whose smallest heap is searched (0: skip the search).</summary>
        public int HeapSamples { get; set; } = 2000;
        /// <summary>Label fraction of the update runs (the prediction runs label nothing).</summary>
        public double UpdateLabelFraction { get; set; } = 0.25;
        /// <summary>Skip the callgrind runs (no valgrind here, or to save time).</summary>
        public bool SkipInstructions { get; set; }
        public string DataPath { get; set; }
        public string Board { get; set; } = "esp32-devkit";
        /// <summary>Heaps at which the firmware's own free-heap figure is reported.</summary>
        public int[] ReportHeaps { get; set; } = { 113664, 55296 };
        /// <summary>Search resolution of the smallest heap, bytes.</summary>
        public int HeapStep { get; set; } = 512;
        /// <summary>The model the firmware runs (null: the embedded default).</summary>
        public PreparedModel Model { get; set; }
        /// <summary>
        /// The engine-alone runs' learner settings beyond the firmware's (opt-in selection settings):
        /// TinTin.Firmware.Checks EngineBench bits (1 PricedFill, 2 ScoreFromUpdates, 4 every batch sample scored) and FreshReselectEveryUpdates.
        /// </summary>
        public int LearnerSettings { get; set; }
        public int FreshReselectEvery { get; set; } = 1;
        /// <summary>Only the engine-alone instruction counts (no firmware loop, wall time or heap runs).</summary>
        public bool EngineOnly { get; set; }

        /// <summary>Parses --learner: a comma list of priced, update, mixed, freshN (N ≥ 0); throws ArgumentException naming what is wrong.</summary>
        public void ParseLearner(string spec)
        {
            LearnerSettings = 0;
            FreshReselectEvery = 1;
            if (string.IsNullOrEmpty(spec)) return;
            foreach (string part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (part == "priced") LearnerSettings |= 1;
                else if (part == "update") LearnerSettings |= 2;
                else if (part == "mixed") LearnerSettings |= 4;
                else if (part.StartsWith("fresh", StringComparison.Ordinal) && int.TryParse(part.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) FreshReselectEvery = n;
                else throw new ArgumentException("--learner: '" + part + "' is not priced, update, mixed or freshN");
            }
        }
    }

    /// <summary>One pair of runs (n and 2n rows): what changed between them.</summary>
    public sealed class RunPair
    {
        public long Predictions, Updates, PredictMacs, UpdateMacs;
        /// <summary>Native instructions (callgrind) or wall milliseconds between the two runs.</summary>
        public double Cost;
    }

    /// <summary>The figures (see firmware/README.md for how the firmware's constants follow from them).</summary>
    public sealed class NanoBenchFigures
    {
        public RunPair PredictInstructions, UpdateInstructions, PredictWall, UpdateWall;
        public double InstructionsPerPrediction, InstructionsPerUpdate, InstructionsPerPredictMac, InstructionsPerUpdateMac;
        public double MacsPerPrediction, MacsPerUpdate;
        public double WallUsPerPrediction, WallUsPerUpdate;
        /// <summary>The engine alone (TinTin.Firmware.Replay EngineBench): Observe, and label + UpdateIfDue.</summary>
        public RunPair EnginePredict, EngineUpdate;
        public double EngineInstructionsPerPrediction, EngineInstructionsPerUpdate, EngineInstructionsPerPredictMac, EngineInstructionsPerUpdateMac;
        public double EngineMacsPerPrediction, EngineMacsPerUpdate;
        /// <summary>Smallest nanoclr32 heap (bytes) at which the heap run completes with the host's protocol lines; 0 if not searched.</summary>
        public int SmallestHeap;
        /// <summary>The firmware's engine_bytes (hello line: Network.TotalMemoryBytes of its model, as it allocated it); -1 if not seen.</summary>
        public int EngineBytes = -1;
        public int HeapRunSamples;
        /// <summary>heap → (free at start: hello line, least free over the run: stat lines).</summary>
        public List<(int Heap, int FreeAtStart, int LeastFree)> FreeHeap = new();
        /// <summary>The engine-alone update run's selection at its end and its re-selections (both from the longer run).</summary>
        public long EngineSelectedChannels = -1, EngineReselections = -1;
    }

    /// <summary>
    /// `tintin bench --on nanoclr`: the firmware on the replay inside nanoCLR, measured.
    /// Instructions: valgrind callgrind on nanoclr32 over n and 2n rows, once labelling nothing
    /// (only predictions) and once labelling a fraction (predictions and updates); subtracting the
    /// runs cancels start-up, and the update run's prediction share is taken out with the
    /// per-prediction figure. Wall time: the same pairs without valgrind. Heap: the smallest
    /// nanoclr32 heap at which a run still ends with the host's protocol lines (bisection), and the
    /// firmware's own free-heap figure at board heaps. Figures only: nothing here passes or fails.
    /// </summary>
    public static class NanoBench
    {
        /// <summary>nanoclr32's default heap (10 MiB) for runs that only count instructions or time.</summary>
        public const int LargeHeap = 10 * 1024 * 1024;

        public static NanoBenchFigures Measure(NanoBenchOptions o, TextWriter progress)
        {
            progress ??= TextWriter.Null;
            var f = new NanoBenchFigures();
            if (!o.SkipInstructions)
            {
                progress.WriteLine("callgrind: the engine alone, " + o.EngineSteps + " and " + 2 * o.EngineSteps + " steps ...");
                f.EnginePredict = EnginePair(o, "EngineBench.Predict", o.EngineSteps, progress);
                f.EngineUpdate = EnginePair(o, "EngineBench.Update", o.EngineSteps, progress, f);
                f.EngineInstructionsPerPrediction = f.EnginePredict.Cost / f.EnginePredict.Predictions;
                f.EngineMacsPerPrediction = (double)f.EnginePredict.PredictMacs / f.EnginePredict.Predictions;
                f.EngineInstructionsPerPredictMac = f.EngineInstructionsPerPrediction / f.EngineMacsPerPrediction;
                RunPair e = f.EngineUpdate;
                if (e.Updates <= 0) throw new InvalidOperationException("the engine update runs made no more updates in the longer run");
                f.EngineInstructionsPerUpdate = (e.Cost - e.Predictions * f.EngineInstructionsPerPrediction) / e.Updates;
                f.EngineMacsPerUpdate = (double)e.UpdateMacs / e.Updates;
                f.EngineInstructionsPerUpdateMac = f.EngineInstructionsPerUpdate / f.EngineMacsPerUpdate;
                if (o.EngineOnly) return f;
                progress.WriteLine("callgrind: predictions only, " + o.Samples + " and " + 2 * o.Samples + " rows ...");
                f.PredictInstructions = Pair(o, o.Samples, 0, true, progress);
                progress.WriteLine("callgrind: with updates (label fraction " + o.UpdateLabelFraction.ToString(CultureInfo.InvariantCulture) + "), " + o.Samples + " and " + 2 * o.Samples + " rows ...");
                f.UpdateInstructions = Pair(o, o.Samples, o.UpdateLabelFraction, true, progress);
                f.InstructionsPerPrediction = f.PredictInstructions.Cost / f.PredictInstructions.Predictions;
                f.MacsPerPrediction = (double)f.PredictInstructions.PredictMacs / f.PredictInstructions.Predictions;
                f.InstructionsPerPredictMac = f.InstructionsPerPrediction / f.MacsPerPrediction;
                RunPair u = f.UpdateInstructions;
                if (u.Updates <= 0) throw new InvalidOperationException("the update runs made no more updates in the longer run: use more samples");
                f.InstructionsPerUpdate = (u.Cost - u.Predictions * f.InstructionsPerPrediction) / u.Updates;
                f.MacsPerUpdate = (double)u.UpdateMacs / u.Updates;
                f.InstructionsPerUpdateMac = f.InstructionsPerUpdate / f.MacsPerUpdate;
            }
            progress.WriteLine("wall time: " + o.WallSamples + " and " + 2 * o.WallSamples + " rows, without and with updates ...");
            f.PredictWall = Pair(o, o.WallSamples, 0, false, progress);
            f.UpdateWall = Pair(o, o.WallSamples, o.UpdateLabelFraction, false, progress);
            f.WallUsPerPrediction = f.PredictWall.Cost * 1000 / f.PredictWall.Predictions;
            if (f.UpdateWall.Updates > 0)
                f.WallUsPerUpdate = (f.UpdateWall.Cost * 1000 - f.UpdateWall.Predictions * f.WallUsPerPrediction) / f.UpdateWall.Updates;

            foreach (int heap in o.ReportHeaps)
            {
                progress.WriteLine("free heap: nanoclr32 with " + heap + " B, " + (o.HeapSamples > 0 ? o.HeapSamples : 2000) + " rows ...");
                var options = Options(o, o.HeapSamples > 0 ? o.HeapSamples : 2000, 0.05);
                using var compiled = NanoReplay.Compile(options, new NanoReplayOptions { HeapBytes = heap, CompareFrozen = false, ProbeHeap = true });
                var result = compiled.Run(heap);
                string hello = result.SerialLines.First(l => l.Contains(" hello "));
                if (f.EngineBytes < 0) f.EngineBytes = KeyOf(hello, "engine_bytes=");
                f.FreeHeap.Add((heap, HeapOf(result.SerialLines.First(l => l.Contains(" hello "))),
                    result.SerialLines.Where(l => l.Contains(" stat ") && l.Contains(" heap=")).Select(HeapOf).DefaultIfEmpty(-1).Min()));
            }
            if (o.HeapSamples > 0)
            {
                f.HeapRunSamples = o.HeapSamples;
                f.SmallestHeap = SmallestHeap(o, progress);
            }
            return f;
        }

        private static int HeapOf(string line) => KeyOf(line, "heap=");

        private static int KeyOf(string line, string key)
        {
            string part = line.Split(' ').FirstOrDefault(p => p.StartsWith(key, StringComparison.Ordinal));
            return part == null ? -1 : int.Parse(part.Substring(key.Length), CultureInfo.InvariantCulture);
        }

        private static VirtualBoardOptions Options(NanoBenchOptions o, int samples, double labelFraction) => new VirtualBoardOptions
        {
            DataPath = o.DataPath, Board = o.Board, MaxSamples = samples, LabelFraction = labelFraction, ProgressEvery = 0, Model = o.Model,
        };

        private static RunPair EnginePair(NanoBenchOptions o, string mode, int n, TextWriter progress, NanoBenchFigures f = null)
        {
            // The tape holds rows for the feature vectors only; the loop count is the only difference.
            var options = Options(o, 200, 0);
            NanoReplayResult a, b;
            double ca, cb;
            string settings = ", " + o.LearnerSettings + ", " + o.FreshReselectEvery.ToString(CultureInfo.InvariantCulture);
            (a, ca) = Callgrind(options, "EngineBench.Run(tape, " + mode + ", " + n + settings + ", new ConsoleLineOutput());");
            (b, cb) = Callgrind(options, "EngineBench.Run(tape, " + mode + ", " + 2 * n + settings + ", new ConsoleLineOutput());");
            progress.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0}: {1} steps {2:N0} instructions, {3} steps {4:N0}", mode, n, ca, 2 * n, cb));
            if (f != null)
            {
                f.EngineSelectedChannels = b.Figure("selected_channels");
                f.EngineReselections = b.Figure("reselections");
            }
            return Difference(a, ca, b, cb);
        }

        private static (NanoReplayResult, double) Callgrind(VirtualBoardOptions options, string entry)
        {
            using var compiled = NanoReplay.Compile(options, new NanoReplayOptions { HeapBytes = LargeHeap, CompareFrozen = false, ProbeHeap = false, Entry = entry, WithChecks = true });
            return CallgrindRun(compiled);
        }

        private static RunPair Difference(NanoReplayResult a, double ca, NanoReplayResult b, double cb) => new RunPair
        {
            Predictions = b.Figure("predictions") - a.Figure("predictions"),
            Updates = b.Figure("updates") - a.Figure("updates"),
            UpdateMacs = b.Figure("macs_updates") - a.Figure("macs_updates"),
            PredictMacs = (b.Figure("macs_total") - b.Figure("macs_updates")) - (a.Figure("macs_total") - a.Figure("macs_updates")),
            Cost = cb - ca,
        };

        private static RunPair Pair(NanoBenchOptions o, int n, double labelFraction, bool callgrind, TextWriter progress)
        {
            var a = One(o, n, labelFraction, callgrind);
            var b = One(o, 2 * n, labelFraction, callgrind);
            var pair = Difference(a.Result, a.Cost, b.Result, b.Cost);
            progress.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0} rows: {1:N0} {4}; {2} rows: {3:N0} {4}", n, a.Cost, 2 * n, b.Cost, callgrind ? "instructions" : "ms"));
            return pair;
        }

        private static (NanoReplayResult Result, double Cost) One(NanoBenchOptions o, int samples, double labelFraction, bool callgrind)
        {
            var options = Options(o, samples, labelFraction);
            using var compiled = NanoReplay.Compile(options, new NanoReplayOptions { HeapBytes = LargeHeap, CompareFrozen = false, ProbeHeap = false });
            if (!callgrind)
            {
                // The least of three: this machine is shared, and other work only ever adds time.
                NanoReplayResult best = null;
                for (int i = 0; i < 3; i++)
                {
                    var r = compiled.Run(LargeHeap);
                    if (best == null || r.Output.WallMs < best.Output.WallMs) best = r;
                }
                return (best, best.Output.WallMs);
            }
            return CallgrindRun(compiled);
        }

        private static (NanoReplayResult, double) CallgrindRun(CompiledReplay compiled)
        {
            string outFile = Path.Combine(Path.GetTempPath(), "tintin-callgrind-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8] + ".out");
            try
            {
                var result = compiled.Run(LargeHeap, null, new[] { "valgrind", "--tool=callgrind", "--callgrind-out-file=" + outFile });
                string totals = File.ReadLines(outFile).LastOrDefault(l => l.StartsWith("totals:", StringComparison.Ordinal) || l.StartsWith("summary:", StringComparison.Ordinal))
                    ?? throw new InvalidOperationException("callgrind wrote no totals to " + outFile);
                return (result, double.Parse(totals.Substring(totals.IndexOf(':') + 1).Trim().Split(' ')[0], CultureInfo.InvariantCulture));
            }
            finally { try { File.Delete(outFile); } catch (IOException) { } }
        }

        /// <summary>Bisection over nanoclr32 heaps: the smallest at which the run completes with the host's protocol lines (free heap masked).</summary>
        private static int SmallestHeap(NanoBenchOptions o, TextWriter progress)
        {
            var options = Options(o, o.HeapSamples, 0.05);
            var host = new VirtualBoardOptions
            {
                DataPath = o.DataPath, Board = o.Board, MaxSamples = o.HeapSamples, LabelFraction = 0.05, ProgressEvery = 0, CaptureSerial = true,
            };
            List<string> expected = VirtualBoardRunner.Run(host, null).SerialCapture.Select(NanoReplay.MaskMachineKeys).ToList();
            using var compiled = NanoReplay.Compile(options, new NanoReplayOptions { CompareFrozen = false, ProbeHeap = false });
            bool Completes(int heap)
            {
                bool ok;
                string why = null;
                try { ok = compiled.Run(heap).SerialLines.Select(NanoReplay.MaskMachineKeys).SequenceEqual(expected); }
                catch (NanoRunFailedException e) { ok = false; why = e.Message; }
                progress.WriteLine("  heap " + heap + " B: " + (ok ? "completes" : "fails" + (why != null ? ": " + why : " (lines differ from the host's)")));
                return ok;
            }
            int lo = 8 * 1024, hi = 128 * 1024;
            if (!Completes(hi)) throw new InvalidOperationException("the run does not complete even with a " + hi + "-byte heap");
            if (Completes(lo)) return lo;
            while (hi - lo > o.HeapStep)
            {
                int mid = (lo + hi) / 2 / 4 * 4;
                if (Completes(mid)) hi = mid; else lo = mid;
            }
            return hi;
        }
    }
}
