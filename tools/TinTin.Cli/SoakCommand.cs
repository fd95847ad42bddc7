using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Sensors;
using TinTin.VirtualBoard;
using TinTin.Firmware.Replay;

namespace TinTin.Cli
{
    /// <summary>
    /// `tintin soak --updates N`: the firmware loop (FirmwareApp with the embedded default model, the
    /// board's code) on a synthetic day/night stream, labelled correctly most of the time, with
    /// adversarial bursts: junk command lines (random bytes, overlong, bad numbers) and bursts of
    /// wrong labels. Prints figures — steps, allocation after warm-up, RSS, exponent and weight
    /// ranges, accuracy before / during / after the bursts — it is not a timed test.
    /// </summary>
    public static class SoakCommand
    {
        public static System.CommandLine.Command Create(CliContext context)
        {
            var updates = new Option<int>("--updates", "-n") { Description = "Stop after this many learner updates (1..10000000).", DefaultValueFactory = _ => 20000 };
            var seed = new Option<int>("--seed") { Description = "Seed of the junk lines and burst placement.", DefaultValueFactory = _ => 1 };
            var burstEvery = new Option<int>("--burst-every") { Description = "Samples between adversarial bursts (1000..10000000): 200 junk lines mid-way, wrong labels for the last 7.5 %.", DefaultValueFactory = _ => 20000 };
            var command = new System.CommandLine.Command("soak",
                "Soak the firmware loop under junk-command and wrong-label bursts, and print what it allocates and how it recovers.\n" +
                "The board's code on a synthetic day/night stream until N updates. Prints steps, bytes allocated after warm-up, RSS,\n" +
                "exponent and weight ranges, and accuracy before, after and between the bursts.\n" +
                "Example: tintin soak --updates 100000\n" +
                "Exit codes: 0 ok (figures printed), 1 usage, 2 the run broke an invariant (exponent out of range, an exception in a command).");
            command.Options.Add(updates);
            command.Options.Add(seed);
            command.Options.Add(burstEvery);
            command.SetAction(parse => TinTinCli.Guard(context, () => Run(context, parse.GetValue(updates), parse.GetValue(seed), parse.GetValue(burstEvery))));
            return command;
        }

        /// <summary>Bytes in, nowhere out (a board's UART writer allocates nothing either).</summary>
        private sealed class NullSerial : ISerialPort
        {
            public string ReadLine() => null;
            public void Write(byte[] buffer, int offset, int count) { }
        }

        /// <summary>A day/night occupancy pattern: warmer and more humid while occupied (one sample a minute).</summary>
        private sealed class DayNightSource : ISampleSource
        {
            private readonly SimulatedBoardClock clock;
            public long Index;
            public int Truth;
            public DayNightSource(SimulatedBoardClock clock) { this.clock = clock; }
            public string Name => "soak";
            public bool HasPressure => false;
            public int Read(EnvironmentSample s)
            {
                long t = Index * 60_000L;
                clock.NowMs = t;
                int phase = (int)(Index % 240);
                bool occupied = phase > 100 && phase < 200;
                s.TimestampMs = t;
                s.TemperatureCentiC = 2050 + (occupied ? 150 : 0) + (int)(Index * 7 % 13);
                s.HumidityCentiPercent = 2600 + (occupied ? 300 : 0) + (int)(Index * 5 % 11);
                s.HasPressure = false;
                Truth = occupied ? 1 : 0;
                s.Label = Truth;
                Index++;
                return SampleStatus.Ok;
            }
        }

