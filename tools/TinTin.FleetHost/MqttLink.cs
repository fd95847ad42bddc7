using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using MQTTnet;
using MQTTnet.Protocol;
using TinTin.Fleet;

namespace TinTin.FleetHost
{
    /// <summary>mqtt://HOST:PORT parsing (tcp only; mqtts is for a later round).</summary>
    public static class BrokerUri
    {
        public static (string Host, int Port) Parse(string uri)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out Uri parsed) || parsed.Scheme != "mqtt" || string.IsNullOrEmpty(parsed.Host))
                throw new ArgumentException($"--broker '{uri}' is not mqtt://HOST:PORT");
            return (parsed.Host, parsed.IsDefaultPort || parsed.Port <= 0 ? 1883 : parsed.Port);
        }

        public static MqttClientOptions Options(string uri, string user, string password)
        {
            var (host, port) = Parse(uri);
            return new MqttClientFactory().CreateClientOptionsBuilder()
                .WithTcpServer(host, port)
                .WithClientId(user)
                .WithCredentials(user, password)
                .WithCleanSession(true)
                .WithTimeout(TimeSpan.FromSeconds(5))
                .Build();
        }
    }

    /// <summary>
    /// A virtual board's fleet transport over MQTT (MQTTnet): its own credentials, publishes on its
    /// update topic, subscribes to the (retained) model topic; received models wait in a queue
    /// until the board's loop asks (<see cref="TryReceive"/>), as on the real board.
    /// </summary>
    public sealed class MqttBoardTransport : IFleetTransport, IDisposable
    {
        private readonly string brokerUri;
        private readonly FleetConfig config;
        private readonly string board;
        private readonly IMqttClient client;
        private readonly ConcurrentQueue<byte[]> received = new();

        public MqttBoardTransport(string brokerUri, FleetConfig config, string board)
        {
            this.brokerUri = brokerUri;
            this.config = config;
            this.board = board;
            client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += e =>
            {
                if (e.ApplicationMessage.Topic == config.ModelTopic)
                {
                    received.Enqueue(e.ApplicationMessage.Payload.ToArray());
                    Interlocked.Increment(ref receivedCount);
                }
                return Task.CompletedTask;
            };
        }

        public bool IsConnected => client.IsConnected;
        public int Pending => received.Count;
        /// <summary>Merged-model messages received since the start (taken or not).</summary>
        public int Received => Volatile.Read(ref receivedCount);
        private int receivedCount;
        /// <summary>Updates the broker acknowledged.</summary>
        public int Published { get; private set; }
        public string LastError { get; private set; }

        public bool Connect()
        {
            try
            {
                FleetBoard b = config.Board(board) ?? throw new ArgumentException("unknown board " + board);
                var result = client.ConnectAsync(BrokerUri.Options(brokerUri, board, b.Password), CancellationToken.None).GetAwaiter().GetResult();
                if (result.ResultCode != MqttClientConnectResultCode.Success) { LastError = result.ResultCode.ToString(); return false; }
                var subscribe = new MqttClientFactory().CreateSubscribeOptionsBuilder()
                    .WithTopicFilter(config.ModelTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build();
                client.SubscribeAsync(subscribe, CancellationToken.None).GetAwaiter().GetResult();
                return true;
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException || e is OperationCanceledException || e is MQTTnet.Adapter.MqttConnectingFailedException)
            {
                LastError = e.Message;
                return false;
            }
        }

        public void Disconnect()
        {
            if (client.IsConnected) client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).GetAwaiter().GetResult();
        }

        public bool PublishUpdate(byte[] message, int length)
        {
            if (!client.IsConnected) return false;
            var m = new MqttApplicationMessageBuilder().WithTopic(config.UpdateTopic(board))
                .WithPayload(message.AsSpan(0, length).ToArray()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            bool sent = client.PublishAsync(m, CancellationToken.None).GetAwaiter().GetResult().IsSuccess;
            if (sent) Published++;
            return sent;
        }

        /// <summary>Publishes raw bytes on any topic (tests: a board trying another's topic).</summary>
        public bool PublishRaw(string topic, byte[] payload)
        {
            var m = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            return client.PublishAsync(m, CancellationToken.None).GetAwaiter().GetResult().IsSuccess;
        }

        public int TryReceive(byte[] buffer)
        {
            if (!received.TryDequeue(out byte[] m)) return 0;
            if (m.Length > buffer.Length) return -1;
            m.CopyTo(buffer, 0);
            return m.Length;
        }

        public void Dispose() { Disconnect(); client.Dispose(); }
    }

    /// <summary>
    /// The aggregator on MQTT: subscribes to every board's update topic, hands each message to the
    /// FleetAggregator (the topic names the board; the board's key checks the bytes), and
    /// publishes each merged model retained on the model topic.
    /// </summary>
    public sealed class AggregatorService : IAsyncDisposable
    {
        private readonly FleetConfig config;
        private readonly IMqttClient client;
        private readonly System.IO.TextWriter log;

        public FleetAggregator Aggregator { get; }

        private AggregatorService(FleetConfig config, FleetAggregator aggregator, System.IO.TextWriter log)
        {
            this.config = config;
            Aggregator = aggregator;
            this.log = log ?? System.IO.TextWriter.Null;
            client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += async e =>
            {
                string board = config.BoardOfTopic(e.ApplicationMessage.Topic);
                byte[] payload = e.ApplicationMessage.Payload.ToArray();
                AggregatorResult result = Aggregator.HandleUpdate(board, payload);
                if (result.Merged != null) await PublishMergedAsync(result.Merged);
            };
        }

        public static async Task<AggregatorService> StartAsync(string brokerUri, FleetConfig config, FleetAggregator aggregator, System.IO.TextWriter log = null)
        {
            var service = new AggregatorService(config, aggregator, log);
            var result = await service.client.ConnectAsync(BrokerUri.Options(brokerUri, FleetConfig.AggregatorUser, config.AggregatorPassword), CancellationToken.None);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
                throw new System.IO.IOException($"the broker at {brokerUri} refused the aggregator: {result.ResultCode}");
            var subscribe = new MqttClientFactory().CreateSubscribeOptionsBuilder()
                .WithTopicFilter(config.UpdateTopicFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build();
            await service.client.SubscribeAsync(subscribe, CancellationToken.None);
            return service;
        }

        public async Task PublishMergedAsync(byte[] merged)
        {
            var m = new MqttApplicationMessageBuilder().WithTopic(config.ModelTopic).WithPayload(merged)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(true).Build();
            await client.PublishAsync(m, CancellationToken.None);
            log.WriteLine($"published v{Aggregator.Version} ({merged.Length} B) on {config.ModelTopic}");
        }

        public void PublishMerged(byte[] merged) => PublishMergedAsync(merged).GetAwaiter().GetResult();

        public async ValueTask DisposeAsync()
        {
            if (client.IsConnected) await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
            client.Dispose();
        }
    }
}
