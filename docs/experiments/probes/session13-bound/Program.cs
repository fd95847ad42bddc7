// Session 13's bound probe (goal 3 of issue 15; docs/experiments/fleet-session13.md), kept as a reproducibility artifact.
// Usage: LAYOUT SEED WATCH [pq|transfer|bound] [--boards N]   (WATCH: 0-based board index; --boards default 4)
//   no mode: static rows, transfer rows, then the fleet reruns (default flags and T100) with every take of board WATCH+1;
//   pq: the prequential bound; transfer: static and transfer rows only; bound: only own/pooled (5 epochs, lr 1/64,
//   three shuffles) on board WATCH+1's stretch, printed as one BOUND line (the held-out check's bound).
using System;
using System.Collections.Generic;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Fleet;
using TinTin.FleetHost;
using TinTin.Reference;
using TinTin.VirtualBoard;

static class P
{
    sealed class Stream { public List<int[]> X = new(); public List<int> Y = new(); public List<long> T = new(); public List<TracedPress> Presses = new(); public ParameterSet Final; public long Labelled; public double Acc; }
    static PreparedModel model;

    static Model NewModel(int cap) => ModelFile.Load(model.Bytes, model.Bytes.Length, cap, false);

    static Stream Record(BoardSpec spec)
    {
        var s = new Stream();
        using var b = new VirtualFleetBoard(spec, model, "esp32-devkit");
        b.Trace = new List<TracedSample>(); b.Presses = s.Presses;
        while (true)
        {
            int before = b.Trace.Count;
            if (!b.Step()) break;
            if (b.Trace.Count > before) { s.X.Add((int[])b.App.LastFeatures.Clone()); s.Y.Add(b.Trace[^1].Truth); s.T.Add(b.Trace[^1].TimeMs); }
        }
        s.Final = new ParameterSet(b.Network); s.Final.CopyFrom(b.Network); s.Labelled = b.Counters.Labelled; s.Acc = b.Accuracy;
        return s;
    }

    // Labelled samples as ShadowEstimate counts them: a press at P labels the samples of [P - window, P) not labelled yet.
    static List<(int idx, int label)> LabelledOf(Stream s)
    {
        long window = new FirmwareConfig().ButtonWindowMs;
        var labelled = new bool[s.X.Count]; var outp = new List<(int, int)>();
        foreach (var p in s.Presses.OrderBy(p => p.AtMs))
        {
            int i = 0; while (i < s.T.Count && s.T[i] < p.AtMs) i++;
            for (int j = i - 1; j >= 0 && s.T[j] >= p.AtMs - window; j--) { if (labelled[j]) continue; labelled[j] = true; outp.Add((j, p.Label)); }
        }
        return outp;
    }

    static Model evalModel;
    static double Eval(ParameterSet ps, Stream s, int from = 0, int to = -1)
    {
        evalModel ??= NewModel(100000);
        if (ps != null) ps.CopyTo(evalModel.Network); else { var d = NewModel(100000); var q = new ParameterSet(d.Network); q.CopyFrom(d.Network); q.CopyTo(evalModel.Network); }
        if (to < 0) to = s.X.Count;
        int right = 0;
        for (int i = from; i < to; i++) { evalModel.Normalizer.Normalize(s.X[i], evalModel.Network.Input); if (evalModel.Network.Predict() == s.Y[i]) right++; }
        return to > from ? 100.0 * right / (to - from) : double.NaN;
    }

    static ParameterSet Train(List<(int[] x, int y)> data, int epochs, int lrDen, int seed, ParameterSet start = null, bool headOnly = false)
    {
        var m = NewModel(100000);
        var net = m.Network;
        if (start != null) start.CopyTo(net);
        net.SetAllTrainable(true); net.SetFanInRateScaling(true);
        if (headOnly)
        {
            ParameterLayer last = null;
            foreach (var l in net.Layers) if (l is ParameterLayer pl) { last = pl; for (int c = 0; c < pl.Channels; c++) pl.ChannelTrainable[c] = false; }
            for (int c = 0; c < last.Channels; c++) last.ChannelTrainable[c] = true;
            net.ApplySelection();
        }
        var lr = ShiftSum.FromRatio(1, lrDen, 3);
        net.SetLearningRate(lr);
        var rng = new Random(seed);
        var order = Enumerable.Range(0, data.Count).ToArray();
        for (int e = 0; e < epochs; e++)
        {
            for (int i = order.Length - 1; i > 0; i--) { int k = rng.Next(i + 1); (order[i], order[k]) = (order[k], order[i]); }
            int inBatch = 0;
            foreach (int i in order)
            {
                m.Normalizer.Normalize(data[i].x, net.Input); net.TrainSample(data[i].y);
                if (++inBatch == 8) { net.Step(lr, null); inBatch = 0; }
            }
            if (inBatch > 0) net.Step(lr, null);
        }
        var ps = new ParameterSet(net); ps.CopyFrom(net); return ps;
    }

