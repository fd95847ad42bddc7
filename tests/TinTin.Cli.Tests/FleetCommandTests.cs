using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TinTin.Core;
using TinTin.Fleet;
using TinTin.FleetHost;
using TinTin.TestSupport;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Cli.Tests
{
    public class FleetCommandTests
    {
        /// <summary>The command is refused (exit 1) with a message containing `expected`.</summary>
        private static void AssertRefused(string expected, params string[] args)
        {
            CliResult r = CliRunner.Run(args);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(expected, r.ToString());
        }

        [Fact]
        public void SimulateJsonListsEveryBoardWithIsolatedAndFleetAccuracyAndBytes()
        {
            CliResult r = CliRunner.Run("fleet", "simulate", "--boards", "3", "--max-samples", "600", "--publish-every", "16", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            JsonElement boards = doc.RootElement.GetProperty("boards");
            Assert.Equal(3, boards.GetArrayLength());
            foreach (JsonElement b in boards.EnumerateArray())
            {
                Assert.StartsWith("board", b.GetProperty("name").GetString());
                Assert.InRange(b.GetProperty("isolated_accuracy").GetDouble(), 0.3, 1.0);
                Assert.InRange(b.GetProperty("fleet_accuracy").GetDouble(), 0.3, 1.0);
                Assert.True(b.GetProperty("labelled").GetInt64() >= 0);
                Assert.True(b.GetProperty("bytes_sent").GetInt64() >= 0);
            }
            // The busiest labeller has labels and so sent at least one update.
            Assert.True(boards[0].GetProperty("bytes_sent").GetInt64() > 0);
        }

        [Fact]
        public void SimulateRefusesBadOptionsWithUsage()
        {
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--boards", "1").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--publish-every", "0").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--layout", "diagonal").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--seed", "-1").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--agreement-budget", "-2").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--agreement-budget", "4", "--agreement-halvings", "9").ExitCode);
            CliResult r = CliRunner.Run("fleet", "simulate", "--agreement-halvings", "2");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("need --agreement-budget", r.ToString());
            AssertRefused("not with --mqtt", "fleet", "simulate", "--similarity-merge", "all", "--similarity-stats-every", "0", "--mqtt");
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--similarity-merge", "nearest").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--similarity-merge", "all", "--similarity-width", "0").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--similarity-merge", "none", "--similarity-at-publish").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--similarity-merge", "all", "--similarity-stats-every", "-1").ExitCode);
            // The statistics message carries means over every sample: `recent` cannot read it.
            AssertRefused("needs --similarity-merge all", "fleet", "simulate", "--similarity-merge", "recent", "--similarity-stats-every", "64");
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--label-kernel-width", "1001").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--label-kernel-width", "150", "--label-prior-strength", "-1").ExitCode);
            AssertRefused("not with --mqtt", "fleet", "simulate", "--similarity-merge", "none", "--label-kernel-width", "150", "--mqtt");
            AssertRefused("needs a per-board merge", "fleet", "simulate", "--similarity-merge", "none", "--own-share-skip", "750");
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--similarity-merge", "all", "--own-share-skip", "1001").ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "simulate", "--label-kernel-width", "150", "--own-share-skip", "-1").ExitCode);
            r = CliRunner.Run("fleet", "serve", "--similarity-merge", "recent");
            Assert.Equal(1, r.ExitCode);
            Assert.Equal(1, CliRunner.Run("fleet", "serve", "--similarity-merge", "all", "--similarity-width", "0").ExitCode);
            AssertRefused("--label-kernel-width must be in 0..1000", "fleet", "serve", "--label-kernel-width", "1001");
            AssertRefused("--label-prior-strength must be in 0..100000", "fleet", "serve", "--label-kernel-width", "300", "--label-prior-strength", "-1");
            // --receiver-relax: a range, and it reads the receiver's labels from the statistics of a per-board merge.
            AssertRefused("--receiver-relax must be in 0..1000000", "fleet", "simulate", "--similarity-merge", "all", "--similarity-stats-every", "64", "--receiver-relax", "-1");
            AssertRefused("--receiver-relax reads the receiver's labelled samples from its signed statistics messages", "fleet", "simulate", "--similarity-merge", "none", "--label-kernel-width", "300", "--receiver-relax", "64");
            AssertRefused("--receiver-relax needs a per-board merge", "fleet", "serve", "--similarity-merge", "none", "--receiver-relax", "64");
            AssertRefused("--receiver-relax must be in 0..1000000", "fleet", "serve", "--similarity-merge", "all", "--receiver-relax", "1000001");
            // --receiver-relax-labels: a range, a label kernel to relax, the statistics messages, and not beside --receiver-relax.
            string[] messages = { "fleet", "simulate", "--similarity-merge", "all", "--similarity-stats-every", "64" };
            AssertRefused("--receiver-relax-labels must be in 0..1000000", messages.Concat(new[] { "--label-kernel-width", "300", "--receiver-relax-labels", "-1" }).ToArray());
            AssertRefused("--receiver-relax-labels relaxes the label kernel: it needs --label-kernel-width P", messages.Concat(new[] { "--label-kernel-width", "0", "--receiver-relax-labels", "64" }).ToArray());
            AssertRefused("give one of them, not both", messages.Concat(new[] { "--label-kernel-width", "300", "--receiver-relax", "64", "--receiver-relax-labels", "64" }).ToArray());
            AssertRefused("it needs --similarity-merge all --similarity-stats-every N", "fleet", "simulate", "--similarity-merge", "none", "--label-kernel-width", "300", "--receiver-relax-labels", "64");
            AssertRefused("it needs --label-kernel-width P", "fleet", "serve", "--similarity-merge", "all", "--label-kernel-width", "0", "--receiver-relax-labels", "64");
            AssertRefused("give one of them, not both", "fleet", "serve", "--label-kernel-width", "300", "--receiver-relax", "64", "--receiver-relax-labels", "64");
            AssertRefused("--receiver-relax-labels must be in 0..1000000", "fleet", "serve", "--label-kernel-width", "300", "--receiver-relax-labels", "1000001");
            // --receiver-relax-inputs: a range, an input kernel to relax and a label kernel to keep, the statistics messages, not beside --receiver-relax.
            AssertRefused("--receiver-relax-inputs must be in 0..1000000", messages.Concat(new[] { "--label-kernel-width", "300", "--receiver-relax-inputs", "-1" }).ToArray());
            AssertRefused("it needs --label-kernel-width P (without one", messages.Concat(new[] { "--label-kernel-width", "0", "--receiver-relax-inputs", "64" }).ToArray());
            AssertRefused("--receiver-relax-inputs relaxes the input kernel only and --receiver-relax the whole kernel", messages.Concat(new[] { "--label-kernel-width", "300", "--receiver-relax", "64", "--receiver-relax-inputs", "64" }).ToArray());
            AssertRefused("--receiver-relax-inputs relaxes the input kernel of the boards' statistics: it needs --similarity-merge all", "fleet", "simulate", "--similarity-merge", "recent", "--label-kernel-width", "300", "--receiver-relax-inputs", "64");
            AssertRefused("--receiver-relax-inputs relaxes the input kernel of the signed statistics messages", "fleet", "simulate", "--similarity-merge", "all", "--similarity-stats-every", "0", "--label-kernel-width", "300", "--receiver-relax-inputs", "64");
            AssertRefused("it needs --similarity-merge all", "fleet", "serve", "--similarity-merge", "none", "--label-kernel-width", "300", "--receiver-relax-inputs", "64");
            AssertRefused("it needs --label-kernel-width P (without one", "fleet", "serve", "--similarity-merge", "all", "--label-kernel-width", "0", "--receiver-relax-inputs", "64");
            AssertRefused("--receiver-relax-inputs must be in 0..1000000", "fleet", "serve", "--similarity-merge", "all", "--label-kernel-width", "300", "--receiver-relax-inputs", "1000001");
            AssertRefused("--trace-kernels needs a per-board merge", "fleet", "simulate", "--similarity-merge", "none", "--trace-kernels");
        }

        /// <summary>
        /// A short virtual fleet with both receiver-side relaxations (input kernel and label kernel) runs, and the fewest-label
        /// board takes the others at a larger mean input kernel than without the input relaxation (its input kernel relaxed
        /// towards 1024), never below it.
        /// </summary>
        /// <summary>
        /// --trial-label-rate (session 12): a range, --trial-min-labels within 1..--trial-samples and only with the rate, not
        /// beside --challenger. A short run with it runs, and every board's declined merges are counted by the check that
        /// declined them (stored labels, recent history; without an agreement budget every decline is one or both).
        /// </summary>
        [Fact]
        public void TheScaledTrialsOptionsAreCheckedAndEveryDeclineHasItsCheck()
        {
            AssertRefused("--trial-label-rate must be in 0..1000", "fleet", "simulate", "--trial-label-rate", "-1");
            AssertRefused("--trial-label-rate must be in 0..1000", "fleet", "simulate", "--trial-label-rate", "1001");
            AssertRefused("--trial-min-labels must be in 1..--trial-samples", "fleet", "simulate", "--trial-label-rate", "100", "--trial-min-labels", "0");
            AssertRefused("--trial-min-labels must be in 1..--trial-samples", "fleet", "simulate", "--trial-label-rate", "100", "--trial-samples", "16", "--trial-min-labels", "17");
            AssertRefused("--trial-min-labels needs --trial-label-rate", "fleet", "simulate", "--trial-label-rate", "0", "--trial-min-labels", "4");
            AssertRefused("not with --challenger", "fleet", "simulate", "--trial-label-rate", "100", "--challenger");
            CliResult r = CliRunner.Run("fleet", "simulate", "--boards", "3", "--max-samples", "600", "--publish-every", "8", "--json", "--trial-label-rate", "250", "--trial-min-labels", "4");
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            int declined = 0;
            foreach (JsonElement b in doc.RootElement.GetProperty("boards").EnumerateArray())
            {
                int all = b.GetProperty("merges_declined").GetInt32(), stored = b.GetProperty("declined_on_stored").GetInt32(), history = b.GetProperty("declined_on_history").GetInt32();
                Assert.True(Math.Max(stored, history) <= all && all <= stored + history, $"declined {all}: on stored {stored}, on history {history}");
                declined += all;
            }
            Assert.True(doc.RootElement.GetProperty("merged_versions").GetInt32() > 0);
        }

        [Fact]
        public void SimulateWithTheInputRelaxationRaisesTheFewLabelReceiversInputKernel()
        {
            string[] run = { "fleet", "simulate", "--boards", "3", "--max-samples", "600", "--publish-every", "8", "--json", "--similarity-merge", "all",
                             "--similarity-stats-every", "64", "--similarity-width", "78", "--label-kernel-width", "300", "--receiver-relax-labels", "256", "--trace-kernels" };
            double MeanInput(CliResult r)
            {
                Assert.True(r.ExitCode == 0, r.ToString());
                using JsonDocument doc = JsonDocument.Parse(r.Out);
                return doc.RootElement.GetProperty("kernels").EnumerateArray()
                    .Where(k => k.GetProperty("receiver").GetString() != k.GetProperty("contributor").GetString())
                    .Average(k => k.GetProperty("input").GetDouble());
            }
            double plain = MeanInput(CliRunner.Run(run));
            double relaxed = MeanInput(CliRunner.Run(run.Concat(new[] { "--receiver-relax-inputs", "1024" }).ToArray()));
            Assert.True(relaxed > plain, $"mean input kernel {relaxed} with --receiver-relax-inputs 1024, {plain} without");
        }

        /// <summary>
        /// A short virtual fleet with the label-only relaxation runs, and --trace-kernels reports every (receiver, contributor)
        /// pair's mean kernels: the final kernel never above the input kernel (the relaxation keeps it), a board's own at 1024.
        /// Without the flag the JSON has no kernels.
        /// </summary>
        [Fact]
        public void SimulateWithTheLabelOnlyRelaxationTracesItsKernels()
        {
            string[] run = { "fleet", "simulate", "--boards", "3", "--max-samples", "600", "--publish-every", "8", "--json", "--similarity-merge", "all",
                             "--similarity-stats-every", "64", "--similarity-width", "78", "--label-kernel-width", "300", "--receiver-relax-labels", "256" };
            CliResult r = CliRunner.Run(run.Append("--trace-kernels").ToArray());
            Assert.True(r.ExitCode == 0, r.ToString());
            using (JsonDocument doc = JsonDocument.Parse(r.Out))
            {
                JsonElement[] kernels = doc.RootElement.GetProperty("kernels").EnumerateArray().ToArray();
                int contributors = kernels.Select(k => k.GetProperty("contributor").GetString()).Distinct().Count();
                Assert.True(contributors >= 2, r.Out);                 // boards with an update so far (a 0.5 % board may have none)
                Assert.Equal(3 * contributors, kernels.Length);        // every receiver merges every contributor
                foreach (JsonElement k in kernels)
                {
                    Assert.True(k.GetProperty("merges").GetInt32() > 0);
                    Assert.True(k.GetProperty("kernel").GetDouble() <= k.GetProperty("input").GetDouble());
                    if (k.GetProperty("receiver").GetString() == k.GetProperty("contributor").GetString()) Assert.Equal(1024, k.GetProperty("kernel").GetDouble());
                }
            }
            r = CliRunner.Run(run);
            Assert.True(r.ExitCode == 0, r.ToString());
            using (JsonDocument doc = JsonDocument.Parse(r.Out)) Assert.False(doc.RootElement.TryGetProperty("kernels", out _));
        }

        [Fact]
        public void SimulateStartsFromTheEmbeddedModelOrAModelFileAndNamesABadOne()
        {
            string[] run = { "fleet", "simulate", "--boards", "2", "--max-samples", "400", "--publish-every", "8", "--json" };
            string Figures(CliResult r)
            {
                Assert.True(r.ExitCode == 0, r.ToString());
                using JsonDocument doc = JsonDocument.Parse(r.Out);
                return string.Join(";", doc.RootElement.GetProperty("boards").EnumerateArray().Select(b =>
                    b.GetProperty("isolated_accuracy").GetDouble() + "/" + b.GetProperty("fleet_accuracy").GetDouble() + "/" + b.GetProperty("bytes_sent").GetInt64()));
            }
            string ModelOf(CliResult r) { using JsonDocument doc = JsonDocument.Parse(r.Out); return doc.RootElement.GetProperty("model").GetString(); }

            using var temp = new TempFolder();
            string embedded = temp.File("embedded.ttm");
            File.WriteAllBytes(embedded, TinTin.Firmware.DefaultModel.Bytes());
            CliResult byDefault = CliRunner.Run(run);
            CliResult fromFile = CliRunner.Run(run.Concat(new[] { "--model", embedded }).ToArray());
            // The default is the firmware's embedded model: the same bytes from a file give the same fleet.
            Assert.Equal(Figures(byDefault), Figures(fromFile));
            Assert.Contains("DefaultModel.g.cs", ModelOf(byDefault));
            Assert.Equal(embedded, ModelOf(fromFile));
            // The earlier figures' 6-16-2 model is another model: other predictions, other updates.
            string old = TinTin.Reference.RepositoryPaths.Data("models", "occupancy-6-16-2.ttm");
            CliResult older = CliRunner.Run(run.Concat(new[] { "--model", old }).ToArray());
            Assert.NotEqual(Figures(byDefault), Figures(older));

            CliResult missing = CliRunner.Run("fleet", "simulate", "--model", temp.File("missing.ttm"));
            Assert.Equal(ExitCodes.InputError, missing.ExitCode);
            Assert.Contains("--model file not found", missing.Error);
            string junk = temp.File("junk.ttm");
            File.WriteAllText(junk, "not a model");
            CliResult bad = CliRunner.Run("fleet", "simulate", "--model", junk);
            Assert.Equal(ExitCodes.InputError, bad.ExitCode);
            Assert.Contains("junk.ttm: not a model file", bad.Error);
            string three = temp.File("three.ttm");
            File.WriteAllBytes(three, TinTin.Core.ModelFile.Save(new TinTin.Core.Model(TinTin.Core.Network.CreateMlp(new[] { 3, 4, 2 }, 1, -1, false), null)));
            CliResult wrong = CliRunner.Run("fleet", "simulate", "--model", three);
            Assert.Equal(ExitCodes.InputError, wrong.ExitCode);
            Assert.Contains("takes 3 inputs", wrong.Error);
        }

        [Fact]
        public void SimulateWithASimilarityMergeReportsTheDistancesItsKernelSaw()
        {
            CliResult r = CliRunner.Run("fleet", "simulate", "--boards", "3", "--layout", "disjoint", "--max-samples", "600", "--publish-every", "8",
                "--similarity-merge", "all", "--similarity-width", "66", "--similarity-stats-every", "64", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            JsonElement d = doc.RootElement.GetProperty("similarity_distances");
            Assert.True(d.GetProperty("count").GetInt32() > 0, r.Out);
            double q1 = d.GetProperty("q1").GetDouble(), median = d.GetProperty("median").GetDouble(), q3 = d.GetProperty("q3").GetDouble();
            Assert.True(q1 <= median && median <= q3, r.Out);
            // disjoint: board 1 replays another recording than the others, so some pair of boards is apart.
            Assert.True(q3 > 0, r.Out);
            Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(CliRunner.Run("fleet", "simulate", "--boards", "2", "--max-samples", "100", "--similarity-merge", "none", "--json").Out).RootElement.GetProperty("similarity_distances").ValueKind);
        }

        [Fact]
        public void ALabelKernelThatSeparatesTheBoardsLeavesThemWithoutTheOthersModelsAndOneThatPoolsThemDoesNot()
        {
            string[] run = { "fleet", "simulate", "--boards", "3", "--layout", "disjoint", "--max-samples", "700", "--publish-every", "8", "--own-share-skip", "1000",
                "--similarity-merge", "all", "--similarity-stats-every", "64", "--similarity-width", "100000", "--receiver-relax-labels", "0", "--json" };
            long Received(params string[] extra)
            {
                CliResult r = CliRunner.Run(run.Concat(extra).ToArray());
                Assert.True(r.ExitCode == 0, r.ToString());
                using JsonDocument doc = JsonDocument.Parse(r.Out);
                return doc.RootElement.GetProperty("boards").EnumerateArray().Sum(b => b.GetProperty("bytes_received").GetInt64());
            }
            // Every board sends its statistics (and with them its label counts) every 64 samples; an input kernel of width
            // 100000 is near 1024 for every pair. 100000 pseudo-presses: every share is (within a per mille) the fleet's, every
            // label kernel near 1024. No pseudo-presses and a width of 1 per mille: boards whose shares differ weigh nothing
            // for each other, so a board gets no merge made of another's update alone, and none of only its own (--own-share-skip 1000;
            // the default's relaxation of the label kernel for few-label receivers is off here).
            long pooled = Received("--label-kernel-width", "1000", "--label-prior-strength", "100000");
            long separated = Received("--label-kernel-width", "1", "--label-prior-strength", "0");
            Assert.True(pooled > 0);
            Assert.True(separated < pooled, $"separated {separated} B, pooled {pooled} B");
        }

        /// <summary>With the statistics protocol the label kernel reads the class counts of the signed messages: through the broker (--mqtt) the same runs.</summary>
        [Fact]
        public void TheLabelKernelOnTheStatisticsMessagesGivesTheSameRunThroughTheBroker()
        {
            string[] run = { "fleet", "simulate", "--boards", "3", "--layout", "disjoint", "--max-samples", "500", "--publish-every", "8",
                "--similarity-merge", "all", "--similarity-stats-every", "64", "--similarity-width", "78", "--label-kernel-width", "300", "--json" };
            string Boards(params string[] extra)
            {
                CliResult r = CliRunner.Run(run.Concat(extra).ToArray());
                Assert.True(r.ExitCode == 0, r.ToString());
                using JsonDocument doc = JsonDocument.Parse(r.Out);
                return string.Join(";", doc.RootElement.GetProperty("boards").EnumerateArray().Select(b =>
                    b.GetProperty("fleet_accuracy").GetDouble().ToString("R") + "/" + b.GetProperty("bytes_received").GetInt64() + "/" + b.GetProperty("stats_sent").GetInt64()));
            }
            string inMemory = Boards();
            Assert.Contains("/7;", inMemory); // 500 samples: 7 statistics messages a board
            Assert.Equal(inMemory, Boards("--mqtt"));
        }

        [Fact]
        public void ServeRefusesABadBrokerUriOrCaFileByName()
        {
            CliResult r = CliRunner.Run("fleet", "serve", "--broker", "http://127.0.0.1:1883");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("mqtts://HOST:PORT", r.ToString());
            AssertRefused("--ca-file needs --broker mqtts://", "fleet", "serve", "--broker", "mqtt://127.0.0.1:1883", "--ca-file", "ca.pem");
            r = CliRunner.Run("fleet", "serve", "--broker", "mqtts://127.0.0.1:8883", "--ca-file", "/nonexistent/ca.pem");
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("CA file not found: /nonexistent/ca.pem", r.ToString());
        }

        /// <summary>
        /// A state file holding per-board (similarity) models: `fleet serve` on a fresh embedded broker retains each board's
        /// latest model again and says so, so a board that joins after the restart gets its own model at once.
        /// </summary>
        [Fact]
        public void ServeRetainsEachBoardsLatestModelFromTheStateFileAgain()
        {
            using var folder = new TempFolder();
            string config = folder.File("fleet.json"), state = config + ".state";
            Assert.Equal(0, CliRunner.Run("fleet", "serve", "--write-config", config, "--boards", "2").ExitCode);
            FleetConfig fleet = FleetConfig.Load(config);
            PreparedModel prepared = VirtualBoardRunner.EmbeddedModel();
            Network Load() => ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false).Network;
            var version0 = new ParameterSet(Load());
            version0.CopyFrom(Load());
            var aggregator = new FleetAggregator(fleet, version0, 2) { Similarity = (receiver, contributor) => receiver == contributor ? 1024 : 0 };
            aggregator.UseStateFile(state);
            AggregatorResult last = null;
            foreach (FleetBoard board in fleet.Boards)
            {
                var member = new FleetMember(Load(), board.Key, fleet.FleetKey, fleet.MaxMessageBytes, 64) { BoardId = board.Id };
                int length = member.WriteUpdate(10, 6);
                last = aggregator.HandleUpdate(board.Id, member.UpdateBuffer.AsSpan(0, length).ToArray());
                Assert.True(last.Accepted, last.Error);
            }
            Assert.Equal(2, last.PerBoard.Count);

            CliResult r = CliRunner.Run("fleet", "serve", "--config", config, "--port", EmbeddedBroker.FreeLoopbackPort().ToString(), "--duration-s", "0.2");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"2 boards' latest models (from the state file) are retained again on {fleet.BoardModelTopic("ID")}", r.Out);
        }

        [Fact]
        public void ServeKeepsItsStateBesideTheConfigAndRefusesAnUnreadableStateFile()
        {
            using var folder = new TempFolder();
            string config = folder.File("fleet.json"), state = config + ".state";
            Assert.Equal(0, CliRunner.Run("fleet", "serve", "--write-config", config, "--boards", "2").ExitCode);
            string[] serve = { "fleet", "serve", "--config", config, "--port", EmbeddedBroker.FreeLoopbackPort().ToString(), "--duration-s", "0.2" };
            CliResult r = CliRunner.Run(serve);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"state {state}: no such file, starting fresh at version 0", r.Out);
            Assert.True(File.Exists(state));
            r = CliRunner.Run(serve);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"state {state}: version 0", r.Out);
            Assert.DoesNotContain("retained again", r.Out); // nothing published yet: nothing to retain
            byte[] bad = File.ReadAllBytes(state);
            bad[^1] ^= 1;
            File.WriteAllBytes(state, bad);
            r = CliRunner.Run(serve);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains($"aggregator state file {state}: CRC mismatch", r.Error);
            Assert.Equal(bad, File.ReadAllBytes(state));
            Assert.Contains("--state", CliRunner.Run("fleet", "serve", "--help").Out);
        }

        /// <summary>The state file's journal (FILE.journal, one record an accepted message) that does not read stops serve too, both files untouched.</summary>
        [Fact]
        public void ServeRefusesAnUnreadableStateJournal()
        {
            using var folder = new TempFolder();
            string config = folder.File("fleet.json"), state = config + ".state", journal = state + ".journal";
            Assert.Equal(0, CliRunner.Run("fleet", "serve", "--write-config", config, "--boards", "2").ExitCode);
            string[] serve = { "fleet", "serve", "--config", config, "--port", EmbeddedBroker.FreeLoopbackPort().ToString(), "--duration-s", "0.2" };
            Assert.Equal(0, CliRunner.Run(serve).ExitCode);
            Assert.True(File.Exists(journal));
            byte[] good = File.ReadAllBytes(state), bad = File.ReadAllBytes(journal);
            bad[9] ^= 1; // the generation it names
            File.WriteAllBytes(journal, bad);
            CliResult r = CliRunner.Run(serve);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains($"aggregator state journal {journal}: header CRC mismatch", r.Error);
            Assert.Equal(good, File.ReadAllBytes(state));
            Assert.Equal(bad, File.ReadAllBytes(journal));
        }

        [Fact]
        public void ServeRunsTheEmbeddedBrokerForAWhileAndStops()
        {
            int port = EmbeddedBroker.FreeLoopbackPort();
            CliResult r = CliRunner.Run("fleet", "serve", "--port", port.ToString(), "--boards", "2", "--duration-s", "0.5");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("embedded MQTT broker on mqtt://127.0.0.1:" + port, r.Out);
            Assert.Contains("aggregator stopped: 0 merges", r.Out);
            // The default merge (session 14): one model per board, by input statistics and label shares.
            FleetConfig demo = FleetConfig.Demo(2);
            Assert.Contains($"models on {demo.BoardModelTopic("ID")} (per board, similarity width {FleetDefaults.SimilarityWidth}, label kernel P {FleetDefaults.LabelKernelWidth} K {FleetDefaults.LabelPriorStrength}, own-share skip {FleetDefaults.OwnShareSkip})", r.Out);
            r = CliRunner.Run("fleet", "serve", "--port", EmbeddedBroker.FreeLoopbackPort().ToString(), "--boards", "2", "--duration-s", "0.2", "--similarity-merge", "none");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"models on {demo.ModelTopic}{Environment.NewLine}", r.Out);
            // --receiver-relax replaces the default's label relaxation instead of clashing with it.
            r = CliRunner.Run("fleet", "serve", "--port", EmbeddedBroker.FreeLoopbackPort().ToString(), "--boards", "2", "--duration-s", "0.1", "--receiver-relax", "64");
            Assert.True(r.ExitCode == 0, r.ToString());
            // The own-share skip needs the per-board merge: given with the one merge for all it is refused, not ignored; given
            // with the default merge, serve's start line names it.
            r = CliRunner.Run("fleet", "serve", "--port", EmbeddedBroker.FreeLoopbackPort().ToString(), "--boards", "2", "--duration-s", "0.1", "--own-share-skip", "750");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("own-share skip 750)", r.Out);
            AssertRefused("--own-share-skip needs a per-board merge", "fleet", "serve", "--similarity-merge", "none", "--own-share-skip", "750");
            AssertRefused("--own-share-skip must be in 0..1000", "fleet", "serve", "--own-share-skip", "1001");
        }

        /// <summary>
        /// The default merge (sessions 14 and 15, FleetDefaults): `fleet simulate` without merge options runs exactly what T100's
        /// options and the own-share skip S750 run, every board sends statistics messages; `--similarity-merge none --trial-label-rate 0` is the one merge
        /// for all of the earlier figures, without statistics messages.
        /// </summary>
        [Fact]
        public void SimulateRunsTheDefaultMergeUnlessToldNone()
        {
            string[] run = { "fleet", "simulate", "--boards", "3", "--layout", "disjoint", "--max-samples", "700", "--publish-every", "8", "--json" };
            string[] t100 = { "--similarity-merge", "all", "--similarity-stats-every", "64", "--similarity-width", "78", "--label-kernel-width", "300",
                              "--label-prior-strength", "40", "--receiver-relax-labels", "1024", "--trial-label-rate", "100", "--own-share-skip", "750" };
            CliResult byDefault = CliRunner.Run(run);
            Assert.True(byDefault.ExitCode == 0, byDefault.ToString());
            CliResult explicitly = CliRunner.Run(run.Concat(t100).ToArray());
            Assert.Equal(explicitly.Out, byDefault.Out);
            CliResult one = CliRunner.Run(run.Concat(new[] { "--similarity-merge", "none", "--trial-label-rate", "0" }).ToArray());
            Assert.True(one.ExitCode == 0, one.ToString());
            int[] Stats(CliResult r)
            {
                using JsonDocument doc = JsonDocument.Parse(r.Out);
                return doc.RootElement.GetProperty("boards").EnumerateArray().Select(b => b.GetProperty("stats_sent").GetInt32()).ToArray();
            }
            Assert.All(Stats(byDefault), n => Assert.Equal(700 / FleetDefaults.StatsEverySamples, n));
            Assert.All(Stats(one), n => Assert.Equal(0, n));
            // --challenger takes no model, so the default's scaled trial stays off for it rather than clashing.
            CliResult challenger = CliRunner.Run("fleet", "simulate", "--boards", "2", "--max-samples", "300", "--challenger", "--json");
            Assert.True(challenger.ExitCode == 0, challenger.ToString());
        }

        /// <summary>
        /// The own-share skip (session 15, S750, the default): a board whose per-board merge would be mostly its own update
        /// gets none from it, so a board held back every time learns exactly as alone; the board with the fewest labels is
        /// never held back (its own share is small); --own-share-skip 0 sends every board every merge.
        /// </summary>
        [Fact]
        public void TheOwnShareSkipHoldsBackMergesThatWouldBeMostlyTheBoardsOwnUpdate()
        {
            string[] run = { "fleet", "simulate", "--boards", "3", "--layout", "disjoint", "--max-samples", "700", "--publish-every", "8", "--json" };
            JsonElement[] Boards(params string[] extra)
            {
                CliResult r = CliRunner.Run(run.Concat(extra).ToArray());
                Assert.True(r.ExitCode == 0, r.ToString());
                return JsonDocument.Parse(r.Out).RootElement.GetProperty("boards").EnumerateArray().ToArray();
            }
            JsonElement[] skipping = Boards();
            Assert.Contains(skipping, b => b.GetProperty("merges_held_back").GetInt32() > 0);
            foreach (JsonElement b in skipping.Where(b => b.GetProperty("merges_held_back").GetInt32() > 0 && b.GetProperty("merges_taken").GetInt32() == 0))
                Assert.Equal(b.GetProperty("isolated_accuracy").GetDouble(), b.GetProperty("fleet_accuracy").GetDouble());
            JsonElement fewest = skipping.OrderBy(b => b.GetProperty("labelled").GetInt64()).First();
            Assert.Equal(0, fewest.GetProperty("merges_held_back").GetInt32());
            Assert.True(fewest.GetProperty("merges_taken").GetInt32() > 0);
            Assert.All(Boards("--own-share-skip", "0"), b => Assert.Equal(0, b.GetProperty("merges_held_back").GetInt32()));
            CliResult text = CliRunner.Run(run.Where(a => a != "--json").ToArray());
            Assert.Contains("merges held back (mostly its own update)", text.Out);
        }

        [Theory]
        [InlineData("pem")]
        [InlineData("pfx")]
        public async Task ServeStartsTheEmbeddedBrokerWithTlsAndABoardConnectsOverMqtts(string format)
        {
            using var certificates = new TestCertificates();
            int port = EmbeddedBroker.FreeLoopbackPort();
            string[] tls = format == "pem"
                ? new[] { "--tls-cert", certificates.ServerCertFile, "--tls-key", certificates.ServerKeyFile }
                : new[] { "--tls-cert", certificates.ServerPfxFile, "--tls-password", TestCertificates.PfxPassword };
            using var stop = new CancellationTokenSource();
            Task<CliResult> serve = Task.Run(() => CliRunner.Run(null, stop.Token,
                new[] { "fleet", "serve", "--boards", "2", "--port", port.ToString(), "--duration-s", "60" }.Concat(tls).ToArray()));
            FleetConfig config = FleetConfig.Demo(2);
            string uri = "mqtts://127.0.0.1:" + port;
            bool connected = false;
            string lastError = null;
            var watch = Stopwatch.StartNew();
            while (!connected && !serve.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                using var board = new MqttBoardTransport(uri, config, "board1", certificates.CaFile);
                connected = board.Connect();
                lastError = board.LastError;
                if (connected)
                {
                    // Plain MQTT to the same port does not get through, nor does a board trusting another CA.
                    using var plain = new MqttBoardTransport("mqtt://127.0.0.1:" + port, config, "board2");
                    Assert.False(plain.Connect());
                    using var untrusting = new MqttBoardTransport(uri, config, "board2", certificates.OtherCaFile);
                    Assert.False(untrusting.Connect());
                    board.Disconnect();
                }
                else await Task.Delay(100);
            }
            stop.Cancel();
            CliResult r = await serve;
            Assert.True(connected, "no mqtts connection: " + lastError + "\n" + r);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("embedded MQTT broker on " + uri, r.Out);
            // The aggregator itself reached its own broker over TLS.
            Assert.Contains("aggregator: fleet 'demo'", r.Out);
        }

        [Fact]
        public void ServeNamesEveryBadTlsFileAndOption()
        {
            using var certificates = new TestCertificates();
            string Run(int exit, params string[] args)
            {
                CliResult r = CliRunner.Run(new[] { "fleet", "serve", "--port", EmbeddedBroker.FreeLoopbackPort().ToString(), "--duration-s", "0.1" }.Concat(args).ToArray());
                Assert.True(r.ExitCode == exit, r.ToString());
                return r.Error + r.Out;
            }
            Assert.Contains("TLS certificate not found: /nonexistent/broker.pem", Run(2, "--tls-cert", "/nonexistent/broker.pem"));
            Assert.Contains("TLS key not found: /nonexistent/broker.key", Run(2, "--tls-cert", certificates.ServerCertFile, "--tls-key", "/nonexistent/broker.key"));
            Assert.Contains("give its key with --tls-key", Run(2, "--tls-cert", certificates.ServerCertFile));
            Assert.Contains("holds no PEM private key", Run(2, "--tls-cert", certificates.ServerCertFile, "--tls-key", certificates.CaFile));
            // The CA's certificate with the broker's key: a key that does not belong to it.
            Assert.Contains("do not load together", Run(2, "--tls-cert", certificates.CaFile, "--tls-key", certificates.ServerKeyFile));
            Assert.Contains("this password opens", Run(2, "--tls-cert", certificates.ServerPfxFile, "--tls-password", "wrong"));
            string garbage = Path.Combine(certificates.Folder, "garbage.bin");
            File.WriteAllBytes(garbage, new byte[] { 1, 2, 3, 4 });
            Assert.Contains("neither PEM nor a PFX", Run(2, "--tls-cert", garbage));
            Assert.Contains("--tls-key is for a PEM certificate", Run(2, "--tls-cert", certificates.ServerPfxFile, "--tls-key", certificates.ServerKeyFile));
            Assert.Contains("--tls-key needs --tls-cert", Run(1, "--tls-key", certificates.ServerKeyFile));
            Assert.Contains("--tls-cert is for the embedded broker", Run(1, "--broker", "mqtts://127.0.0.1:8883", "--tls-cert", certificates.ServerCertFile));
        }

        [Fact]
        public void ServeNamesAnUnreachableBrokerAndAMissingConfig()
        {
            int port = EmbeddedBroker.FreeLoopbackPort();
            CliResult r = CliRunner.Run("fleet", "serve", "--broker", "mqtt://127.0.0.1:" + port, "--duration-s", "0.1");
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("cannot reach the broker", r.Error);
            Assert.Equal(1, CliRunner.Run("fleet", "serve", "--broker", "http://x").ExitCode);
            Assert.Equal(2, CliRunner.Run("fleet", "serve", "--config", "/nonexistent/fleet.json").ExitCode);
        }

        [Fact]
        public void ServeWritesADemoConfigThatLoadsBack()
        {
            string path = Path.GetTempFileName();
            CliResult r = CliRunner.Run("fleet", "serve", "--boards", "3", "--write-config", path);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(3, FleetConfig.Load(path).Boards.Count);
            File.Delete(path);
        }
    }
}
