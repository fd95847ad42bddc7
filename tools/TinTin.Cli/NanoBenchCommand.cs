using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TinTin.Reference;
using TinTin.Core;
using TinTin.VirtualBoard;

namespace TinTin.Cli
{
    /// <summary>`tintin bench --on nanoclr`: prints NanoBench's figures (tools/TinTin.VirtualBoard/Nano/NanoBench.cs). Figures only.</summary>
    public static class NanoBenchCommand
    {
        public static int Run(CliContext context, NanoBenchOptions options, bool json = false)
        {
            CliContext output = context;
            if (json) context = new CliContext(context.Error, context.Error, context.In, false, context.Cancel); // human text to stderr
            if (options.Samples < 20 || options.Samples > 100000) throw CliException.Usage("--samples must be 20..100000");
            if (options.EngineSteps < 10 || options.EngineSteps > 100000) throw CliException.Usage("--engine-steps must be 10..100000");
            if (options.WallSamples < 20 || options.WallSamples > 100000) throw CliException.Usage("--wall-samples must be 20..100000");
            if (options.HeapSamples < 0 || options.HeapSamples > 100000) throw CliException.Usage("--heap-samples must be 0..100000");
            NanoBenchFigures f;
            try { f = NanoBench.Measure(options, context.Error); }
            catch (NanoProgramException e) { throw new CliException(ExitCodes.NotAvailable, e.Message); }
            catch (NanoRunFailedException e) { throw new CliException(ExitCodes.DeviceError, e.Message); }
            catch (System.ComponentModel.Win32Exception e) { throw new CliException(ExitCodes.NotAvailable, "valgrind is needed for instruction counts (apt-get install valgrind), or pass --no-callgrind: " + e.Message); }
            var w = context.Out;
            string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
            w.WriteLine("firmware on nanoCLR (replay of data/occupancy/datatest2.txt, board " + options.Board
                + (options.Model != null ? ", model " + options.Model.Source : "") + (options.LearnerSettings != 0 ? ", learner " + LearnerText(options) : "") + ")");
            if (f.EnginePredict != null)
            {
                w.WriteLine("  native instructions, the engine alone (valgrind callgrind, nanoclr32, x86; " + options.EngineSteps + " vs " + 2 * options.EngineSteps + " steps subtracted):");
                w.WriteLine("    per prediction   " + N(f.EngineInstructionsPerPrediction) + "  (" + N(f.EngineMacsPerPrediction) + " MACs: " + N(f.EngineInstructionsPerPredictMac) + " per MAC; normalise, forward, remember)");
                w.WriteLine("    per update       " + N(f.EngineInstructionsPerUpdate) + "  (" + N(f.EngineMacsPerUpdate) + " MACs: " + N(f.EngineInstructionsPerUpdateMac) + " per MAC; label, batch of 8, backward, step)");
                w.WriteLine("    the longer update run ends with " + f.EngineSelectedChannels + " channels selected after " + f.EngineReselections + " re-selections");
            }
            if (f.PredictInstructions != null)
            {
                w.WriteLine("  native instructions, the whole firmware loop on the replay (" + options.Samples + " vs " + 2 * options.Samples + " rows subtracted):");
                w.WriteLine("    per prediction   " + N(f.InstructionsPerPrediction) + "  (" + N(f.MacsPerPrediction) + " MACs: " + N(f.InstructionsPerPredictMac) + " per MAC; read, features, predict, stat share)");
                w.WriteLine("    per update       " + N(f.InstructionsPerUpdate) + "  (" + N(f.MacsPerUpdate) + " MACs: " + N(f.InstructionsPerUpdateMac) + " per MAC; label, batch, backward, step, upd line)");
                w.WriteLine("    over " + f.PredictInstructions.Predictions + " predictions, and " + f.UpdateInstructions.Predictions + " predictions + " + f.UpdateInstructions.Updates + " updates");
                int cpm = DeviceProfile.Esp32.CyclesPerMac;
                w.WriteLine("    firmware model: " + cpm + " cycles per MAC (TinTin.Core DeviceProfile; firmware/README.md shows the derivation)");
            }
            if (f.PredictWall != null)
            {
                w.WriteLine("  wall time on this machine (nanoclr32, " + options.WallSamples + " vs " + 2 * options.WallSamples + " rows subtracted):");
                w.WriteLine("    per prediction   " + f.WallUsPerPrediction.ToString("F0", CultureInfo.InvariantCulture) + " µs");
                w.WriteLine("    per update       " + (f.UpdateWall.Updates > 0 ? f.WallUsPerUpdate.ToString("F0", CultureInfo.InvariantCulture) + " µs" : "n/a (no updates)"));
            }
            foreach (var (heap, start, least) in f.FreeHeap)
                w.WriteLine("  free heap, firmware's own figure on nanoclr32 with " + heap + " B: " + start + " B at start, at least " + least + " B over the run");
            if (f.SmallestHeap > 0)
                w.WriteLine("  smallest nanoclr32 heap that completes " + f.HeapRunSamples + " rows with the host's protocol lines: " + f.SmallestHeap + " B (bisection, " + options.HeapStep + "-byte steps, no frozen model beside)");
            if (json) JsonReport.WriteLine(output.Out, Json(f, options));
            return ExitCodes.Ok;
        }

