using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>The fleet over MQTT: the embedded broker in-process on 127.0.0.1, MQTTnet clients for the aggregator and boards.</summary>
    public class MqttTests
    {
        internal static bool WaitFor(Func<bool> condition, int timeoutMs = 10_000)
        {
            var watch = Stopwatch.StartNew();
            while (!condition()) { if (watch.ElapsedMilliseconds > timeoutMs) return false; Thread.Sleep(5); }
            return true;
        }

        /// <summary>
        /// Disconnects a board and, on a broker that says which clients it still has (the embedded one), waits until it has
        /// dropped this one: reusing the client id earlier races with the server's cleanup (<see cref="EmbeddedBroker.IsConnected"/>).
        /// </summary>
        internal static void DisconnectAndWait(MqttBoardTransport transport, Func<string, bool> brokerHas)
        {
            transport.Disconnect();
            if (brokerHas != null) Assert.True(WaitFor(() => !brokerHas(transport.Board)), transport.Board + " still connected after its disconnect");
        }

        /// <summary>
        /// The next merged model the transport received, skipping the aggregator's receipts (kind 4, which reach the board on
        /// its receipt topic, and can come before a model: ReceiptBoardTests reads them); waits for one. Returns its length.
        /// </summary>
        internal static int NextModel(MqttBoardTransport transport, byte[] inbox)
        {
            int length = 0;
            bool found = WaitFor(() =>
            {
                while ((length = transport.TryReceive(inbox)) != 0) if (length < 0 || inbox[5] != FleetMessage.KindReceipt) return true;
                return false;
            });
            Assert.True(found, transport.Board + ": no merged model delivered");
            return length;
        }

        /// <summary>Two boards publish over MQTT, the aggregator merges, both boards receive and verify the merged model.</summary>
        internal static void RoundTrip(string brokerUri, FleetConfig config, string caFile = null, Func<string, bool> brokerHas = null)
        {
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2);
            var service = AggregatorService.StartAsync(brokerUri, config, aggregator, null, caFile).GetAwaiter().GetResult();
            try
            {
                var a = AggregatorTests.Board(config, 0, 1);
                var b = AggregatorTests.Board(config, 1, 2);
                using var ta = new MqttBoardTransport(brokerUri, config, "board1", caFile);
                using var tb = new MqttBoardTransport(brokerUri, config, "board2", caFile);
                Assert.True(ta.Connect(), ta.LastError);
                Assert.True(tb.Connect(), tb.LastError);
                Assert.True(ta.PublishUpdate(a.Member.UpdateBuffer, a.Member.WriteUpdate(20, 15)));
                Assert.True(tb.PublishUpdate(b.Member.UpdateBuffer, b.Member.WriteUpdate(10, 6)));
                Assert.True(WaitFor(() => ta.Pending > 0 && tb.Pending > 0), "merged model not delivered");
                var inbox = new byte[config.MaxMessageBytes];
                int length = NextModel(ta, inbox);
                Assert.True(a.Member.Receive(inbox, length), a.Member.LastError);
                length = NextModel(tb, inbox);
                Assert.True(b.Member.Receive(inbox, length), b.Member.LastError);
                Assert.Equal(1u, a.Member.StagedVersion);
                Assert.Equal(1u, aggregator.Version);
                // A board joining later gets the retained latest model at once.
                using var late = new MqttBoardTransport(brokerUri, config, "board1", caFile);
                DisconnectAndWait(ta, brokerHas);
                Assert.True(late.Connect(), late.LastError);
                Assert.True(WaitFor(() => late.Pending > 0), "retained model not delivered to a late joiner");
            }
            finally { service.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }

        /// <summary>
        /// The similarity merge over MQTT: board1 sends its statistics, board2 none; each board receives the model addressed
        /// to it on its own retained topic (board2's is the all-boards merge) and takes it; board2 cannot read board1's topic.
        /// </summary>
        internal static void AddressedRoundTrip(string brokerUri, FleetConfig config, string caFile = null, Func<string, bool> brokerHas = null)
        {
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2) { SimilarityWidth = 66 };
            var service = AggregatorService.StartAsync(brokerUri, config, aggregator, null, caFile).GetAwaiter().GetResult();
            try
            {
                var a = AggregatorTests.Board(config, 0, 1);
                var b = AggregatorTests.Board(config, 1, 2);
                a.Member.BoardId = "board1";
                b.Member.BoardId = "board2";
                using var ta = new MqttBoardTransport(brokerUri, config, "board1", caFile);
                using var tb = new MqttBoardTransport(brokerUri, config, "board2", caFile);
                Assert.True(ta.Connect(), ta.LastError);
                Assert.True(tb.Connect(), tb.LastError);
                a.Member.ObserveInput(new sbyte[6]);
                Assert.True(ta.PublishUpdate(a.Member.StatsBuffer, a.Member.WriteStats(-6, 20)));
                Assert.True(WaitFor(() => aggregator.Boards["board1"].HasStats), "statistics not delivered");
                Assert.True(ta.PublishUpdate(a.Member.UpdateBuffer, a.Member.WriteUpdate(20, 15)));
                Assert.True(tb.PublishUpdate(b.Member.UpdateBuffer, b.Member.WriteUpdate(10, 6)));
                Assert.True(WaitFor(() => ta.Pending > 0 && tb.Pending > 0), "addressed models not delivered");
                var inbox = new byte[config.MaxMessageBytes];
                int length = NextModel(ta, inbox);
                Assert.True(a.Member.Receive(inbox, length), a.Member.LastError);
                length = NextModel(tb, inbox);
                Assert.True(b.Member.Receive(inbox, length), b.Member.LastError);
                Assert.Equal(new uint[] { 1, 2 }, new[] { a.Member.StagedVersion, b.Member.StagedVersion }.OrderBy(v => v));
                Assert.Equal(1, aggregator.Boards["board2"].Fallbacks);
                Assert.Equal(0, aggregator.Boards["board1"].Fallbacks);
                DisconnectAndWait(tb, brokerHas);
                // board2's own credentials do not read board1's retained model.
                using var snoop = new MQTTnet.MqttClientFactory().CreateMqttClient();
                int snooped = 0;
                snoop.ApplicationMessageReceivedAsync += e => { Interlocked.Increment(ref snooped); return Task.CompletedTask; };
                snoop.ConnectAsync(BrokerUri.Options(brokerUri, "board2", config.Board("board2").Password, caFile)).GetAwaiter().GetResult();
                snoop.SubscribeAsync(new MQTTnet.MqttClientFactory().CreateSubscribeOptionsBuilder().WithTopicFilter(config.BoardModelTopic("board1")).Build()).GetAwaiter().GetResult();
                Thread.Sleep(500);
                Assert.Equal(0, Volatile.Read(ref snooped));
                // board1 joining later gets its retained model at once.
                DisconnectAndWait(ta, brokerHas);
                using var late = new MqttBoardTransport(brokerUri, config, "board1", caFile);
                Assert.True(late.Connect(), late.LastError);
                Assert.True(WaitFor(() => late.Pending > 0), "retained addressed model not delivered to a late joiner");
            }
            finally { service.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }

        [Fact]
        public async Task AddressedModelsReachOnlyTheirBoardThroughTheEmbeddedBroker()
        {
            FleetConfig config = FleetConfig.Demo(2);
            await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config);
            AddressedRoundTrip(broker.Uri, config, brokerHas: broker.IsConnected);
            Assert.True(broker.RefusedSubscriptions >= 1);
        }

        [Fact]
        public async Task BoardsAndAggregatorExchangeModelsThroughTheEmbeddedBroker()
        {
            FleetConfig config = FleetConfig.Demo(2);
            await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config);
            RoundTrip(broker.Uri, config, brokerHas: broker.IsConnected);
        }

        [Fact]
        public async Task TheEmbeddedBrokerEnforcesPerBoardCredentialsAndTopics()
        {
            FleetConfig config = FleetConfig.Demo(2);
            await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config);
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0);
            await using var service = await AggregatorService.StartAsync(broker.Uri, config, aggregator);

            var wrong = FleetConfig.Demo(2);
            wrong.Boards[0].Password = "guess";
            using (var intruder = new MqttBoardTransport(broker.Uri, wrong, "board1"))
                Assert.False(intruder.Connect());
            Assert.Equal(1, broker.RefusedConnections);

            var a = AggregatorTests.Board(config, 0, 1);
            using var ta = new MqttBoardTransport(broker.Uri, config, "board1");
            Assert.True(ta.Connect(), ta.LastError);
            // board1 tries to speak for board2 and to publish a model: the broker drops both.
            ta.PublishRaw(config.UpdateTopic("board2"), a.Member.UpdateBuffer.AsSpan(0, a.Member.WriteUpdate(5, 5)).ToArray());
            ta.PublishRaw(config.ModelTopic, new byte[] { 1, 2, 3 });
            // An oversized update on its own topic is dropped too.
            ta.PublishRaw(config.UpdateTopic("board1"), new byte[config.MaxMessageBytes + 1]);
            Assert.True(WaitFor(() => broker.RefusedPublishes == 3), "refused publishes: " + broker.RefusedPublishes);
            // Its genuine update gets through.
            Assert.True(ta.PublishUpdate(a.Member.UpdateBuffer, a.Member.WriteUpdate(6, 6)));
            Assert.True(WaitFor(() => aggregator.Processed == 1));
            Assert.Equal(1, aggregator.Boards["board1"].Updates);
            Assert.Equal(0, aggregator.Boards["board2"].Updates + aggregator.Boards["board2"].Rejected);
        }

        [Fact]
        public void TheVirtualFleetGivesTheSameResultsOverTheEmbeddedBrokerAsInMemory()
        {
            var options = new VirtualFleetOptions { Boards = 3, MaxSamples = 900, PublishEveryLabels = 8, MergeEvery = 2 };
            FleetSimulationResult memory = VirtualFleet.Run(options, null);
            FleetConfig used = null;
            EmbeddedBroker broker = null;
            AggregatorService service = null;
            var viaMqtt = new VirtualFleetOptions
            {
                Boards = 3, MaxSamples = 900, PublishEveryLabels = 8, MergeEvery = 2,
                AggregatorFactory = (config, version0, mergeEvery) =>
                {
                    used = config;
                    broker = EmbeddedBroker.StartAsync(config).GetAwaiter().GetResult();
                    var aggregator = new FleetAggregator(config, version0, mergeEvery);
                    service = AggregatorService.StartAsync(broker.Uri, config, aggregator).GetAwaiter().GetResult();
                    return aggregator;
                },
                Transport = (config, board) => new MqttBoardTransport(broker.Uri, config, board),
            };
            FleetSimulationResult mqtt;
            try { mqtt = VirtualFleet.Run(viaMqtt, null); }
            finally
            {
                service?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            Assert.NotNull(used);
            Assert.True(memory.MergedVersions > 0);
            Assert.Equal(memory.ToJson(), mqtt.ToJson());
        }
    
        [Fact]
        public void ASimilarityRunOnTheBoardsStatisticsMessagesGivesTheSameResultsOverTheEmbeddedBrokerAsInMemory()
        {
            VirtualFleetOptions Options() => new VirtualFleetOptions
            {
                Boards = 3, MaxSamples = 700, PublishEveryLabels = 8, MergeEvery = 2,
                SimilarityWindow = "all", SimilarityWidth = 66, SimilarityStatsEvery = 32,
            };
            FleetAggregator inMemory = null;
            var memoryOptions = Options();
            memoryOptions.AggregatorFactory = (config, version0, mergeEvery) => inMemory = new FleetAggregator(config, version0, mergeEvery);
            FleetSimulationResult memory = VirtualFleet.Run(memoryOptions, null);
            EmbeddedBroker broker = null;
            AggregatorService service = null;
            var viaMqtt = Options();
            viaMqtt.AggregatorFactory = (config, version0, mergeEvery) =>
            {
                broker = EmbeddedBroker.StartAsync(config).GetAwaiter().GetResult();
                var aggregator = new FleetAggregator(config, version0, mergeEvery);
                service = AggregatorService.StartAsync(broker.Uri, config, aggregator).GetAwaiter().GetResult();
                return aggregator;
            };
            viaMqtt.Transport = (config, board) => new MqttBoardTransport(broker.Uri, config, board);
            FleetSimulationResult mqtt;
            try { mqtt = VirtualFleet.Run(viaMqtt, null); }
            finally
            {
                service?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            // The kernel read the boards' verified statistics: every board sent them, the aggregator stored them.
            Assert.Equal(3 * (700 / 32), memory.Boards.Sum(b => b.StatsSent));
            Assert.All(inMemory.Boards.Values, r => Assert.True(r.HasStats && r.StatsMessages == 700 / 32 && r.Stats.Samples == 700 / 32 * 32, r.Id));
            Assert.Equal(inMemory.Version, memory.MergedVersions);
            Assert.True(memory.MergedVersions > 0);
            Assert.True(memory.Boards.Sum(b => b.MergesTaken + b.MergesDeclined) > 0);
            Assert.Equal(0, memory.Boards.Sum(b => b.MessagesRefused));
            Assert.Equal(memory.ToJson(), mqtt.ToJson());
        }
    }
}
