using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TinTin.Fleet;
using TinTin.Reference;
using TinTin.VirtualBoard;

namespace TinTin.FleetHost
{
    public sealed class VirtualFleetOptions
    {
        public int Boards { get; set; } = 4;
        /// <summary>"rotated" (default) or "disjoint": see <see cref="VirtualFleet.DefaultSpecs"/>.</summary>
        public string Layout { get; set; } = "rotated";
        /// <summary>Board streams; null: <see cref="VirtualFleet.DefaultSpecs"/>.</summary>
        public IReadOnlyList<BoardSpec> Specs { get; set; }
        /// <summary>Samples between fleet rounds (publish, merge, deliver).</summary>
        public int RoundSamples { get; set; } = 480;
        /// <summary>Stop every board after so many rows (0: all).</summary>
        public int MaxSamples { get; set; }
        public PreparedModel Model { get; set; }
        public string Board { get; set; } = "esp32-devkit";
        /// <summary>Labelled samples a merged model is judged on before it stays (FleetMember.TrialSamples).</summary>
        public int TrialSamples { get; set; } = 32;
        /// <summary>Accuracy drop tolerated in a trial, per mille.</summary>
        public int TolerancePerMille { get; set; } = 30;
        public bool Blend { get; set; } = true;
        /// <summary>Stored labelled samples a merged model may get wrong beyond the board's own model (FleetMember.ReplayTolerance).</summary>
        public int ReplayTolerance { get; set; } = 1;
        public bool ReplayCheck { get; set; } = true;
        /// <summary>Carries the messages (null: straight to an in-memory aggregator). E.g. the MQTT transports.</summary>
        public Func<FleetConfig, string, IFleetTransport> Transport { get; set; }
        public Func<FleetConfig, ParameterSet, FleetAggregator> AggregatorFactory { get; set; }
        /// <summary>With a network transport: publishes a merged model to the boards (e.g. AggregatorService.PublishMerged).</summary>
        public Action<byte[]> PublishMerged { get; set; }
    }

    public sealed class FleetBoardResult
    {
        [JsonPropertyName("name")] public string Name { get; init; }
        [JsonPropertyName("stream")] public string Stream { get; init; }
        [JsonPropertyName("label_fraction")] public double LabelFraction { get; init; }
        [JsonPropertyName("samples")] public long Samples { get; init; }
        [JsonPropertyName("labelled")] public long Labelled { get; init; }
        [JsonPropertyName("isolated_accuracy")] public double IsolatedAccuracy { get; init; }
        [JsonPropertyName("fleet_accuracy")] public double FleetAccuracy { get; init; }
        [JsonPropertyName("isolated_balanced_accuracy")] public double IsolatedBalancedAccuracy { get; init; }
        [JsonPropertyName("fleet_balanced_accuracy")] public double FleetBalancedAccuracy { get; init; }
        [JsonPropertyName("frozen_accuracy")] public double FrozenAccuracy { get; init; }
        [JsonPropertyName("majority_accuracy")] public double MajorityAccuracy { get; init; }
        [JsonPropertyName("bytes_sent")] public long BytesSent { get; init; }
        [JsonPropertyName("bytes_received")] public long BytesReceived { get; init; }
        [JsonPropertyName("updates_sent")] public int UpdatesSent { get; init; }
        [JsonPropertyName("merges_taken")] public int MergesTaken { get; init; }
        [JsonPropertyName("merges_declined")] public int MergesDeclined { get; init; }
        [JsonPropertyName("merges_rolled_back")] public int MergesRolledBack { get; init; }
        [JsonPropertyName("messages_refused")] public int MessagesRefused { get; init; }
    }

    public sealed class FleetSimulationResult
    {
        [JsonPropertyName("boards")] public List<FleetBoardResult> Boards { get; init; } = new();
        [JsonPropertyName("rounds")] public int Rounds { get; init; }
        [JsonPropertyName("merged_versions")] public uint MergedVersions { get; init; }
        [JsonPropertyName("round_samples")] public int RoundSamples { get; init; }
        [JsonPropertyName("layout")] public string Layout { get; init; }