        public static int Run(CliContext context, int targetUpdates, int seed, int burstEvery = 20_000)
        {
            if (targetUpdates < 1 || targetUpdates > 10_000_000) throw CliException.Usage("--updates must be in 1..10000000");
            if (burstEvery < 1000 || burstEvery > 10_000_000) throw CliException.Usage("--burst-every must be in 1000..10000000");
            var clock = new SimulatedBoardClock();
            var source = new DayNightSource(clock);
            BoardProfile board = BoardProfile.Esp32DevKit(false);
            var hardware = new FirmwareHardware { Source = source, Flash = new RamFlash(16384), Serial = new NullSerial(), Clock = clock, Board = board };
            var config = FirmwareConfig.WithEmbeddedModel();
            config.PredLines = true;
            config.StatEverySamples = 60;
            config.CheckpointIntervalMs = 30 * 60_000L;
            var app = new FirmwareApp(hardware, config, new ContinualLearnerFactory(new ContinualConfig { Profile = board.Device }, Network.ArenaFromBudget, false));
            app.Start();

            // Every string the loop sends is made up front, so what is measured is the firmware's own allocation.
            var random = new Random(seed);
            var junk = new string[512];
            for (int i = 0; i < junk.Length; i++) junk[i] = Junk(random);
            string[] labels = { "label 0 3", "label 1 3" };
            const int junkBurst = 200;
            int wrongBurst = burstEvery * 3 / 40; // 1,500 samples of every 20,000

            var watch = Stopwatch.StartNew();
            long steps = 0, allocatedAfterWarmUp = -1, warmUpAt = 0, junkSent = 0, wrongLabels = 0;
            int minMaster = int.MaxValue, maxMaster = int.MinValue, minWeight = int.MaxValue, maxWeight = int.MinValue, minBias = int.MaxValue, maxBias = int.MinValue, maxAbsMaster = 0;
            var window = new Accuracy[3]; // 0: clean before the first burst, 1: the first 2,000 samples after each burst, 2: the last 20 % of the run
            long lastBurstEnd = -1;
            while (app.Counters.Updates < targetUpdates)
            {
                if (steps == 2_000) { warmUpAt = GC.GetAllocatedBytesForCurrentThread(); }
                app.Step();
                steps++;
                long i = source.Index;
                bool inBurst = i % burstEvery >= burstEvery - wrongBurst;
                if (app.LastStepPredicted)
                {
                    bool ok = app.LastPrediction == source.Truth;
                    if (lastBurstEnd < 0 && !inBurst) window[0].Add(ok);
                    else if (lastBurstEnd >= 0 && i - lastBurstEnd < 2_000 && !inBurst) window[1].Add(ok);
                    if (app.Counters.Updates >= targetUpdates * 4L / 5 && !inBurst) window[2].Add(ok);
                }
                if (i % 3 == 0)
                {
                    int label = inBurst ? 1 - source.Truth : source.Truth; // a burst: every label wrong
                    if (inBurst) wrongLabels++;
                    app.HandleLine(labels[label]);
                }
                if (i % burstEvery == burstEvery - 1) lastBurstEnd = i;
                if (i % burstEvery == burstEvery / 2)
                    for (int k = 0; k < junkBurst; k++) { app.HandleLine(junk[(int)((junkSent++) % junk.Length)]); }
                if (steps % 1000 == 0) Ranges(app.Model, ref minMaster, ref maxMaster, ref minWeight, ref maxWeight, ref minBias, ref maxBias, ref maxAbsMaster);
            }
            if (steps > 2_000) allocatedAfterWarmUp = GC.GetAllocatedBytesForCurrentThread() - warmUpAt;
            Ranges(app.Model, ref minMaster, ref maxMaster, ref minWeight, ref maxWeight, ref minBias, ref maxBias, ref maxAbsMaster);
            using Process self = Process.GetCurrentProcess();
            self.Refresh();
            string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
            var w = context.Out;
            w.WriteLine("soak: " + N(steps) + " steps, " + N(app.Counters.Updates) + " updates, " + N(app.Counters.Checkpoints) + " checkpoints, "
                + N(app.Learner.Reselections) + " re-selections in " + watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
            w.WriteLine("adversarial input: " + N(junkSent) + " junk command lines, " + N(wrongLabels) + " wrong label commands in bursts of " + N(wrongBurst) + " samples every " + N(burstEvery));
            w.WriteLine("allocated after warm-up (2,000 steps): " + (allocatedAfterWarmUp < 0 ? "run too short" : N(allocatedAfterWarmUp) + " B") + " (firmware only: every input string is made before the loop)");
            w.WriteLine("RSS: " + N(self.WorkingSet64 / 1024) + " KiB now, " + N(self.PeakWorkingSet64 / 1024) + " KiB peak");
            w.WriteLine("exponents: master " + minMaster + ".." + maxMaster + ", int8 weights " + minWeight + ".." + maxWeight + ", bias " + minBias + ".." + maxBias
                + " (allowed " + ParameterLayer.MinExponent + ".." + ParameterLayer.MaxExponent + "); largest |master weight| " + maxAbsMaster);
            w.WriteLine("prequential accuracy (outside the bursts): before the first burst " + window[0] + ", first 2,000 samples after each burst " + window[1] + ", last 20 % of the run " + window[2]);
            w.WriteLine("command failures (exceptions caught in the loop): " + app.CommandFailures + "; the model reloads: " + Reloads(app.Model));
            bool broken = app.CommandFailures > 0 || minMaster < ParameterLayer.MinExponent || maxWeight > ParameterLayer.MaxExponent
                || minBias < ParameterLayer.MinExponent || maxBias > ParameterLayer.MaxExponent || !Reloads(app.Model);
            return broken ? ExitCodes.InputError : ExitCodes.Ok;
        }

        private struct Accuracy
        {
            public long Correct, Count;
            public void Add(bool ok) { Count++; if (ok) Correct++; }
            public override string ToString() => Count == 0 ? "–" : (100.0 * Correct / Count).ToString("F1", CultureInfo.InvariantCulture) + " % (" + Count.ToString("N0", CultureInfo.InvariantCulture) + ")";
        }

        private static void Ranges(Model model, ref int minMaster, ref int maxMaster, ref int minWeight, ref int maxWeight, ref int minBias, ref int maxBias, ref int maxAbsMaster)
        {
            foreach (Layer layer in model.Network.Layers)
            {
                if (layer is not ParameterLayer p) continue;
                minMaster = Math.Min(minMaster, p.MasterExponent); maxMaster = Math.Max(maxMaster, p.MasterExponent);
                minWeight = Math.Min(minWeight, p.WeightExponent); maxWeight = Math.Max(maxWeight, p.WeightExponent);
                minBias = Math.Min(minBias, p.BiasExponent); maxBias = Math.Max(maxBias, p.BiasExponent);
                foreach (short m in p.MasterWeights) maxAbsMaster = Math.Max(maxAbsMaster, Math.Abs((int)m));
            }
        }

        private static bool Reloads(Model model)
        {
            byte[] bytes = ModelFile.Save(model);
            try { return ModelFile.Save(ModelFile.Load(bytes, bytes.Length, -1, false)).AsSpan().SequenceEqual(bytes); }
            catch (ModelFormatException) { return false; }
        }

        private static string Junk(Random random)
        {
            switch (random.Next(4))
            {
                case 0:
                    {
                        var sb = new StringBuilder();
                        int n = random.Next(0, 260);
                        for (int i = 0; i < n; i++) { char c = (char)random.Next(256); if (c != '\n') sb.Append(c); }
                        return sb.ToString();
                    }
                case 1: return new string('x', random.Next(190, 400));
                case 2:
                    {
                        string[] words = { "label", "budget", "pred", "reset", "restore", "save", "status", "99999999999999999999", "-1", "1e3", "0x10" };
                        var sb = new StringBuilder();
                        for (int i = random.Next(1, 6); i > 0; i--) sb.Append(words[random.Next(words.Length)]).Append(' ');
                        return sb.ToString();
                    }
                default: return "label " + random.Next(-5, 7) + " " + random.NextInt64(-100000, 10000000);
            }
        }
    }
}
