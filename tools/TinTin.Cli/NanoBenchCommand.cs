using System;
using System.Globalization;
using TinTin.Core;
using TinTin.VirtualBoard;

namespace TinTin.Cli
{
    /// <summary>`tintin bench --on nanoclr`: prints NanoBench's figures (tools/TinTin.VirtualBoard/Nano/NanoBench.cs). Figures only.</summary>
    public static class NanoBenchCommand
    {
        public static int Run(CliContext context, NanoBenchOptions options)
        {
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
            w.WriteLine("firmware on nanoCLR (replay of data/occupancy/datatest2.txt, esp32-devkit model)");
            if (f.PredictInstructions != null)
            {
                w.WriteLine("  native instructions, the engine alone (valgrind callgrind, nanoclr32, x86; " + options.EngineSteps + " vs " + 2 * options.EngineSteps + " steps subtracted):");
                w.WriteLine("    per prediction   " + N(f.EngineInstructionsPerPrediction) + "  (" + N(f.EngineMacsPerPrediction) + " MACs: " + N(f.EngineInstructionsPerPredictMac) + " per MAC; normalise, forward, remember)");
                w.WriteLine("    per update       " + N(f.EngineInstructionsPerUpdate) + "  (" + N(f.EngineMacsPerUpdate) + " MACs: " + N(f.EngineInstructionsPerUpdateMac) + " per MAC; label, batch of 8, backward, step)");
                w.WriteLine("  native instructions, the whole firmware loop on the replay (" + options.Samples + " vs " + 2 * options.Samples + " rows subtracted):");
                w.WriteLine("    per prediction   " + N(f.InstructionsPerPrediction) + "  (" + N(f.MacsPerPrediction) + " MACs: " + N(f.InstructionsPerPredictMac) + " per MAC; read, features, predict, stat share)");
                w.WriteLine("    per update       " + N(f.InstructionsPerUpdate) + "  (" + N(f.MacsPerUpdate) + " MACs: " + N(f.InstructionsPerUpdateMac) + " per MAC; label, batch, backward, step, upd line)");
                w.WriteLine("    over " + f.PredictInstructions.Predictions + " predictions, and " + f.UpdateInstructions.Predictions + " predictions + " + f.UpdateInstructions.Updates + " updates");
                int cpm = DeviceProfile.Esp32.CyclesPerMac;
                w.WriteLine("    firmware model: " + cpm + " cycles per MAC (TinTin.Core DeviceProfile; firmware/README.md shows the derivation)");
            }
            w.WriteLine("  wall time on this machine (nanoclr32, " + options.WallSamples + " vs " + 2 * options.WallSamples + " rows subtracted):");
            w.WriteLine("    per prediction   " + f.WallUsPerPrediction.ToString("F0", CultureInfo.InvariantCulture) + " µs");
            w.WriteLine("    per update       " + (f.UpdateWall.Updates > 0 ? f.WallUsPerUpdate.ToString("F0", CultureInfo.InvariantCulture) + " µs" : "n/a (no updates)"));
            foreach (var (heap, start, least) in f.FreeHeap)
                w.WriteLine("  free heap, firmware's own figure on nanoclr32 with " + heap + " B: " + start + " B at start, at least " + least + " B over the run");
            if (f.SmallestHeap > 0)
                w.WriteLine("  smallest nanoclr32 heap that completes " + f.HeapRunSamples + " rows with the host's protocol lines: " + f.SmallestHeap + " B (bisection, " + options.HeapStep + "-byte steps, no frozen model beside)");
            return ExitCodes.Ok;
        }
    }
}