        public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

        public string Format()
        {
            static string P(double v) => (v * 100).ToString("F1", CultureInfo.InvariantCulture).PadLeft(5);
            var w = new StringBuilder();
            w.AppendLine($"virtual fleet ({Layout} layout): {Boards.Count} boards, a round every {RoundSamples} samples, {Rounds} rounds, {MergedVersions} merged versions");
            w.AppendLine("board     labelled  accuracy: isolated  fleet   (balanced: isolated  fleet)  frozen  majority   sent B  recv B  taken/declined/rolled back");
            foreach (FleetBoardResult b in Boards)
                w.AppendLine($"{b.Name,-9} {b.Labelled,8}            {P(b.IsolatedAccuracy)} %  {P(b.FleetAccuracy)} %            {P(b.IsolatedBalancedAccuracy)} %  {P(b.FleetBalancedAccuracy)} %  {P(b.FrozenAccuracy)} %  {P(b.MajorityAccuracy)} %  {b.BytesSent,7} {b.BytesReceived,7}  {b.MergesTaken}/{b.MergesDeclined}/{b.MergesRolledBack}");
            foreach (FleetBoardResult b in Boards)
                w.AppendLine($"  {b.Name}: {b.Stream}, label fraction {b.LabelFraction.ToString("0.####", CultureInfo.InvariantCulture)}, {b.Samples} samples predicted");
            return w.ToString();
        }
    }

    /// <summary>
    /// `tintin fleet simulate`: N virtual boards (the firmware on replayed data) run twice on the
    /// same streams with the same virtual people: alone, and in a fleet that exchanges updates and
    /// merged models every RoundSamples samples. Accuracy is prequential (each sample predicted
    /// before any label for it), on every sample with known truth.
    /// </summary>
    public static class VirtualFleet
    {
        /// <summary>
        /// The boards' streams; the label rate falls geometrically from 10 % (board 1) to 0.5 % (board N).
        /// rotated: every board replays the drift week (datatest2.txt, Feb 11–18) from its own starting
        /// point, wrapping round, like rooms of one building whose days are out of phase: at any time
        /// the boards see different stretches, and over the run each sees them all.
        /// disjoint: board 1 replays datatest.txt (Feb 2–4), boards 2..N disjoint stretches of the
        /// week: the boards never see the same conditions.
        /// </summary>
        public static List<BoardSpec> DefaultSpecs(int boards, string layout = "rotated")
        {
            if (boards < 2 || boards > 16) throw new ArgumentException("a virtual fleet has 2 to 16 boards");
            if (layout != "rotated" && layout != "disjoint") throw new ArgumentException($"unknown layout '{layout}'; known: rotated, disjoint");
            string test = RepositoryPaths.Data("occupancy", "datatest.txt");
            string week = RepositoryPaths.Data("occupancy", "datatest2.txt");
            int weekRows = File.ReadLines(week).Count() - 1;
            var specs = new List<BoardSpec>();
            for (int i = 0; i < boards; i++)
            {
                double fraction = Math.Round(0.10 * Math.Pow(0.005 / 0.10, (double)i / (boards - 1)), 4);
                string name = "board" + (i + 1);
                if (layout == "rotated")
                    specs.Add(new BoardSpec { Name = name, DataPath = week, Start = i * weekRows / boards, Count = weekRows, Wrap = true, LabelFraction = fraction, Seed = 101 + i });
                else if (i == 0)
                    specs.Add(new BoardSpec { Name = name, DataPath = test, LabelFraction = fraction, Seed = 101 });
                else
                {
                    int stretch = weekRows / (boards - 1);
                    specs.Add(new BoardSpec { Name = name, DataPath = week, Start = (i - 1) * stretch, Count = stretch, LabelFraction = fraction, Seed = 101 + i });
                }
            }
            return specs;
        }