    sealed class TakeEvent { public int At; public ParameterSet Pre, Post; public string Kind; }

    static (ParameterSet[] finals, List<TakeEvent> events, double[] acc, List<KernelTrace> kernels, long[] sent) RunFleet(List<BoardSpec> specs, bool t100, int watch)
    {
        FleetConfig config = FleetConfig.Demo(specs.Count);
        for (int i = 0; i < specs.Count; i++) config.Boards[i].Id = specs[i].Name;
        FleetAggregator aggregator;
        using (var probe = new VirtualFleetBoard(specs[0], model, "esp32-devkit"))
        { var d = new ParameterSet(probe.Network); d.CopyFrom(probe.Network); aggregator = new FleetAggregator(config, d, specs.Count); }
        var kernels = new List<KernelTrace>();
        if (t100)
        {
            aggregator.SimilarityWidth = 78; aggregator.LabelKernelWidth = 300; aggregator.LabelPriorStrength = 40; aggregator.ReceiverRelaxLabelSamples = 1024;
        }
        aggregator.KernelSeen = kernels.Add;
        var hub = new InMemoryHub(aggregator);
        var boards = new List<VirtualFleetBoard>();
        for (int i = 0; i < specs.Count; i++)
        {
            var transport = hub.Connect(specs[i].Name); var cred = config.Boards[i]; int ii = i;
            boards.Add(new VirtualFleetBoard(specs[i], model, "esp32-devkit", (hw, cfg) =>
            {
                hw.Fleet = transport;
                cfg.Fleet = new FleetSettings
                {
                    BoardKey = cred.Key, FleetKey = config.FleetKey, MaxMessageBytes = config.MaxMessageBytes, PublishEveryLabels = 32, JoinAtStart = true,
                    BoardId = specs[ii].Name, StatsEverySamples = t100 ? 64 : 0, TrialSamples = 32, TrialLabelRatePerMille = t100 ? 100 : 0, TrialMinimumLabels = 8,
                    TolerancePerMille = 30, ReplayTolerance = 1, BlendWithOwn = true, CheckOnStoredLabels = true, HistoryTolerance = 0, PairedTolerance = 1,
                    KeepOwnHead = true, OwnWeightFactor = 2, Challenger = false, ChallengerThreshold = 2, ChallengerCap = 4, AgreementBudget = -1, AgreementHalvings = 0, AgreementEvidence = 0,
                };
            }));
            boards[^1].Trace = new List<TracedSample>(); boards[^1].Presses = new List<TracedPress>();
        }
        var events = new List<TakeEvent>();
        var w = boards[watch]; var pre = new ParameterSet(w.Network);
        while (true)
        {
            bool any = false;
            foreach (var b in boards)
            {
                if (b != w) { any |= b.Step(); continue; }
                pre.CopyFrom(b.Network);
                int acc = b.Member.Accepted, rb = b.Member.RolledBack, n = b.Trace.Count;
                any |= b.Step();
                if (b.Member.Accepted != acc || b.Member.RolledBack != rb)
                {
                    var post = new ParameterSet(b.Network); post.CopyFrom(b.Network); var p2 = new ParameterSet(b.Network); p2.CopyFrom(pre);
                    events.Add(new TakeEvent { At = n, Pre = p2, Post = post, Kind = b.Member.Accepted != acc ? "take" : "rollback" });
                }
            }
            if (!any) break;
        }
        var finals = boards.Select(b => { var ps = new ParameterSet(b.Network); ps.CopyFrom(b.Network); return ps; }).ToArray();
        var accs = boards.Select(b => 100 * b.Accuracy).ToArray();
        var sent = boards.Select(b => b.Member.BytesSent).ToArray();
        foreach (var b in boards) b.Dispose();
        return (finals, events, accs, kernels, sent);
    }

    static string F(double v) => v.ToString("F2");

