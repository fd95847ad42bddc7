using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using TinTin.Core;
using TinTin.Fleet;
using TinTin.FleetHost;
using TinTin.VirtualBoard;

namespace TinTin.Cli
{
    /// <summary>
    /// `tintin fleet bench`: what one merge round costs the aggregator at N boards, one merge for all beside the per-board
    /// merge (T100), through the aggregator's real accept path on boards' real signed messages. Figures only, no pass/fail.
    /// </summary>
    public static class FleetBenchCommand
    {

        public const string OneMerge = "one", PerBoardMerge = "per-board";

        /// <summary>One fleet size and merge: figures over the timed rounds.</summary>
        public sealed class Row
        {
            [JsonPropertyName("boards")] public int Boards { get; init; }
            /// <summary>"one": one merge for all (`--similarity-merge none`, tintin/FLEET/model); "per-board": the default T100, one model a board (tintin/FLEET/boards/ID/model).</summary>
            [JsonPropertyName("merge")] public string Merge { get; init; }
            [JsonPropertyName("rounds")] public int Rounds { get; init; }
            /// <summary>Wall ms of the message that completes a round (its verification, the merge, signing the models): median and fastest round.</summary>
            [JsonPropertyName("merge_ms_median")] public double MergeMsMedian { get; init; }
            [JsonPropertyName("merge_ms_min")] public double MergeMsMin { get; init; }
            /// <summary>Wall ms to accept the round's other 2N − 1 messages (N statistics, N − 1 updates; with --state each writes the state file).</summary>
            [JsonPropertyName("accept_ms_median")] public double AcceptMsMedian { get; init; }
            [JsonPropertyName("accept_ms_min")] public double AcceptMsMin { get; init; }
            /// <summary>Model messages the round publishes, their total bytes, per board, and the smallest and largest message.</summary>
            [JsonPropertyName("messages_per_round")] public int MessagesPerRound { get; init; }
            [JsonPropertyName("bytes_per_round")] public long BytesPerRound { get; init; }
            [JsonPropertyName("bytes_per_board")] public double BytesPerBoard { get; init; }
            [JsonPropertyName("message_bytes_min")] public int MessageBytesMin { get; init; }
            [JsonPropertyName("message_bytes_max")] public int MessageBytesMax { get; init; }
            /// <summary>Managed bytes the merging message allocated on the aggregator's thread (median round).</summary>
            [JsonPropertyName("merge_allocated_bytes")] public long MergeAllocatedBytes { get; init; }
            /// <summary>Published versions the aggregator keeps in memory once the fleet ran long enough (FleetAggregator.KeptVersionCount).</summary>
            [JsonPropertyName("kept_versions")] public int KeptVersions { get; init; }
            /// <summary>
            /// Managed bytes the aggregator holds after the last round beyond what it held before the first (a full collection
            /// before each reading): the kept versions (a ParameterSet and its signed message each) and the boards' latest
            /// messages. It grows each round until the kept versions are full (KeptVersions merges: --repeats 64 shows it).
            /// </summary>
            [JsonPropertyName("retained_bytes")] public long RetainedBytes { get; init; }
            /// <summary>Contributors (weight above 0) per published model, mean over the models of the untimed round: N for one merge; the per-board merge's kernels leave some out.</summary>
            [JsonPropertyName("contributors_mean")] public double ContributorsMean { get; init; }
            /// <summary>
            /// With --broker: the same rounds over the embedded MQTT broker (AggregatorService, every board an MQTT client,
            /// MqttBoardTransport): wall ms from the round's last update published to every board holding its model and its
            /// receipt (median, fastest), and to accept the round's other 2N − 1 messages published one after another. 0 without.
            /// </summary>
            [JsonPropertyName("broker_round_ms_median")] public double BrokerRoundMsMedian { get; set; }
            [JsonPropertyName("broker_round_ms_min")] public double BrokerRoundMsMin { get; set; }
            [JsonPropertyName("broker_accept_ms_median")] public double BrokerAcceptMsMedian { get; set; }
            /// <summary>With --state: the state file's bytes after the last round (0 without).</summary>
            [JsonPropertyName("state_file_bytes")] public long StateFileBytes { get; init; }
        }

        public sealed class Settings
        {
            public int[] Boards = { 4, 16, 64, 256 };
            public int Repeats = 5;
            public PreparedModel Model;
            public bool State;
            public bool Broker;
            public string[] Merges = { OneMerge, PerBoardMerge };
        }