        /// <summary>The engine-alone learner settings as --learner spells them ("firmware's" when none).</summary>
        public static string LearnerText(NanoBenchOptions o)
        {
            var parts = new List<string>();
            if ((o.LearnerSettings & 1) != 0) parts.Add("priced");
            if ((o.LearnerSettings & 2) != 0) { parts.Add("update"); parts.Add("fresh" + o.FreshReselectEvery); }
            if ((o.LearnerSettings & 4) != 0) parts.Add("mixed");
            return parts.Count == 0 ? "firmware's" : string.Join(",", parts);
        }

        /// <summary>`bench --on nanoclr --json`: one results row, the firmware's engine on the interpreter.</summary>
        public static Dictionary<string, object> Json(NanoBenchFigures f, NanoBenchOptions options)
        {
            var row = new Dictionary<string, object>
            {
                ["engine"] = "integer (firmware on nanoCLR)",
                ["board"] = options.Board,
                ["state_bytes"] = f.EngineBytes,
                ["learner"] = LearnerText(options),
                ["wall_us_per_prediction"] = f.PredictWall != null ? f.WallUsPerPrediction : null,
                ["wall_us_per_update"] = f.UpdateWall != null && f.UpdateWall.Updates > 0 ? f.WallUsPerUpdate : null,
                ["free_heap"] = f.FreeHeap.Select(h => new Dictionary<string, object> { ["heap"] = h.Heap, ["at_start"] = h.FreeAtStart, ["least"] = h.LeastFree }).ToArray(),
                ["smallest_heap"] = f.SmallestHeap > 0 ? f.SmallestHeap : null,
                ["cycles_per_mac_model"] = DeviceProfile.Esp32.CyclesPerMac,
            };
            if (f.EnginePredict != null)
            {
                row["engine_instructions_per_prediction"] = f.EngineInstructionsPerPrediction;
                row["engine_instructions_per_update"] = f.EngineInstructionsPerUpdate;
                row["engine_macs_per_prediction"] = f.EngineMacsPerPrediction;
                row["engine_macs_per_update"] = f.EngineMacsPerUpdate;
                row["engine_instructions_per_update_mac"] = f.EngineInstructionsPerUpdateMac;
                row["engine_selected_channels"] = f.EngineSelectedChannels;
            }
            if (f.PredictInstructions != null)
            {
                row["firmware_instructions_per_prediction"] = f.InstructionsPerPrediction;
                row["firmware_instructions_per_update"] = f.InstructionsPerUpdate;
                row["firmware_macs_per_update"] = f.MacsPerUpdate;
            }
            Dictionary<string, object> report = JsonReport.For("bench", null);
            report["on"] = "nanoclr";
            report["engine_steps"] = options.EngineSteps;
            report["samples"] = options.Samples;
            report["results"] = new[] { row };
            return report;
        }
    }
}