    static void Main(string[] args)
    {
        int boardCount = 4;
        int bi = Array.IndexOf(args, "--boards");
        if (bi >= 0) { boardCount = int.Parse(args[bi + 1]); args = args.Take(bi).Concat(args.Skip(bi + 2)).ToArray(); }
        string layout = args[0]; int seed = int.Parse(args[1]); int watch = args.Length > 2 ? int.Parse(args[2]) : boardCount - 1;
        model = VirtualBoardRunner.EmbeddedModel();
        var summary = new Dictionary<string, double>();
        var specs = VirtualFleet.DefaultSpecs(boardCount, layout, seed);
        var streams = specs.Select(Record).ToList();
        var target = streams[watch];
        Console.WriteLine($"seed {seed} {layout}: watch {specs[watch].Name} {target.X.Count} samples, {target.Labelled} labelled (counter), {LabelledOf(target).Count} by press windows, {target.Presses.Count} presses; occupied share {100.0 * target.Y.Count(y => y == 1) / target.Y.Count:F1} %");
        Console.WriteLine($"  frozen default on its stretch {F(Eval(null, target))}; isolated prequential {F(100 * target.Acc)}");
        summary["frozen"] = Eval(null, target); summary["iso"] = 100 * target.Acc;
        for (int i = 0; i < streams.Count; i++) summary["isofinal" + (i + 1)] = Eval(streams[i].Final, target);
        for (int i = 0; i < streams.Count; i++)
            Console.WriteLine($"  isolated final model of {specs[i].Name} ({streams[i].Labelled} labelled) on {specs[watch].Name}'s stretch: {F(Eval(streams[i].Final, target))}  (second half {F(Eval(streams[i].Final, target, target.X.Count / 2))})");
        // central training
        List<(int[], int)> Set(IEnumerable<int> boardsIdx) => boardsIdx.SelectMany(i => LabelledOf(streams[i]).Select(l => (streams[i].X[l.idx], l.label))).ToList();
        var own = Set(new[] { watch });
        var others = Set(Enumerable.Range(0, streams.Count).Where(i => i != watch));
        var pooled = Set(Enumerable.Range(0, streams.Count));
        int kOwn = Math.Max(1, others.Count / Math.Max(1, own.Count));
        var pooledW = others.Concat(Enumerable.Repeat(own, kOwn).SelectMany(x => x)).ToList();
        var oracle = Enumerable.Range(0, target.X.Count).Select(i => (target.X[i], target.Y[i])).ToList();
        if (args.Length > 3 && args[3] == "bound")
        {
            double o = 0, p = 0;
            for (int r = 0; r < 3; r++) { o += Eval(Train(own, 5, 64, 1000 * seed + r), target); p += Eval(Train(pooled, 5, 64, 1000 * seed + r), target); }
            Console.WriteLine($"BOUND {layout} {boardCount} seed {seed} board {watch + 1}: own ({own.Count}) {F(o / 3)} pooled ({pooled.Count}) {F(p / 3)} pooled-own {F((p - o) / 3)}");
            return;
        }
        if (args.Length > 3 && args[3] == "pq")
        {
            foreach (var (name, set) in new[] { ("others", others), ("pooled", pooled), ("pooledW", pooledW), ("oracle", oracle) })
            {
                double sum = 0;
                for (int r = 0; r < 3; r++)
                {
                    var ps = Train(set, 5, 64, 1000 * seed + r);
                    var m = NewModel(100000); ps.CopyTo(m.Network);
                    var pm = VirtualBoardRunner.WithDefaultFeatures(ModelFile.Save(m), name);
                    using var vb = new VirtualFleetBoard(specs[watch], pm, "esp32-devkit");
                    while (vb.Step()) { }
                    sum += 100 * vb.Accuracy;
                }
                summary["pq_" + name] = sum / 3;
            }
            // sanity: the default model saved and reloaded the same way gives the isolated figure
            { var m = NewModel(100000); var pm = VirtualBoardRunner.WithDefaultFeatures(ModelFile.Save(m), "default"); using var vb = new VirtualFleetBoard(specs[watch], pm, "esp32-devkit"); while (vb.Step()) { } summary["pq_default"] = 100 * vb.Accuracy; }
            Console.WriteLine("SUMMARY " + System.Text.Json.JsonSerializer.Serialize(new { seed, layout, watch, v = summary }));
            return;
        }
        foreach (var (ep, lr) in new[] { (5, 64), (20, 64), (20, 256) })
        {
            var line = $"  central (engine, all layers, {ep} epochs, lr 1/{lr}, batch 8): ";
            foreach (var (name, set) in new[] { ("own", own), ("others", others), ("pooled", pooled), ("pooled-own-x" + kOwn, pooledW), ("oracle", oracle) })
            {
                double sum = 0; for (int r = 0; r < 3; r++) sum += Eval(Train(set, ep, lr, 1000 * seed + r), target);
                line += $"{name} ({set.Count}) {F(sum / 3)}  "; summary[$"c{ep}_{lr}_{name.Split('-')[0]}{(name.Contains("-x") ? "W" : "")}"] = sum / 3;
            }
            Console.WriteLine(line);
        }
        {
            double a = 0, b = 0, c = 0, d = 0;
            for (int r = 0; r < 3; r++)
            {
                var pre = Train(others, 5, 64, 1000 * seed + r);
                a += Eval(Train(own, 20, 64, 1000 * seed + r, pre), target);
                b += Eval(Train(own, 20, 64, 1000 * seed + r, pre, true), target);
                c += Eval(Train(own, 20, 64, 1000 * seed + r, null, true), target);
                d += Eval(Train(own, 20, 64, 1000 * seed + r), target);
            }
            summary["seq_all"] = a / 3; summary["seq_head"] = b / 3; summary["own_head"] = c / 3; summary["own_all"] = d / 3;
            Console.WriteLine($"  transfer: others 5 ep then own 20 ep all layers {F(a / 3)}, head only {F(b / 3)}; own only head {F(c / 3)}, all {F(d / 3)}");
        }
        for (int i = 0; i < streams.Count; i++)
        {
            if (i == watch) continue;
            var full = Enumerable.Range(0, streams[i].X.Count).Select(j => (streams[i].X[j], streams[i].Y[j])).ToList();
            double sum = 0; for (int r = 0; r < 3; r++) sum += Eval(Train(full, 5, 64, 1000 * seed + r), target);
            summary["fulllabels" + (i + 1)] = sum / 3;
            Console.WriteLine($"  trained (5 ep) on every sample of {specs[i].Name} labelled: {F(sum / 3)} on {specs[watch].Name}");
        }
        if (args.Length > 3) { Console.WriteLine("SUMMARY " + System.Text.Json.JsonSerializer.Serialize(new { seed, layout, watch, v = summary })); return; }
        foreach (bool t100 in new[] { false, true })
        {
            var (finals, events, acc, kernels, sent) = RunFleet(specs, t100, watch);
            string v = t100 ? "T100" : "default";
            Console.WriteLine($"  {v}: fleet prequential {string.Join(" ", acc.Select(F))}; sent B {string.Join(" ", sent)}");
            for (int i = 0; i < finals.Length; i++) Console.Write($"    final fleet model of {specs[i].Name} on {specs[watch].Name}: {F(Eval(finals[i], target))};");
            Console.WriteLine();
            int helped = 0, takes = 0;
            foreach (var e in events)
            {
                double preRest = Eval(e.Pre, target, e.At), postRest = Eval(e.Post, target, e.At), preAll = Eval(e.Pre, target), postAll = Eval(e.Post, target);
                double preNext = Eval(e.Pre, target, e.At, Math.Min(target.X.Count, e.At + 400)), postNext = Eval(e.Post, target, e.At, Math.Min(target.X.Count, e.At + 400));
                Console.WriteLine($"    {e.Kind} at sample {e.At}: rest of stretch {F(preRest)} -> {F(postRest)} ({F(postRest - preRest)}); next 400 {F(preNext)} -> {F(postNext)}; whole {F(preAll)} -> {F(postAll)}");
                if (e.Kind == "take") { takes++; if (postRest > preRest) helped++; }
            }
            Console.WriteLine($"    takes helping on the rest of the stretch: {helped} of {takes}");
            summary[v + "_fleet"] = acc[watch]; summary[v + "_takes"] = takes; summary[v + "_helped"] = helped; summary[v + "_sent"] = sent[watch];
            for (int i = 0; i < finals.Length; i++) summary[v + "_final" + (i + 1)] = Eval(finals[i], target);
            if (t100)
            {
                var shares = new Dictionary<string, List<double>>();
                int start = 0;
                for (int i = 1; i <= kernels.Count; i++)
                {
                    bool ends = i == kernels.Count || kernels[i].Receiver != kernels[start].Receiver;
                    for (int j = start; !ends && j < i; j++) ends = kernels[j].Contributor == kernels[i].Contributor;
                    if (!ends) continue;
                    if (kernels[start].Receiver == specs[watch].Name)
                    {
                        long tot = 0; for (int k = start; k < i; k++) tot += kernels[k].Weight;
                        for (int k = start; k < i; k++) { if (!shares.ContainsKey(kernels[k].Contributor)) shares[kernels[k].Contributor] = new(); shares[kernels[k].Contributor].Add(tot > 0 ? 100.0 * kernels[k].Weight / tot : 0); }
                    }
                    start = i;
                }
                foreach (var kv in shares) summary["share_" + kv.Key] = kv.Value.Average();
                Console.WriteLine("    weight share in " + specs[watch].Name + "'s merges (mean %): " + string.Join(", ", shares.Select(kv => kv.Key + " " + F(kv.Value.Average()))));
            }
        }
    
        Console.WriteLine("SUMMARY " + System.Text.Json.JsonSerializer.Serialize(new { seed, layout, watch, v = summary }));
    }
}
