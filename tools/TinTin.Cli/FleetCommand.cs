using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using TinTin.Core;
using TinTin.Fleet;
using TinTin.FleetHost;
using TinTin.VirtualBoard;

namespace TinTin.Cli
{
    /// <summary>`tintin fleet serve|simulate`: the aggregator that merges boards' models over MQTT, and the virtual fleet.</summary>
    public static class FleetCommand
    {
        public static Command Create(CliContext context)
        {
            var command = new Command("fleet", "Boards that learn together: the MQTT aggregator (serve) and a virtual fleet (simulate). See docs/FLEET.md.");
            command.Subcommands.Add(Serve(context));
            command.Subcommands.Add(Simulate(context));
            command.Subcommands.Add(FleetBenchCommand.Create(context));
            return command;
        }

        private const string ReceiverRelaxHelp = "With a per-board merge: a receiver with n labelled samples (the class counts of its latest signed statistics message) takes every other board at kernel k + (1024 − k)·R/(R + n) instead of k: a board with few labels takes more of the whole fleet, one with many keeps its kernel (docs/experiments/fleet.md, session 9). 0: off.";

        private static readonly string OwnShareSkipHelp = "With a per-board merge: a board whose merge would be at least this share (per mille) its own update, by kernel-weighted labelled samples, gets none from that merge: a room unlike every other would only be pulled back towards an older copy of itself (docs/FLEET.md \"The default merge\"; session 15). 0: off. Default " + FleetDefaults.OwnShareSkip + " with a per-board merge, else 0.";

        private const string ReceiverRelaxLabelsHelp = "With --label-kernel-width: relax the label kernel only, keep the input kernel: a receiver with n labelled samples takes every other board at k_input × (kl + (1024 − kl)·R/(R + n)) / 1024, kl the label kernel: few labels make its label share unreliable, its input statistics are not (docs/experiments/fleet.md, session 10). Not with --receiver-relax. 0: off.";

        private const string ReceiverRelaxInputsHelp = "With --similarity-merge all and --label-kernel-width: relax the input kernel only, keep the label kernel: a receiver with n labelled samples takes every other board at (ki + (1024 − ki)·R/(R + n)) × k_label / 1024, ki the input kernel: a board with few labels borrows from rooms whose inputs differ, the label kernel keeps a room whose labels differ apart (docs/experiments/fleet.md, session 11). Not with --receiver-relax; with --receiver-relax-labels both are relaxed. 0: off.";