        public static FleetSimulationResult Run(VirtualFleetOptions options, TextWriter progress)
        {
            progress ??= TextWriter.Null;
            PreparedModel model = options.Model ?? VirtualBoardRunner.EmbeddedModel();
            IReadOnlyList<BoardSpec> specs = options.Specs ?? DefaultSpecs(options.Boards, options.Layout);
            progress.WriteLine("isolated: " + specs.Count + " boards, each alone");
            var isolated = RunOnce(specs, model, options, fleet: false, progress, out _, out _);
            progress.WriteLine("fleet: the same boards, merging every " + options.RoundSamples + " samples");
            var withFleet = RunOnce(specs, model, options, fleet: true, progress, out int rounds, out uint versions);
            var result = new FleetSimulationResult { Layout = options.Specs != null ? "custom" : options.Layout, Rounds = rounds, MergedVersions = versions, RoundSamples = options.RoundSamples };
            for (int i = 0; i < specs.Count; i++)
            {
                BoardOutcome a = isolated[i], f = withFleet[i];
                result.Boards.Add(new FleetBoardResult
                {
                    Name = specs[i].Name, Stream = specs[i].StreamText, LabelFraction = specs[i].LabelFraction,
                    Samples = f.Samples, Labelled = f.Labelled,
                    IsolatedAccuracy = a.Accuracy, FleetAccuracy = f.Accuracy,
                    IsolatedBalancedAccuracy = a.Balanced, FleetBalancedAccuracy = f.Balanced,
                    FrozenAccuracy = f.Frozen, MajorityAccuracy = f.Majority,
                    BytesSent = f.BytesSent, BytesReceived = f.BytesReceived, UpdatesSent = f.UpdatesSent,
                    MergesTaken = f.Taken, MergesDeclined = f.Declined, MergesRolledBack = f.RolledBack, MessagesRefused = f.Refused,
                });
            }
            return result;
        }

        private sealed class BoardOutcome
        {
            public long Samples, Labelled, BytesSent, BytesReceived;
            public double Accuracy, Balanced, Frozen, Majority;
            public int UpdatesSent, Taken, Declined, RolledBack, Refused;
        }

        private static BoardOutcome[] RunOnce(IReadOnlyList<BoardSpec> specs, PreparedModel model, VirtualFleetOptions options, bool fleet,
            TextWriter progress, out int rounds, out uint versions)
        {
            var boards = specs.Select(s => new VirtualFleetBoard(s, model, options.Board)).ToList();
            FleetConfig config = FleetConfig.Demo(specs.Count);
            for (int i = 0; i < specs.Count; i++) config.Boards[i].Id = specs[i].Name;
            FleetAggregator aggregator = null;
            var transports = new IFleetTransport[boards.Count];
            var inbox = new byte[config.MaxMessageBytes];
            rounds = 0;
            versions = 0;
            try
            {
                if (fleet)
                {
                    var defaultModel = new ParameterSet(boards[0].Network);
                    defaultModel.CopyFrom(boards[0].Network);
                    aggregator = options.AggregatorFactory != null ? options.AggregatorFactory(config, defaultModel) : new FleetAggregator(config, defaultModel, 0);
                    for (int i = 0; i < boards.Count; i++)
                    {
                        FleetMember m = boards[i].Join(config.Boards[i].Key, config.FleetKey, config.MaxMessageBytes);
                        m.TrialSamples = options.TrialSamples;
                        m.TolerancePerMille = options.TolerancePerMille;
                        m.ReplayTolerance = options.ReplayTolerance;
                        boards[i].Blend = options.Blend;
                        boards[i].ReplayCheck = options.ReplayCheck;
                        transports[i] = options.Transport != null ? options.Transport(config, specs[i].Name) : new InMemoryTransport(aggregator, specs[i].Name);
                        if (!transports[i].Connect()) throw new IOException(specs[i].Name + " could not connect to the fleet broker");
                    }
                }
                long step = 0;
                while (true)
                {
                    bool any = false;
                    foreach (VirtualFleetBoard b in boards)
                        if (options.MaxSamples <= 0 || b.Samples < options.MaxSamples) any |= b.Step();
                    if (!any) break;
                    step++;
                    if (fleet && step % options.RoundSamples == 0)
                    {
                        rounds++;
                        Round(boards, transports, aggregator, inbox, options.PublishMerged);
                    }
                }
                versions = aggregator?.Version ?? 0;
                return boards.Select((b, i) => new BoardOutcome
                {
                    Samples = b.Samples, Labelled = b.Counters.Labelled,
                    Accuracy = b.Accuracy, Balanced = b.BalancedAccuracy, Frozen = b.FrozenAccuracy, Majority = b.MajorityAccuracy,
                    BytesSent = b.Member?.BytesSent ?? 0, BytesReceived = b.Member?.BytesReceived ?? 0, UpdatesSent = b.Member?.Published ?? 0,
                    Taken = b.Member?.Accepted ?? 0, Declined = b.Member?.Declined ?? 0, RolledBack = b.Member?.RolledBack ?? 0, Refused = b.Member?.Rejected ?? 0,
                }).ToArray();
            }
            finally
            {
                foreach (IFleetTransport t in transports) t?.Disconnect();
                foreach (VirtualFleetBoard b in boards) b.Dispose();
            }
        }