        public static Command Create(CliContext context)
        {
            var boards = new Option<string>("--boards") { Description = "Fleet sizes, a comma list of 2.." + MaxBoards + " (default 4,16,64,256; a merge takes at most " + MaxBoards + " contributions to a channel, ModelMerger.MaxContributionsPerChannel).", DefaultValueFactory = _ => "4,16,64,256" };
            var repeats = new Option<int>("--repeats") { Description = "Timed merge rounds per fleet size and merge (median and fastest reported), after one untimed round.", DefaultValueFactory = _ => 5 };
            var merge = new Option<string>("--merge") { Description = "one (one merge for all, serve's --similarity-merge none), per-board (the default merge, T100) or both (default).", DefaultValueFactory = _ => "both" };
            merge.AcceptOnlyFromAmong("one", "per-board", "both");
            var modelFile = new Option<string>("--model") { Description = "The boards' model file (as `fleet simulate --model`; it must take the firmware's default features) instead of the firmware's embedded default (6-48-24-2)." };
            var state = new Option<bool>("--state") { Description = "The aggregator keeps its state file (in a temporary directory, as `fleet serve --config` does: a journal record fsync'd for every accepted message, the whole file at every merge): the accept and merge figures include it." };
            var broker = new Option<bool>("--broker") { Description = "Also run the rounds over an embedded MQTT broker on 127.0.0.1 (MQTTnet, as `fleet serve`): every board an MQTT client with its own credentials, the aggregator service publishing each model retained and each receipt; wall ms until every board holds its model." };
            var json = new Option<bool>("--json") { Description = "Print one JSON object (rows: one per fleet size and merge) on standard output." };
            var command = new Command("bench",
                "What a merge round costs the aggregator at N boards: N boards (the demo fleet's keys) each publish a signed\n" +
                "statistics message and an update (each board's own perturbation of the model, its own input means and label\n" +
                "counts), accepted through the aggregator's real path; the round's last update merges. Per fleet size and merge\n" +
                "(one merge for all, serve's --similarity-merge none, or the default per-board merge T100: --similarity-width 78\n" +
                "--label-kernel-width 300 --label-prior-strength 40 --receiver-relax-labels 1024): wall ms of the merging message\n" +
                "and of accepting the others (median and fastest of --repeats rounds, after one untimed), model messages and\n" +
                "bytes published per round, managed bytes the merge allocates. With --broker\n" +
                "also over an embedded MQTT broker, every board an MQTT client: wall ms until every board holds its model.\n" +
                "Examples: tintin fleet bench;  tintin fleet bench --boards 16,256 --repeats 9 --json;  tintin fleet bench --boards 64 --state;  tintin fleet bench --broker\n" +
                "Exit codes: 0 ok, 1 usage, 2 model file missing or invalid, 3 broker error.");
            foreach (Option o in new Option[] { boards, repeats, merge, modelFile, state, broker, json }) command.Options.Add(o);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                var settings = new Settings { Boards = ParseBoards(parse.GetValue(boards)), Repeats = parse.GetValue(repeats), State = parse.GetValue(state), Broker = parse.GetValue(broker) };
                if (settings.Repeats < 1 || settings.Repeats > 1000) throw CliException.Usage("--repeats must be in 1..1000");
                string which = parse.GetValue(merge);
                settings.Merges = which == "both" ? new[] { OneMerge, PerBoardMerge } : new[] { which };
                settings.Model = parse.GetValue(modelFile) is string path ? SimulateCommand.ModelFromFile(path) : VirtualBoardRunner.EmbeddedModel();
                bool asJson = parse.GetValue(json);
                List<Row> rows = Run(settings, asJson ? TextWriter.Null : context.Out);
                if (asJson)
                {
                    var result = new Dictionary<string, object>
                    {
                        ["model"] = settings.Model.ModelName ?? settings.Model.Source,
                        ["shape"] = ShapeOf(settings.Model),
                        ["parameters"] = ParameterCount(settings.Model),
                        ["repeats"] = settings.Repeats,
                        ["state_file"] = settings.State,
                        ["broker"] = settings.Broker ? "embedded" : null,
                        ["processors"] = Environment.ProcessorCount,
                        ["rows"] = rows,
                    };
                    context.Out.WriteLine(JsonSerializer.Serialize(result));
                }
                return ExitCodes.Ok;
            }));
            return command;
        }

        /// <summary>
        /// The largest fleet whose boards all contribute to one merge: ModelMerger sums at most this many contributions to a
        /// channel (its int64 range argument), so an aggregator with more boards with labelled updates fails every merge.
        /// </summary>
        public const int MaxBoards = ModelMerger.MaxContributionsPerChannel;

        /// <summary>"4,16,64": each 2..MaxBoards, no repeats; anything else is a usage error naming --boards.</summary>
        public static int[] ParseBoards(string text)
        {
            var result = new List<int>();
            foreach (string part in (text ?? "").Split(','))
            {
                if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                    throw CliException.Usage($"--boards takes a comma list of fleet sizes (e.g. 4,16,64,256): '{part.Trim()}' is not a number");
                if (n < 2 || n > MaxBoards) throw CliException.Usage($"--boards: {n} is not in 2..{MaxBoards} (a merge needs two boards, and takes at most {MaxBoards} contributions to a channel: ModelMerger.MaxContributionsPerChannel)");
                if (result.Contains(n)) throw CliException.Usage($"--boards: {n} is given twice");
                result.Add(n);
            }
            return result.ToArray();
        }

        /// <summary>The model's layer sizes, e.g. 6-48-24-2.</summary>
        private static string ShapeOf(PreparedModel prepared)
        {
            var set = new ParameterSet(ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false).Network);
            return set.RowLength[0] + string.Concat(Enumerable.Range(0, set.LayerCount).Select(l => "-" + set.Channels[l]));
        }

        private static int ParameterCount(PreparedModel prepared)
        {
            Network network = ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false).Network;
            var set = new ParameterSet(network);
            int count = 0;
            for (int l = 0; l < set.LayerCount; l++) count += set.Channels[l] * (set.RowLength[l] + 1);
            return count;
        }

        /// <summary>Every fleet size and merge of the settings, one row each (progress lines as they finish).</summary>
        public static List<Row> Run(Settings settings, TextWriter progress)
        {
            var rows = new List<Row>();
            progress.WriteLine($"fleet bench: model {settings.Model.ModelName ?? settings.Model.Source} {ShapeOf(settings.Model)} ({ParameterCount(settings.Model)} parameters), {settings.Repeats} timed rounds after 1 untimed, {Environment.ProcessorCount} processors{(settings.State ? ", state file: a journal record a message, the snapshot at each merge" : "")}");
            progress.WriteLine($"one: one merge for all (--similarity-merge none); per-board: the default merge T100 (--similarity-merge all --similarity-width {FleetDefaults.SimilarityWidth} --label-kernel-width {FleetDefaults.LabelKernelWidth} --label-prior-strength {FleetDefaults.LabelPriorStrength} --receiver-relax-labels {FleetDefaults.ReceiverRelaxLabels}; the own-share skip off, so every board gets its model: the most a round costs)");
            progress.WriteLine($"{"boards",6} {"merge",-9} {"merge ms med",12} {"min",8} {"accept ms med",13} {"msgs",5} {"bytes/round",12} {"B/board",8} {"alloc/round",12} {"kept versions",13} {"contrib/model",13} {"retained",12}{(settings.Broker ? $" {"broker round ms",15} {"min",8} {"accept",8}" : "")}{(settings.State ? "  state file" : "")}");
            foreach (int n in settings.Boards)
                foreach (string merge in settings.Merges)
                    rows.Add(Measure(settings, n, merge));
            // The broker passes after every direct one: MQTTnet lets go of its connections' buffers some time after they
            // close, which would blur the direct passes' retained bytes (a process-wide reading).
            foreach (Row row in rows)
            {
                if (settings.Broker)
                {
                    var (round, accept) = MeasureBroker(settings, row.Boards, row.Merge);
                    row.BrokerRoundMsMedian = Median(round);
                    row.BrokerRoundMsMin = round.Min();
                    row.BrokerAcceptMsMedian = Median(accept);
                }
                progress.WriteLine($"{row.Boards,6} {row.Merge,-9} {row.MergeMsMedian,12:F2} {row.MergeMsMin,8:F2} {row.AcceptMsMedian,13:F2} {row.MessagesPerRound,5} {row.BytesPerRound,12} {row.BytesPerBoard,8:F0} {row.MergeAllocatedBytes,12} {row.KeptVersions,13} {row.ContributorsMean,13:F1} {row.RetainedBytes,12}{(settings.Broker ? $" {row.BrokerRoundMsMedian,15:F1} {row.BrokerRoundMsMin,8:F1} {row.BrokerAcceptMsMedian,8:F0}" : "")}{(settings.State ? $"  {row.StateFileBytes} B" : "")}");
            }
            return rows;
        }

        /// <summary>A board of the bench: its network (the model, trained a little on its own rule) and its fleet member.</summary>
        private sealed class BenchBoard
        {
            public string Id;
            public FleetMember Member;
            public int Offset, ClassOne, ClassZero;
        }

        /// <summary>A demo fleet of n bench boards on the settings' model, and the aggregator's version 0 (that model).</summary>
        private static (FleetConfig Config, Network Model, ParameterSet Version0, BenchBoard[] Boards) NewFleet(Settings settings, int n)
        {
            FleetConfig config = FleetConfig.Demo(n);
            byte[] modelBytes = settings.Model.Bytes;
            Network model = ModelFile.Load(modelBytes, modelBytes.Length, 0, false).Network;
            var version0 = new ParameterSet(model);
            version0.CopyFrom(model);
            var boards = new BenchBoard[n];
            for (int i = 0; i < n; i++) boards[i] = NewBoard(config, i, modelBytes);
            return (config, model, version0, boards);
        }

        private static Row Measure(Settings settings, int n, string merge)
        {
            var (config, first, version0, boards) = NewFleet(settings, n);
            int inputExponent = first.Input.Exponent;
            var input = new sbyte[first.InputLength];

            string stateDir = null;
            FleetAggregator aggregator = NewAggregator(config, version0, merge);
            try
            {
                if (settings.State)
                {
                    stateDir = Path.Combine(Path.GetTempPath(), "tintin-fleet-bench-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
                    Directory.CreateDirectory(stateDir);
                    aggregator.UseStateFile(Path.Combine(stateDir, "fleet.state"));
                }
                var mergeMs = new List<double>();
                var acceptMs = new List<double>();
                var allocated = new List<long>();
                int messages = 0, smallest = 0, largest = 0;
                long bytes = 0;
                double contributorsMean = 0;
                long baseline = GC.GetTotalMemory(true);
                for (int round = 0; round <= settings.Repeats; round++)
                {
                    var (stats, updates) = RoundMessages(boards, input, inputExponent);
                    aggregator.MergeEvery = 0;
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < n; i++) Accept(aggregator, boards[i].Id, stats[i]);
                    for (int i = 0; i < n - 1; i++) Accept(aggregator, boards[i].Id, updates[i]);
                    double accept = clock.Elapsed.TotalMilliseconds;
                    aggregator.MergeEvery = n; // the round's last update is the n-th since the last merge: it merges
                    int contributions = 0;
                    if (round == 0) aggregator.KernelSeen = k => { if (k.Weight > 0) contributions++; }; // untimed round only
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    clock.Restart();
                    AggregatorResult result = aggregator.HandleUpdate(boards[n - 1].Id, updates[n - 1]);
                    double ms = clock.Elapsed.TotalMilliseconds;
                    long alloc = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (!result.Accepted) throw new InvalidOperationException($"the aggregator refused {boards[n - 1].Id}'s update: {result.Error}");
                    byte[][] published = merge == PerBoardMerge ? result.PerBoard?.Values.ToArray() : result.Merged != null ? new[] { result.Merged } : null;
                    if (published == null) throw new InvalidOperationException($"round {round} of {n} boards ({merge}) published no model");
                    if (merge == PerBoardMerge && published.Length != n) throw new InvalidOperationException($"the per-board merge published {published.Length} models for {n} boards");
                    messages = published.Length;
                    bytes = published.Sum(p => (long)p.Length);
                    smallest = published.Min(p => p.Length);
                    largest = published.Max(p => p.Length);
                    if (round == 0)
                    {
                        aggregator.KernelSeen = null;
                        contributorsMean = merge == PerBoardMerge ? (double)contributions / n : n;
                        continue; // untimed: JIT, first allocations
                    }
                    mergeMs.Add(ms);
                    acceptMs.Add(accept);
                    allocated.Add(alloc);
                }
                long retained = GC.GetTotalMemory(true) - baseline;
                GC.KeepAlive(aggregator);
                GC.KeepAlive(boards); // alive at both readings: only the aggregator's growth counts
                long stateBytes = settings.State ? new FileInfo(aggregator.StateFile).Length : 0;
                if (settings.State && aggregator.StateError != null) throw new IOException(aggregator.StateError);
                return new Row
                {
                    Boards = n, Merge = merge, Rounds = settings.Repeats,
                    MergeMsMedian = Median(mergeMs), MergeMsMin = mergeMs.Min(), AcceptMsMedian = Median(acceptMs), AcceptMsMin = acceptMs.Min(),
                    MessagesPerRound = messages, BytesPerRound = bytes, BytesPerBoard = (double)bytes / n, MessageBytesMin = smallest, MessageBytesMax = largest,
                    MergeAllocatedBytes = (long)Median(allocated.Select(a => (double)a).ToList()), KeptVersions = aggregator.KeptVersionCount, ContributorsMean = contributorsMean, RetainedBytes = retained, StateFileBytes = stateBytes,
                };
            }
            finally
            {
                if (stateDir != null) try { Directory.Delete(stateDir, true); } catch (IOException) { }
            }
        }

        private static FleetAggregator NewAggregator(FleetConfig config, ParameterSet version0, string merge)
        {
            var aggregator = new FleetAggregator(config, version0, 0);
            if (merge == PerBoardMerge)
            {
                aggregator.SimilarityWidth = FleetDefaults.SimilarityWidth;
                aggregator.LabelKernelWidth = FleetDefaults.LabelKernelWidth;
                aggregator.LabelPriorStrength = FleetDefaults.LabelPriorStrength;
                aggregator.ReceiverRelaxLabelSamples = FleetDefaults.ReceiverRelaxLabels;
                // No own-share skip: it only saves the merges and messages of boards held back, so the bench measures every board merged and sent (the most a round costs).
            }
            return aggregator;
        }

        /// <summary>The boards' messages of one round (board-side work, never timed): each board's statistics and update, signed with its key.</summary>
        private static (byte[][] Stats, byte[][] Updates) RoundMessages(BenchBoard[] boards, sbyte[] input, int inputExponent)
        {
            var stats = new byte[boards.Length][];
            var updates = new byte[boards.Length][];
            for (int i = 0; i < boards.Length; i++)
            {
                BenchBoard b = boards[i];
                FleetMember m = b.Member;
                Observe(b, input);
                m.CountLabels(1, b.ClassOne);
                m.CountLabels(0, b.ClassZero);
                uint labelled = (uint)(b.ClassOne + b.ClassZero);
                stats[i] = m.StatsBuffer.AsSpan(0, m.WriteStats(inputExponent, labelled)).ToArray();
                updates[i] = m.UpdateBuffer.AsSpan(0, m.WriteUpdate(labelled, labelled * 3 / 4)).ToArray();
            }
            return (stats, updates);
        }

        /// <summary>
        /// The rounds over an embedded broker: fresh boards (each an MqttBoardTransport with its own credentials, subscribed
        /// to the fleet's model, its own model and its receipt topic) and a fresh aggregator behind AggregatorService. Per
        /// round: ms to accept the 2N − 1 messages before the last update (published one after another, QoS 1), and ms from
        /// publishing the last update until every board received the round's model and its receipt (every accepted update
        /// gets one: 2N messages a round reach the boards). Waits poll every millisecond.
        /// </summary>
        private static (List<double> Round, List<double> Accept) MeasureBroker(Settings settings, int n, string merge)
        {
            var (config, first, version0, boards) = NewFleet(settings, n);
            var input = new sbyte[first.InputLength];
            FleetAggregator aggregator = NewAggregator(config, version0, merge);
            EmbeddedBroker broker = null;
            AggregatorService service = null;
            var transports = new List<MqttBoardTransport>();
            try
            {
                broker = EmbeddedBroker.StartAsync(config).GetAwaiter().GetResult();
                service = AggregatorService.StartAsync(broker.Uri, config, aggregator).GetAwaiter().GetResult();
                foreach (BenchBoard b in boards)
                {
                    var t = new MqttBoardTransport(broker.Uri, config, b.Id);
                    transports.Add(t);
                    if (!t.Connect()) throw new IOException($"{b.Id} could not connect to the embedded broker at {broker.Uri}: {t.LastError}");
                }
                var roundMs = new List<double>();
                var acceptMs = new List<double>();
                long processed = 0;
                for (int round = 0; round <= settings.Repeats; round++)
                {
                    var (stats, updates) = RoundMessages(boards, input, first.Input.Exponent);
                    aggregator.MergeEvery = 0;
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < n; i++) Publish(transports[i], stats[i]);
                    for (int i = 0; i < n - 1; i++) Publish(transports[i], updates[i]);
                    processed += 2 * n - 1;
                    Await(() => aggregator.Processed >= processed, "the aggregator to take the round's messages");
                    double accept = clock.Elapsed.TotalMilliseconds;
                    aggregator.MergeEvery = n;
                    int expected = 2 * (round + 1); // each board, each round: its model and its update's receipt
                    clock.Restart();
                    Publish(transports[n - 1], updates[n - 1]);
                    processed++;
                    Await(() => transports.All(t => t.Received >= expected), "every board to receive its model and receipt");
                    double ms = clock.Elapsed.TotalMilliseconds;
                    if (aggregator.Merges != round + 1) throw new InvalidOperationException($"round {round} over the broker: the aggregator merged {aggregator.Merges} times");
                    var buffer = new byte[config.MaxMessageBytes];
                    foreach (MqttBoardTransport t in transports) while (t.TryReceive(buffer) != 0) { } // the boards' queues, read
                    if (round == 0) continue;
                    roundMs.Add(ms);
                    acceptMs.Add(accept);
                }
                return (roundMs, acceptMs);
            }
            catch (Exception e) when (e is IOException || e is MQTTnet.Exceptions.MqttCommunicationException)
            {
                throw CliException.Device("the embedded broker: " + e.Message);
            }
            finally
            {
                foreach (MqttBoardTransport t in transports) t.Dispose();
                service?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        private static void Publish(MqttBoardTransport transport, byte[] message)
        {
            if (!transport.PublishUpdate(message, message.Length)) throw new IOException($"{transport.Board}'s publish was not acknowledged: {transport.LastError}");
        }

        private static void Await(Func<bool> condition, string what)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                if (clock.Elapsed.TotalSeconds > 120) throw new IOException("waited 120 s for " + what);
                System.Threading.Thread.Sleep(1);
            }
        }

        private static void Accept(FleetAggregator aggregator, string id, byte[] message)
        {
            AggregatorResult r = aggregator.HandleUpdate(id, message);
            if (!r.Accepted) throw new InvalidOperationException($"the aggregator refused {id}'s message: {r.Error}");
        }

        /// <summary>
        /// Board i of the demo fleet: the model trained a few batches on its own rule (class 1 when x0 + x1 + bias &gt; 0,
        /// bias from the board), its inputs centred on its own offset (boards 0..39 units apart in every feature: some within
        /// the input kernel's width, some beyond), its own class counts (label shares from about 10 % to 90 %).
        /// </summary>
        private static BenchBoard NewBoard(FleetConfig config, int i, byte[] modelBytes)
        {
            Network network = ModelFile.Load(modelBytes, modelBytes.Length, -1, false).Network;
            FleetBoard board = config.Boards[i];
            var member = new FleetMember(network, board.Key, config.FleetKey, config.MaxMessageBytes, 64) { BoardId = board.Id };
            var random = new Random(1000 + i);
            int bias = (i * 37) % 81 - 40;
            network.SetAllTrainable(true);
            ShiftSum lr = ShiftSum.FromRatio(1, 64, 3);
            sbyte[] x = network.Input.Data;
            for (int batch = 0; batch < 2; batch++)
            {
                for (int s = 0; s < 8; s++)
                {
                    for (int f = 0; f < x.Length; f++) x[f] = (sbyte)random.Next(-100, 101);
                    network.TrainSample(x[0] + x[1] + bias > 0 ? 1 : 0);
                }
                network.Step(lr, null);
            }
            return new BenchBoard { Id = board.Id, Member = member, Offset = (i * 7) % 40 - 20, ClassOne = 5 + (i * 13) % 45, ClassZero = 5 + (i * 29) % 45 };
        }

        /// <summary>A round's inputs of a board (more than its labels): each feature f at offset + 3f, ±2.</summary>
        private static void Observe(BenchBoard board, sbyte[] input)
        {
            for (int k = 0; k < 200; k++)
            {
                for (int f = 0; f < input.Length; f++) input[f] = (sbyte)Math.Clamp(board.Offset + 3 * f + (k % 5) - 2, -128, 127);
                board.Member.ObserveInput(input);
            }
        }

        private static double Median(List<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            int m = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
        }
    }
}