        private static Command Serve(CliContext context)
        {
            var broker = new Option<string>("--broker") { Description = "An MQTT broker to use, mqtt://HOST:PORT or mqtts://HOST:PORT (TLS; port 8883 by default) (mosquitto, EMQX). Without it an embedded broker runs in this process." };
            var caFile = new Option<string>("--ca-file") { Description = "With mqtts://: the broker's CA certificate (PEM or DER); only it is trusted. Without it the system's trust store is used." };
            var port = new Option<int>("--port") { Description = "Port of the embedded broker on 127.0.0.1 (default 1883, with --tls-cert 8883)." };
            var tlsCert = new Option<string>("--tls-cert") { Description = "The embedded broker speaks MQTT over TLS only (mqtts) with this certificate: a PFX/PKCS#12 file, or a PEM certificate (its key in --tls-key or in the same file). Boards get its CA as ca_file." };
            var tlsKey = new Option<string>("--tls-key") { Description = "With a PEM --tls-cert: its private key (PEM, unencrypted)." };
            var tlsPassword = new Option<string>("--tls-password") { Description = "With a PFX --tls-cert: its password." };
            var config = new Option<string>("--config") { Description = "Fleet config JSON (fleet name, fleet key, aggregator and per-board credentials and keys). Default: a demo fleet (see --boards)." };
            var state = new Option<string>("--state") { Description = "The aggregator's state file: version counter, the versions of the last " + FleetAggregator.KeptVersions + " merges, each board's latest update and statistics (their sequence numbers): written whole (atomically) at every published version, each accepted message in between appended to FILE.journal beside it (fsynced before it is acknowledged), both loaded at start, so a restart goes on above every version and sequence seen. Default with --config FILE: FILE.state beside it; with the demo fleet: none (state in memory only). A missing file starts fresh; an unreadable file or journal stops the aggregator (exit 2) and both are left untouched." };
            var writeConfig = new Option<string>("--write-config") { Description = "Write the demo fleet's config to this path and exit (edit its secrets before deploying)." };
            var boards = new Option<int>("--boards") { Description = "Boards in the demo fleet.", DefaultValueFactory = _ => 4 };
            var mergeEvery = new Option<int>("--merge-every") { Description = "Merge after this many accepted updates (default: one per board).", DefaultValueFactory = _ => 0 };
            var duration = new Option<double>("--duration-s") { Description = "Stop after this many seconds (0: until Ctrl-C)." };
            var similarity = new Option<string>("--similarity-merge") { Description = "all (the default since session 14, docs/FLEET.md \"The default merge\"): merge for each board, weighting every contributor by labelled samples, by how alike the two boards' inputs are (the boards' signed statistics messages: means over every sample) and, with --label-kernel-width, by how alike their label shares are; each board's model is addressed to it and published retained on tintin/FLEET/boards/ID/model. A board without statistics yet gets the all-boards merge. none: one merge for all on tintin/FLEET/model (the default before session 14; the label kernel and the relaxation then default to off).", DefaultValueFactory = _ => FleetDefaults.SimilarityWindow };
            similarity.AcceptOnlyFromAmong("all", FleetDefaults.OneMergeForAll);
            var similarityWidth = new Option<int>("--similarity-width") { Description = "With --similarity-merge all: kernel width W in int8 input units (L1 over features): weight · max(0, W − distance) / W.", DefaultValueFactory = _ => FleetDefaults.SimilarityWidth };
            var labelWidth = new Option<int>("--label-kernel-width") { Description = "Merge for each board, also weighting every contributor by how alike the two boards' label shares are: max(0, P − |p_r − p_c|) / P, p a board's share of class-1 ('occupied') labelled samples in its latest signed statistics message (per mille), shrunk towards the fleet's by --label-prior-strength pseudo-samples. Two-class models; with --similarity-merge all it multiplies the input kernel. 0: off. Default " + FleetDefaults.LabelKernelWidth + " with --similarity-merge all, else 0.", DefaultValueFactory = _ => FleetDefaults.LabelKernelWidth };
            var labelStrength = new Option<int>("--label-prior-strength") { Description = "With --label-kernel-width: pseudo-samples at the fleet's pooled share added to each board's own.", DefaultValueFactory = _ => FleetDefaults.LabelPriorStrength };
            var receiverRelax = new Option<int>("--receiver-relax") { Description = ReceiverRelaxHelp, DefaultValueFactory = _ => 0 };
            var receiverRelaxLabels = new Option<int>("--receiver-relax-labels") { Description = ReceiverRelaxLabelsHelp + " Default " + FleetDefaults.ReceiverRelaxLabels + " with a label kernel, --similarity-merge all and no --receiver-relax, else 0.", DefaultValueFactory = _ => FleetDefaults.ReceiverRelaxLabels };
            var receiverRelaxInputs = new Option<int>("--receiver-relax-inputs") { Description = ReceiverRelaxInputsHelp, DefaultValueFactory = _ => 0 };
            var ownShareSkip = new Option<int>("--own-share-skip") { Description = OwnShareSkipHelp, DefaultValueFactory = _ => FleetDefaults.OwnShareSkip };
            var command = new Command("serve",
                "Run the fleet aggregator: verify each board's update (its own HMAC key, growing sequence numbers), merge the\n" +
                "boards' integer models (federated averaging weighted by labelled samples, no float) and publish each merged\n" +
                "model, signed with the fleet key and versioned: by default one per board, weighted by how alike the boards' inputs\n" +
                "and label shares are, retained on tintin/FLEET/boards/ID/model; with --similarity-merge none one for all, retained\n" +
                "on tintin/FLEET/model (docs/FLEET.md \"The default merge\"). Its state (versions, each board's\n" +
                "sequence numbers) survives restarts in the --state file (default: the config's path + .state).\n" +
                "Examples:\n" +
                "  tintin fleet serve                          (embedded broker on 127.0.0.1:1883, demo fleet of 4)\n" +
                "  tintin fleet serve --write-config fleet.json && tintin fleet serve --config fleet.json --broker mqtt://127.0.0.1:1883\n" +
                "  tintin fleet serve --config fleet.json --broker mqtts://broker.local:8883 --ca-file fleet-ca.pem\n" +
                "  tintin fleet serve --config fleet.json --state /var/lib/tintin/fleet.state   (state kept elsewhere than fleet.json.state)\n" +
                "  tintin fleet serve --config fleet.json --tls-cert broker.pem --tls-key broker.key   (embedded broker, mqtts on 127.0.0.1:8883)\n" +
                "Exit codes: 0 ok, 1 usage, 2 config missing/malformed or state file unreadable, 3 broker unreachable.");
            foreach (Option o in new Option[] { broker, caFile, port, tlsCert, tlsKey, tlsPassword, config, state, writeConfig, boards, mergeEvery, duration, similarity, similarityWidth, labelWidth, labelStrength, receiverRelax, receiverRelaxLabels, receiverRelaxInputs, ownShareSkip }) command.Options.Add(o);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                int count = parse.GetValue(boards);
                if (count < 1 || count > 1000) throw CliException.Usage("--boards must be in 1..1000");
                FleetConfig fleet;
                string statePath = parse.GetValue(state);
                if (statePath != null && statePath.Trim().Length == 0) throw CliException.Usage("--state needs a file path");
                if (parse.GetValue(config) is string path)
                {
                    if (!File.Exists(path)) throw CliException.Input("fleet config not found: " + path);
                    fleet = FleetConfig.Load(path);
                    statePath ??= path + ".state";
                }
                else fleet = FleetConfig.Demo(count);
                if (parse.GetValue(writeConfig) is string target)
                {
                    fleet.Save(target);
                    context.Out.WriteLine($"wrote {target}: fleet '{fleet.Fleet}', {fleet.Boards.Count} boards (demo secrets: replace them before deploying)");
                    return ExitCodes.Ok;
                }
                int every = parse.GetValue(mergeEvery);
                if (every < 0) throw CliException.Usage("--merge-every must not be negative");
                double seconds = parse.GetValue(duration);
                if (seconds < 0) throw CliException.Usage("--duration-s must not be negative");
                int width = parse.GetValue(similarityWidth);
                if (width < 1 || width > 100000) throw CliException.Usage("--similarity-width must be in 1..100000");
                bool perBoardDefault = parse.GetValue(similarity) != FleetDefaults.OneMergeForAll;
                if (!perBoardDefault) width = 0;
                // The label kernel and its relaxation default on only with the default merge; given explicitly they are checked as given.
                int labelKernelWidth = TinTinCli.Given(parse, labelWidth) || perBoardDefault ? parse.GetValue(labelWidth) : 0;
                int labelPriorStrength = parse.GetValue(labelStrength);
                string labelProblem = LabelPriorKernel.OptionProblem(labelKernelWidth, labelPriorStrength);
                if (labelProblem != null) throw CliException.Usage(labelProblem);
                int relax = parse.GetValue(receiverRelax);
                string relaxProblem = FleetAggregator.ReceiverRelaxProblem(relax, width > 0 || labelKernelWidth > 0);
                if (relaxProblem != null) throw CliException.Usage(relaxProblem);
                int relaxLabels = TinTinCli.Given(parse, receiverRelaxLabels) || (perBoardDefault && labelKernelWidth > 0 && relax == 0) ? parse.GetValue(receiverRelaxLabels) : 0;
                string relaxLabelsProblem = FleetAggregator.ReceiverRelaxLabelsProblem(relaxLabels, relax, labelKernelWidth);
                if (relaxLabelsProblem != null) throw CliException.Usage(relaxLabelsProblem);
                int relaxInputs = parse.GetValue(receiverRelaxInputs);
                string relaxInputsProblem = FleetAggregator.ReceiverRelaxInputsProblem(relaxInputs, relax, width, labelKernelWidth);
                if (relaxInputsProblem != null) throw CliException.Usage(relaxInputsProblem);
                int ownSkip = TinTinCli.Given(parse, ownShareSkip) || width > 0 || labelKernelWidth > 0 ? parse.GetValue(ownShareSkip) : 0;
                string ownSkipProblem = FleetAggregator.OwnShareSkipProblem(ownSkip, width > 0 || labelKernelWidth > 0);
                if (ownSkipProblem != null) throw CliException.Usage(ownSkipProblem);
                string brokerUri = parse.GetValue(broker);
                if (brokerUri != null)
                {
                    try { BrokerUri.Parse(brokerUri); }
                    catch (ArgumentException e) { throw CliException.Usage(e.Message); }
                }
                string certFile = parse.GetValue(tlsCert), keyFile = parse.GetValue(tlsKey), password = parse.GetValue(tlsPassword);
                if (certFile != null && brokerUri != null) throw CliException.Usage("--tls-cert is for the embedded broker; with --broker the broker has its own certificate");
                if (certFile == null && (keyFile != null || password != null)) throw CliException.Usage((keyFile != null ? "--tls-key" : "--tls-password") + " needs --tls-cert");
                string ca = parse.GetValue(caFile);
                if (ca != null)
                {
                    if (certFile == null && (brokerUri == null || !BrokerUri.Parse(brokerUri).Tls)) throw CliException.Usage("--ca-file needs --broker mqtts://HOST:PORT or --tls-cert");
                    try { BrokerUri.LoadCa(ca).Dispose(); }
                    catch (ArgumentException e) { throw CliException.Input(e.Message); }
                }
                int brokerPort = parse.GetValue(port);
                if (brokerPort < 0 || brokerPort > 65535) throw CliException.Usage("--port must be in 1..65535");
                if (brokerPort == 0) brokerPort = certFile != null ? 8883 : 1883;
                System.Security.Cryptography.X509Certificates.X509Certificate2 certificate = null;
                if (certFile != null)
                {
                    try { certificate = EmbeddedBroker.LoadCertificate(certFile, keyFile, password); }
                    catch (ArgumentException e) { throw CliException.Input(e.Message); }
                }
                using (certificate)
                    return RunServe(context, fleet, statePath, brokerUri, ca, certificate, brokerPort, every == 0 ? fleet.Boards.Count : every, seconds, width, labelKernelWidth, labelPriorStrength, relax, relaxLabels, relaxInputs, ownSkip).GetAwaiter().GetResult();
            }));
            return command;
        }

        private static async Task<int> RunServe(CliContext context, FleetConfig fleet, string statePath, string brokerUri, string caFile,
            System.Security.Cryptography.X509Certificates.X509Certificate2 tlsCertificate, int port, int mergeEvery, double seconds, int similarityWidth, int labelKernelWidth, int labelPriorStrength, int receiverRelax, int receiverRelaxLabels, int receiverRelaxInputs, int ownShareSkip)
        {
            PreparedModel prepared = VirtualBoardRunner.EmbeddedModel();
            Model model = ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false);
            var version0 = new ParameterSet(model.Network);
            version0.CopyFrom(model.Network);
            var aggregator = new FleetAggregator(fleet, version0, mergeEvery, context.Out)
                { SimilarityWidth = similarityWidth, LabelKernelWidth = labelKernelWidth, LabelPriorStrength = labelPriorStrength, ReceiverRelaxSamples = receiverRelax, ReceiverRelaxLabelSamples = receiverRelaxLabels, ReceiverRelaxInputSamples = receiverRelaxInputs, OwnShareSkipPerMille = ownShareSkip };
            if (labelKernelWidth > 0 && version0.Channels[version0.LayerCount - 1] != 2) throw CliException.Usage("--label-kernel-width needs a two-class model");
            if (statePath == null)
            {
                context.Out.WriteLine("state in memory only (demo fleet; --state FILE keeps it across restarts)");
                // Every restart of the demo loses the state: the boards' bases move the counter past them (bounded), as for a lost file.
                aggregator.RecoverVersionsFromBoards = true;
            }
            else
            {
                try { aggregator.UseStateFile(statePath); }
                catch (InvalidDataException e) { throw CliException.Input(e.Message); }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { throw CliException.Input($"cannot use state file {statePath}: {e.Message}"); }
            }
            EmbeddedBroker embedded = null;
            try
            {
                if (brokerUri == null)
                {
                    try { embedded = await EmbeddedBroker.StartAsync(fleet, port, context.Out, tlsCertificate); }
                    catch (Exception e) when (e is System.Net.Sockets.SocketException || e is IOException)
                    { throw CliException.Device($"cannot start the embedded broker on 127.0.0.1:{port}: {e.Message}"); }
                    brokerUri = embedded.Uri;
                    context.Out.WriteLine($"embedded MQTT broker on {brokerUri}");
                }
                AggregatorService service;
                // Beside its own TLS broker the aggregator trusts the CA file if given, else exactly the broker's certificate.
                try { service = await AggregatorService.StartAsync(brokerUri, fleet, aggregator, context.Out, caFile, embedded != null && caFile == null ? tlsCertificate : null); }
                catch (Exception e) when (e is IOException || e is MQTTnet.Exceptions.MqttCommunicationException || e is OperationCanceledException || e is System.Security.Authentication.AuthenticationException)
                { throw CliException.Device($"cannot reach the broker at {brokerUri}: {e.Message}"); }
                await using (service)
                {
                    // A fresh embedded broker lost the retained models: give late joiners the latest fleet-wide model and each
                    // board's latest addressed model (per-board merge) from the state file again.
                    if (embedded != null)
                    {
                        bool fleetWide = aggregator.LatestMessage != null;
                        int perBoard = aggregator.LatestBoardModels.Count;
                        await service.RetainLatestAgainAsync();
                        if (fleetWide) context.Out.WriteLine("the latest fleet-wide model (from the state file) is retained again on " + fleet.ModelTopic);
                        if (perBoard > 0) context.Out.WriteLine($"{perBoard} boards' latest models (from the state file) are retained again on {fleet.BoardModelTopic("ID")}");
                    }
                    context.Out.WriteLine($"aggregator: fleet '{fleet.Fleet}', {fleet.Boards.Count} boards, merging every {mergeEvery} updates; updates and statistics on {fleet.UpdateTopicFilter}, models on "
                        + (similarityWidth > 0 || labelKernelWidth > 0 ? $"{fleet.BoardModelTopic("ID")} (per board{(similarityWidth > 0 ? $", similarity width {similarityWidth}" : "")}{(labelKernelWidth > 0 ? $", label kernel P {labelKernelWidth} K {labelPriorStrength}" : "")}{(ownShareSkip > 0 ? $", own-share skip {ownShareSkip}" : "")})" : fleet.ModelTopic));
                    try { await Task.Delay(seconds > 0 ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan, context.Cancel); }
                    catch (OperationCanceledException) { }
                }
                context.Out.WriteLine($"aggregator stopped: {aggregator.Merges} merges, latest version {aggregator.Version}");
                foreach (BoardRecord r in aggregator.Boards.Values)
                    context.Out.WriteLine($"  {r.Id}: {r.Updates} updates, {r.StatsMessages} statistics, {r.Rejected} refused, {r.BytesReceived} B received" + (r.HeldBack > 0 ? $", {r.HeldBack} merges held back (mostly its own update)" : "") + (r.LastError != null ? ", last error: " + r.LastError : ""));
                return ExitCodes.Ok;
            }
            finally
            {
                if (embedded != null) await embedded.DisposeAsync();
            }
        }

        private static Command Simulate(CliContext context)
        {
            var boards = new Option<int>("--boards", "-b") { Description = "Virtual boards (2–16).", DefaultValueFactory = _ => 4 };
            var publishEvery = new Option<int>("--publish-every") { Description = "A board publishes its update after this many new labelled samples (the firmware's policy).", DefaultValueFactory = _ => 32 };
            var mergeEvery = new Option<int>("--merge-every") { Description = "The aggregator merges after this many accepted updates (default: one per board, as fleet serve)." };
            var maxSamples = new Option<int>("--max-samples", "-n") { Description = "Stop each board after this many samples (0: all)." };
            var trial = new Option<int>("--trial-samples") { Description = "Labelled samples a merged model is judged on before it stays.", DefaultValueFactory = _ => 32 };
            var json = new Option<bool>("--json") { Description = "Print the result as JSON: boards: [{name, labelled, isolated_accuracy, fleet_accuracy, bytes_sent, ...}]." };
            var noBlend = new Option<bool>("--no-blend") { Description = "Boards take the fleet's model as it is instead of blending it with their own by labelled samples (ablation)." };
            var noCheck = new Option<bool>("--no-replay-check") { Description = "Boards take merged models without checking them on their own stored labelled samples first (ablation)." };
            var replayTolerance = new Option<int>("--replay-tolerance") { Description = "Stored labelled samples a merged model may get wrong beyond the board's own model before the board declines it.", DefaultValueFactory = _ => 1 };
            var historyTolerance = new Option<int>("--history-tolerance") { Description = "Recently labelled samples (the learner's history) a merged model may get wrong beyond the board's own model before the board declines it; -1: no history check.", DefaultValueFactory = _ => 0 };
            var pairedTolerance = new Option<int>("--paired-tolerance") { Description = "Paired trial: newly labelled samples a taken model may get wrong beyond the board's own before it is rolled back.", DefaultValueFactory = _ => 1 };
            var fleetHead = new Option<bool>("--fleet-head") { Description = "Boards take the fleet's last layer too (default: each keeps its own last layer, a personalised head, and takes only the layers below it; ablation)." };
            var ownWeight = new Option<int>("--own-weight") { Description = "A board's own labels count this many times when it blends the fleet's model with its own (1: weighted by labelled samples alone).", DefaultValueFactory = _ => 2 };
            var challenger = new Option<bool>("--challenger") { Description = "Boards keep the fleet's model as a prediction-only challenger beside their own (which learns from their own labels only) and answer with it while it leads on their labels, instead of taking merged models into their own (ablation; docs/FLEET.md)." };
            var challengerThreshold = new Option<int>("--challenger-threshold") { Description = "With --challenger: the challenger (the fleet's model) answers once it got this many more of the board's labelled samples right than the board's own model.", DefaultValueFactory = _ => 2 };
            var challengerCap = new Option<int>("--challenger-cap") { Description = "With --challenger: the challenger's lead stays within [-cap, cap].", DefaultValueFactory = _ => 4 };
            var agreementBudget = new Option<int>("--agreement-budget") { Description = "Agreement on unlabelled samples (docs/FLEET.md): a board takes a blend only if it changes at most this many predictions of its recent history (labelled or not) from its current model; -1: no agreement check (the default).", DefaultValueFactory = _ => -1 };
            var agreementHalvings = new Option<int>("--agreement-halvings") { Description = "With --agreement-budget: halve the step towards a blend that changes too many predictions up to this many times before declining it (0: all or nothing; at most 8).", DefaultValueFactory = _ => 0 };
            var agreementEvidence = new Option<int>("--agreement-evidence") { Description = "With --agreement-budget: extra changed predictions allowed per recently labelled changed sample the blend gets right beyond those it gets wrong.", DefaultValueFactory = _ => 0 };
            var similarity = new Option<string>("--similarity-merge") { Description = "all (the default since session 14, docs/FLEET.md \"The default merge\"): the aggregator merges for each board, weighting every contributor by labelled samples and by how alike the two boards' inputs are, means over every sample; recent: means over the last ~128 samples (a host experiment, docs/experiments/fleet.md); none: one merge for all (the default before session 14; the per-board knobs below then default to off).", DefaultValueFactory = _ => FleetDefaults.SimilarityWindow };
            similarity.AcceptOnlyFromAmong("all", "recent", FleetDefaults.OneMergeForAll);
            var similarityWidth = new Option<int>("--similarity-width") { Description = "With --similarity-merge: kernel width W in int8 input units (L1 over features): weight · max(0, W − distance) / W.", DefaultValueFactory = _ => FleetDefaults.SimilarityWidth };
            var similarityAtPublish = new Option<bool>("--similarity-at-publish") { Description = "With --similarity-merge: the kernel reads each board's input means as of its last published update (as a protocol carrying them in the update would), not as of the merge." };
            var similarityStatsEvery = new Option<int>("--similarity-stats-every") { Description = "With --similarity-merge all: the protocol: every board sends its signed input statistics every N samples (label or not) and the aggregator's kernel reads the verified messages (also with --mqtt); 0: the host experiment, the kernel reads each board's means as of the merge. Default " + FleetDefaults.StatsEverySamples + " with --similarity-merge all (the boards' stats_every), else 0.", DefaultValueFactory = _ => FleetDefaults.StatsEverySamples };
            var labelWidth = new Option<int>("--label-kernel-width") { Description = "Per-board merges also weight every contributor by how alike the two boards' label priors are: max(0, P − |p_r − p_c|) / P, p a board's share of 'occupied' so far (per mille), shrunk towards the fleet's by --label-prior-strength pseudo-labels. With --similarity-merge all --similarity-stats-every N it reads the class counts of the boards' signed statistics messages (labelled samples) and multiplies the input kernel; alone it is a host experiment (docs/experiments/fleet.md, session 8) on the host's record of presses. 0: off. Default " + FleetDefaults.LabelKernelWidth + " with the default merge (--similarity-merge all on the statistics messages), else 0.", DefaultValueFactory = _ => FleetDefaults.LabelKernelWidth };
            var labelStrength = new Option<int>("--label-prior-strength") { Description = "With --label-kernel-width: pseudo-presses at the fleet's pooled share added to each board's own.", DefaultValueFactory = _ => FleetDefaults.LabelPriorStrength };
            var receiverRelax = new Option<int>("--receiver-relax") { Description = ReceiverRelaxHelp + " Needs --similarity-merge all --similarity-stats-every N.", DefaultValueFactory = _ => 0 };
            var receiverRelaxLabels = new Option<int>("--receiver-relax-labels") { Description = ReceiverRelaxLabelsHelp + " Needs --similarity-merge all --similarity-stats-every N. Default " + FleetDefaults.ReceiverRelaxLabels + " with the default merge, a label kernel and no --receiver-relax, else 0.", DefaultValueFactory = _ => FleetDefaults.ReceiverRelaxLabels };
            var receiverRelaxInputs = new Option<int>("--receiver-relax-inputs") { Description = ReceiverRelaxInputsHelp + " Needs --similarity-merge all --similarity-stats-every N.", DefaultValueFactory = _ => 0 };
            var traceKernels = new Option<bool>("--trace-kernels") { Description = "Measurement, with a per-board merge: the JSON's kernels gives, per (receiver, contributor), the mean input, label and final kernel (0..1024) over the run's merges and the contributor's mean share of the merge's weight (per mille)." };
            var ownShareSkip = new Option<int>("--own-share-skip") { Description = OwnShareSkipHelp, DefaultValueFactory = _ => FleetDefaults.OwnShareSkip };
            var seed = new Option<int>("--seed") { Description = "Seed of the virtual people and learners (0: the default streams; others shift every board's seed).", DefaultValueFactory = _ => 0 };
            var trialLabelRate = new Option<int>("--trial-label-rate") { Description = "Trial scaled to each board's label rate (per mille; the boards' trial_label_rate, default " + FleetDefaults.TrialLabelRate + " since session 14, 0 with --challenger; 0: off): a board whose labelled share of its samples is below this judges a taken model on proportionally fewer labels (--trial-samples x share / rate, rounded up, at least --trial-min-labels), and its wait after a rollback shrinks with it (docs/experiments/fleet.md, Session 12).", DefaultValueFactory = _ => FleetDefaults.TrialLabelRate };
            var trialMinLabels = new Option<int>("--trial-min-labels") { Description = "With --trial-label-rate: the fewest labels a trial lasts.", DefaultValueFactory = _ => 8 };
            var trialTolerance = new Option<int>("--trial-tolerance") { Description = "Accuracy drop (per mille) on the trial's labelled samples that rolls a merge back.", DefaultValueFactory = _ => 30 };
            var layout = new Option<string>("--layout") { Description = "rotated: every board replays the drift week from its own starting point (rooms out of phase); disjoint: board 1 another recording, the others disjoint stretches of the week; recordings: board i replays recording i mod 3 (datatraining, datatest, datatest2).", DefaultValueFactory = _ => "rotated" };
            layout.AcceptOnlyFromAmong(VirtualFleet.Layouts);
            var modelFile = new Option<string>("--model") { Description = "Every board starts from this model file (`tintin prepare --board-features default ... --out FILE`; it must take the firmware's default features) instead of the firmware's embedded default (6-48-24-2, the model `tintin simulate` runs). The session-4..6 figures of docs/experiments/fleet.md: --model data/models/occupancy-6-16-2.ttm." };
            var mqtt = new Option<bool>("--mqtt") { Description = "Carry the fleet's messages over MQTT through an embedded broker on 127.0.0.1 (default: in memory; same results)." };
            var command = new Command("simulate",
                "Run N virtual boards (the firmware on replayed recordings, different stretches and label rates) twice: each alone,\n" +
                "and as a fleet: every board runs the firmware's fleet link (publishes after --publish-every labels, takes merged\n" +
                "models at its safe point, checks, trials and rolls back), the aggregator merges after --merge-every updates. Prints each board's prequential accuracy alone and\n" +
                "with the fleet, balanced accuracy, the frozen default model and majority class beside them, and bytes sent.\n" +
                "Every board starts from the firmware's embedded default model (6-48-24-2, as `tintin simulate`) unless --model FILE.\n" +
                "The merge is the fleet's default (docs/FLEET.md \"The default merge\"): one per board, by the boards' signed input\n" +
                "statistics and label shares, and a trial scaled to each board's label rate; --similarity-merge none --trial-label-rate 0\n" +
                "is the one merge for all of the figures before session 14.\n" +
                "Examples:\n  tintin fleet simulate --boards 4\n  tintin fleet simulate --boards 4 --json --mqtt\n" +
                "  tintin fleet simulate --boards 4 --similarity-merge none --trial-label-rate 0   (one merge for all)\n" +
                "  tintin fleet simulate --boards 4 --model data/models/occupancy-6-16-2.ttm   (the model of the session-4..6 figures)\n" +
                "Exit codes: 0 ok, 1 usage, 2 data missing, 3 broker error.");
            foreach (Option o in new Option[] { boards, layout, publishEvery, mergeEvery, maxSamples, trial, noBlend, noCheck, replayTolerance, historyTolerance, pairedTolerance, fleetHead, ownWeight, challenger, challengerThreshold, challengerCap, agreementBudget, agreementHalvings, agreementEvidence, similarity, similarityWidth, similarityAtPublish, similarityStatsEvery, labelWidth, labelStrength, receiverRelax, receiverRelaxLabels, receiverRelaxInputs, traceKernels, ownShareSkip, trialTolerance, trialLabelRate, trialMinLabels, seed, modelFile, json, mqtt }) command.Options.Add(o);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                // The per-board knobs default on only where the default merge runs; given explicitly they are checked as given.
                string window = parse.GetValue(similarity);
                if (window == FleetDefaults.OneMergeForAll) window = null;
                int statsEvery = TinTinCli.Given(parse, similarityStatsEvery) || (window == "all" && !parse.GetValue(similarityAtPublish)) ? parse.GetValue(similarityStatsEvery) : 0;
                bool byMessages = window == "all" && statsEvery > 0 && !parse.GetValue(similarityAtPublish);
                int labelKernelWidth = TinTinCli.Given(parse, labelWidth) || byMessages ? parse.GetValue(labelWidth) : 0;
                int relaxLabels = TinTinCli.Given(parse, receiverRelaxLabels) || (byMessages && labelKernelWidth > 0 && parse.GetValue(receiverRelax) == 0) ? parse.GetValue(receiverRelaxLabels) : 0;
                int trialRate = TinTinCli.Given(parse, trialLabelRate) || !parse.GetValue(challenger) ? parse.GetValue(trialLabelRate) : 0;
                int ownSkip = TinTinCli.Given(parse, ownShareSkip) || window != null || labelKernelWidth > 0 ? parse.GetValue(ownShareSkip) : 0;
                var options = new VirtualFleetOptions
                {
                    Boards = parse.GetValue(boards), Layout = parse.GetValue(layout), PublishEveryLabels = parse.GetValue(publishEvery), MergeEvery = parse.GetValue(mergeEvery), MaxSamples = parse.GetValue(maxSamples),
                    TrialSamples = parse.GetValue(trial), TrialLabelRate = trialRate, TrialMinimumLabels = parse.GetValue(trialMinLabels), Blend = !parse.GetValue(noBlend), ReplayCheck = !parse.GetValue(noCheck),
                    ReplayTolerance = parse.GetValue(replayTolerance), TolerancePerMille = parse.GetValue(trialTolerance),
                    HistoryTolerance = parse.GetValue(historyTolerance), PairedTolerance = parse.GetValue(pairedTolerance), KeepOwnHead = !parse.GetValue(fleetHead),
                    Seed = parse.GetValue(seed), OwnWeightFactor = parse.GetValue(ownWeight),
                    Challenger = parse.GetValue(challenger), ChallengerThreshold = parse.GetValue(challengerThreshold), ChallengerCap = parse.GetValue(challengerCap),
                    AgreementBudget = parse.GetValue(agreementBudget), AgreementHalvings = parse.GetValue(agreementHalvings), AgreementEvidence = parse.GetValue(agreementEvidence),
                    SimilarityWindow = window, SimilarityWidth = parse.GetValue(similarityWidth), SimilarityAtPublish = parse.GetValue(similarityAtPublish), SimilarityStatsEvery = statsEvery,
                    LabelKernelWidth = labelKernelWidth, LabelPriorStrength = parse.GetValue(labelStrength), OwnShareSkip = ownSkip,
                    ReceiverRelax = parse.GetValue(receiverRelax), ReceiverRelaxLabels = relaxLabels, ReceiverRelaxInputs = parse.GetValue(receiverRelaxInputs), TraceKernels = parse.GetValue(traceKernels),
                };
                string labelProblem = LabelPriorKernel.OptionProblem(options.LabelKernelWidth, options.LabelPriorStrength);
                if (labelProblem != null) throw CliException.Usage(labelProblem);
                string ownSkipProblem = FleetAggregator.OwnShareSkipProblem(options.OwnShareSkip, options.SimilarityWindow != null || options.LabelKernelWidth > 0);
                if (ownSkipProblem != null) throw CliException.Usage(ownSkipProblem);
                string relaxProblem = FleetAggregator.ReceiverRelaxProblem(options.ReceiverRelax, true);
                if (relaxProblem == null && options.ReceiverRelax > 0 && !options.SimilarityByMessages)
                    relaxProblem = "--receiver-relax reads the receiver's labelled samples from its signed statistics messages: it needs --similarity-merge all --similarity-stats-every N";
                if (relaxProblem != null) throw CliException.Usage(relaxProblem);
                string relaxLabelsProblem = FleetAggregator.ReceiverRelaxLabelsProblem(options.ReceiverRelaxLabels, options.ReceiverRelax, options.LabelKernelWidth);
                if (relaxLabelsProblem == null && options.ReceiverRelaxLabels > 0 && !options.SimilarityByMessages)
                    relaxLabelsProblem = "--receiver-relax-labels relaxes the label kernel of the signed statistics messages: it needs --similarity-merge all --similarity-stats-every N";
                if (relaxLabelsProblem != null) throw CliException.Usage(relaxLabelsProblem);
                string relaxInputsProblem = FleetAggregator.ReceiverRelaxInputsProblem(options.ReceiverRelaxInputs, options.ReceiverRelax,
                    options.SimilarityWindow == "all" ? options.SimilarityWidth : 0, options.LabelKernelWidth);
                if (relaxInputsProblem == null && options.ReceiverRelaxInputs > 0 && !options.SimilarityByMessages)
                    relaxInputsProblem = "--receiver-relax-inputs relaxes the input kernel of the signed statistics messages: it needs --similarity-merge all --similarity-stats-every N";
                if (relaxInputsProblem != null) throw CliException.Usage(relaxInputsProblem);
                if (options.TraceKernels && options.SimilarityWindow == null && options.LabelKernelWidth == 0) throw CliException.Usage("--trace-kernels needs a per-board merge (--similarity-merge or --label-kernel-width)");
                if (options.LabelKernelWidth > 0 && parse.GetValue(mqtt) && !options.SimilarityByMessages) throw CliException.Usage("--label-kernel-width is a host experiment with the in-memory fleet: not with --mqtt");
                if (options.Boards < 2 || options.Boards > 16) throw CliException.Usage("--boards must be in 2..16");
                if (options.PublishEveryLabels < 1) throw CliException.Usage("--publish-every must be at least 1");
                if (options.MergeEvery < 0) throw CliException.Usage("--merge-every must not be negative");
                if (options.MaxSamples < 0) throw CliException.Usage("--max-samples must not be negative");
                if (options.Seed < 0 || options.Seed > 1000) throw CliException.Usage("--seed must be in 0..1000");
                if (options.OwnWeightFactor < 1 || options.OwnWeightFactor > 1024) throw CliException.Usage("--own-weight must be in 1..1024");
                if (options.PairedTolerance < 0) throw CliException.Usage("--paired-tolerance must not be negative");
                if (options.ChallengerCap < 1 || options.ChallengerCap > 1000) throw CliException.Usage("--challenger-cap must be in 1..1000");
                if (options.ChallengerThreshold < -options.ChallengerCap || options.ChallengerThreshold > options.ChallengerCap) throw CliException.Usage("--challenger-threshold must be in -cap..cap (--challenger-cap)");
                if (options.AgreementBudget < -1 || options.AgreementBudget > 100000) throw CliException.Usage("--agreement-budget must be in -1..100000");
                if (options.AgreementHalvings < 0 || options.AgreementHalvings > 8) throw CliException.Usage("--agreement-halvings must be in 0..8");
                if (options.AgreementEvidence < 0 || options.AgreementEvidence > 1000) throw CliException.Usage("--agreement-evidence must be in 0..1000");
                if ((options.AgreementHalvings != 0 || options.AgreementEvidence != 0) && options.AgreementBudget < 0) throw CliException.Usage("--agreement-halvings and --agreement-evidence need --agreement-budget");
                if (options.SimilarityWidth < 1 || options.SimilarityWidth > 100000) throw CliException.Usage("--similarity-width must be in 1..100000");
                if (options.SimilarityStatsEvery < 0) throw CliException.Usage("--similarity-stats-every must not be negative");
                if ((options.SimilarityAtPublish || options.SimilarityStatsEvery > 0) && options.SimilarityWindow == null) throw CliException.Usage("--similarity-at-publish and --similarity-stats-every need --similarity-merge");
                if (options.SimilarityStatsEvery > 0 && options.SimilarityWindow != "all" && !options.SimilarityAtPublish) throw CliException.Usage("--similarity-stats-every: the statistics message carries each board's means over every sample, so it needs --similarity-merge all");
                if (options.SimilarityWindow != null && !options.SimilarityByMessages && parse.GetValue(mqtt)) throw CliException.Usage("--similarity-merge without --similarity-stats-every (or with --similarity-at-publish) is a host experiment with the in-memory fleet: not with --mqtt");
                if (options.TrialSamples < 1) throw CliException.Usage("--trial-samples must be at least 1");
                if (options.TrialLabelRate < 0 || options.TrialLabelRate > 1000) throw CliException.Usage("--trial-label-rate must be in 0..1000 (per mille of a board's samples; 0: off)");
                if (options.TrialMinimumLabels < 1 || options.TrialMinimumLabels > options.TrialSamples) throw CliException.Usage("--trial-min-labels must be in 1..--trial-samples");
                if (options.TrialMinimumLabels != 8 && options.TrialLabelRate == 0) throw CliException.Usage("--trial-min-labels needs --trial-label-rate");
                if (options.TrialLabelRate > 0 && options.Challenger) throw CliException.Usage("--trial-label-rate scales the trial of a taken model: a challenger board takes none (not with --challenger)");
                if (parse.GetValue(modelFile) is string modelPath) options.Model = SimulateCommand.ModelFromFile(modelPath);
                bool asJson = parse.GetValue(json);
                TextWriter progress = asJson ? TextWriter.Null : context.Out;
                FleetSimulationResult result = parse.GetValue(mqtt) ? SimulateOverMqtt(options, progress) : VirtualFleet.Run(options, progress);
                context.Out.Write(asJson ? result.ToJson() + Environment.NewLine : result.Format());
                return ExitCodes.Ok;
            }));
            return command;
        }

        private static FleetSimulationResult SimulateOverMqtt(VirtualFleetOptions options, TextWriter progress)
        {
            EmbeddedBroker broker = null;
            AggregatorService service = null;
            try
            {
                options.AggregatorFactory = (config, version0, mergeEvery) =>
                {
                    // One broker and aggregator per run (isolated runs make none).
                    if (service != null) { service.DisposeAsync().AsTask().GetAwaiter().GetResult(); broker.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
                    broker = EmbeddedBroker.StartAsync(config).GetAwaiter().GetResult();
                    var aggregator = new FleetAggregator(config, version0, mergeEvery);
                    service = AggregatorService.StartAsync(broker.Uri, config, aggregator).GetAwaiter().GetResult();
                    progress.WriteLine("  fleet messages over MQTT via the embedded broker at " + broker.Uri);
                    return aggregator;
                };
                options.Transport = (config, board) => new MqttBoardTransport(broker.Uri, config, board);
                return VirtualFleet.Run(options, progress);
            }
            catch (IOException e) { throw CliException.Device(e.Message); }
            finally
            {
                service?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }
}