        /// <summary>Every board that has new labels publishes; the aggregator merges; every board receives the result.</summary>
        private static void Round(List<VirtualFleetBoard> boards, IFleetTransport[] transports, FleetAggregator aggregator, byte[] inbox, Action<byte[]> publishMerged)
        {
            long processedBefore = aggregator.Processed;
            int published = 0;
            for (int i = 0; i < boards.Count; i++)
            {
                FleetMember m = boards[i].Member;
                if (boards[i].Counters.Labelled == 0 || m.InTrial) continue;
                int length = m.WriteUpdate((uint)boards[i].Counters.Labelled, (uint)boards[i].Counters.Correct);
                if (transports[i].PublishUpdate(m.UpdateBuffer, length)) published++;
            }
            if (published == 0) return;
            // Over a network the updates arrive asynchronously: wait until the aggregator saw them all.
            if (!WaitFor(() => aggregator.Processed >= processedBefore + published, 10_000))
                throw new IOException($"the aggregator received {aggregator.Processed - processedBefore} of {published} updates within 10 s");
            byte[] merged = aggregator.MergeNow();
            if (merged == null) return;
            publishMerged?.Invoke(merged);
            for (int i = 0; i < boards.Count; i++)
            {
                if (transports[i] is InMemoryTransport memory) memory.Deliver(merged);
                else if (!WaitFor(() => transports[i] is MqttBoardTransport t && t.Pending > 0, 10_000))
                    throw new IOException($"{boards[i].Name} did not receive merged version {aggregator.Version} within 10 s");
                int length;
                while ((length = transports[i].TryReceive(inbox)) != 0)
                    if (length > 0) boards[i].Member.Receive(inbox, length);
            }
        }

        private static bool WaitFor(Func<bool> condition, int timeoutMs)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (!condition())
            {
                if (watch.ElapsedMilliseconds > timeoutMs) return false;
                System.Threading.Thread.Sleep(1);
            }
            return true;
        }
    }

    /// <summary>The virtual fleet without a network: publish calls the aggregator, merged models are handed over.</summary>
    public sealed class InMemoryTransport : IFleetTransport
    {
        private readonly FleetAggregator aggregator;
        private readonly string board;
        private readonly Queue<byte[]> received = new();

        public InMemoryTransport(FleetAggregator aggregator, string board) { this.aggregator = aggregator; this.board = board; }
        public bool IsConnected { get; private set; }
        public bool Connect() { IsConnected = true; return true; }
        public void Disconnect() => IsConnected = false;

        public bool PublishUpdate(byte[] message, int length)
        {
            if (!IsConnected) return false;
            aggregator.HandleUpdate(board, message.AsSpan(0, length).ToArray());
            return true;
        }

        public void Deliver(byte[] message) { if (IsConnected) received.Enqueue(message); }

        public int TryReceive(byte[] buffer)
        {
            if (received.Count == 0) return 0;
            byte[] m = received.Dequeue();
            if (m.Length > buffer.Length) return -1;
            m.CopyTo(buffer, 0);
            return m.Length;
        }
    }
}
