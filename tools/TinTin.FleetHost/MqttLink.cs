using System;
using System.Linq;
using System.Buffers;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MQTTnet;
using MQTTnet.Protocol;
using TinTin.Fleet;

namespace TinTin.FleetHost
{
    /// <summary>
    /// mqtt://HOST:PORT (plain, 1883 by default) and mqtts://HOST:PORT (MQTT over TLS, 8883 by
    /// default). Over TLS the broker's certificate must chain to the CA file when one is given
    /// (PEM or DER; only that CA is trusted), else to the system's trust store, and must name the host.
    /// </summary>
    public static class BrokerUri
    {
        public static (string Host, int Port, bool Tls) Parse(string uri)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out Uri parsed) || (parsed.Scheme != "mqtt" && parsed.Scheme != "mqtts") || string.IsNullOrEmpty(parsed.Host))
                throw new ArgumentException($"--broker '{uri}' is not mqtt://HOST:PORT or mqtts://HOST:PORT");
            bool tls = parsed.Scheme == "mqtts";
            return (parsed.Host, parsed.IsDefaultPort || parsed.Port <= 0 ? (tls ? 8883 : 1883) : parsed.Port, tls);
        }

        /// <summary>Loads a CA certificate (PEM or DER); a clear error naming the file otherwise.</summary>
        public static X509Certificate2 LoadCa(string caFile)
        {
            if (!File.Exists(caFile)) throw new ArgumentException("CA file not found: " + caFile);
            try { return X509CertificateLoader.LoadCertificate(PemOrDer(File.ReadAllBytes(caFile))); }
            catch (CryptographicException e) { throw new ArgumentException($"CA file {caFile} is not a PEM or DER certificate: {e.Message}"); }
        }

        private static byte[] PemOrDer(byte[] bytes)
        {
            string text = System.Text.Encoding.ASCII.GetString(bytes);
            int begin = text.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
            if (begin < 0) return bytes;
            return X509Certificate2.CreateFromPem(text.AsSpan(begin)).RawData;
        }

        /// <summary>pinned (mqtts only): trust exactly this broker certificate (the aggregator beside its own embedded broker).</summary>
        public static MqttClientOptions Options(string uri, string user, string password, string caFile = null, X509Certificate2 pinned = null)
        {
            var (host, port, tls) = Parse(uri);
            if (caFile != null && !tls) throw new ArgumentException($"a CA file is only used with mqtts://, not with {uri}");
            var builder = new MqttClientFactory().CreateClientOptionsBuilder()
                .WithTcpServer(host, port)
                .WithClientId(user)
                .WithCredentials(user, password)
                .WithCleanSession(true)
                .WithTimeout(TimeSpan.FromSeconds(5));
            if (tls)
            {
                X509Certificate2 ca = caFile != null ? LoadCa(caFile) : null;
                builder.WithTlsOptions(o =>
                {
                    o.UseTls(true).WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13);
                    if (ca != null) o.WithCertificateValidationHandler(e => ChainsTo(ca, e.Certificate, e.SslPolicyErrors));
                    else if (pinned != null) o.WithCertificateValidationHandler(e => e.Certificate != null && e.Certificate.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData));
                });
            }
            return builder.Build();
        }

        /// <summary>The broker's certificate names the host and chains to this CA alone (no system roots, no revocation lookup: a private fleet CA).</summary>
        public static bool ChainsTo(X509Certificate2 ca, X509Certificate presented, SslPolicyErrors errors)
        {
            if (presented == null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
            return chain.Build(leaf);
        }
    }

    /// <summary>
    /// A virtual board's fleet transport over MQTT (MQTTnet): its own credentials, publishes on its
    /// update topic (updates and input statistics), subscribes to the (retained) model topic, its
    /// own model topic (addressed models) and its receipt topic; received messages wait in one queue, in arrival order,
    /// until the board's loop asks (<see cref="TryReceive"/>), as on the real board.
    /// </summary>
    public sealed class MqttBoardTransport : IFleetTransport, IDisposable
    {
        private readonly string brokerUri;
        private readonly FleetConfig config;
        private readonly string board;
        private readonly IMqttClient client;
        private readonly ConcurrentQueue<byte[]> received = new();

        private readonly string caFile;

        /// <summary>caFile: the broker's CA (PEM or DER) for mqtts://, null to trust the system's roots (or for plain mqtt://).</summary>
        public MqttBoardTransport(string brokerUri, FleetConfig config, string board, string caFile = null)
        {
            this.brokerUri = brokerUri;
            this.caFile = caFile;
            this.config = config;
            this.board = board;
            client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += e =>
            {
                string topic = e.ApplicationMessage.Topic;
                if (topic == config.ModelTopic || topic == config.BoardModelTopic(board) || topic == config.ReceiptTopic(board))
                {
                    received.Enqueue(e.ApplicationMessage.Payload.ToArray());
                    Interlocked.Increment(ref receivedCount);
                }
                return Task.CompletedTask;
            };
        }

        public bool IsConnected => client.IsConnected;
        public string Board => board;
        public int Pending => received.Count;
        /// <summary>Merged-model and receipt messages received since the start (taken or not).</summary>
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
                var result = client.ConnectAsync(BrokerUri.Options(brokerUri, board, b.Password, caFile), CancellationToken.None).GetAwaiter().GetResult();
                if (result.ResultCode != MqttClientConnectResultCode.Success) { LastError = result.ResultCode.ToString(); return false; }
                var subscribe = new MqttClientFactory().CreateSubscribeOptionsBuilder()
                    .WithTopicFilter(config.ModelTopic, MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithTopicFilter(config.BoardModelTopic(board), MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithTopicFilter(config.ReceiptTopic(board), MqttQualityOfServiceLevel.AtLeastOnce).Build();
                client.SubscribeAsync(subscribe, CancellationToken.None).GetAwaiter().GetResult();
                return true;
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException || e is OperationCanceledException || e is MQTTnet.Adapter.MqttConnectingFailedException || e is AuthenticationException || e is IOException)
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
    /// FleetAggregator (the topic names the board; the board's key checks the bytes),
    /// publishes each merged model retained on the model topic, then the message's receipt (not retained) on the board's receipt topic.
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
                if (result.PerBoard != null)
                    foreach (var (id, message) in result.PerBoard) await PublishMergedAsync(message, config.BoardModelTopic(id));
                if (result.Receipt != null && board != null) await PublishReceiptAsync(board, result.Receipt);
            };
        }

        /// <param name="pinned">mqtts without a CA file: trust exactly this broker certificate (the embedded broker's own).</param>
        public static async Task<AggregatorService> StartAsync(string brokerUri, FleetConfig config, FleetAggregator aggregator, System.IO.TextWriter log = null, string caFile = null, X509Certificate2 pinned = null)
        {
            var service = new AggregatorService(config, aggregator, log);
            var result = await service.client.ConnectAsync(BrokerUri.Options(brokerUri, FleetConfig.AggregatorUser, config.AggregatorPassword, caFile, pinned), CancellationToken.None);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
                throw new System.IO.IOException($"the broker at {brokerUri} refused the aggregator: {result.ResultCode}");
            var subscribe = new MqttClientFactory().CreateSubscribeOptionsBuilder()
                .WithTopicFilter(config.UpdateTopicFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build();
            await service.client.SubscribeAsync(subscribe, CancellationToken.None);
            return service;
        }

        /// <summary>Publishes a merged model retained on topic (null: the fleet's model topic; a board's model topic for an addressed one).</summary>
        public async Task PublishMergedAsync(byte[] merged, string topic = null)
        {
            topic ??= config.ModelTopic;
            var m = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(merged)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(true).Build();
            await client.PublishAsync(m, CancellationToken.None);
            log.WriteLine($"published v{LittleEndianVersion(merged)} ({merged.Length} B) on {topic}");
        }

        /// <summary>Publishes a receipt on the board's receipt topic, not retained (a retained one would reach the board again at every join, as a replay).</summary>
        public async Task PublishReceiptAsync(string board, byte[] receipt)
        {
            var m = new MqttApplicationMessageBuilder().WithTopic(config.ReceiptTopic(board)).WithPayload(receipt)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            await client.PublishAsync(m, CancellationToken.None);
            log.WriteLine($"receipt for {board} ({receipt.Length} B, {FleetMessage.ReceiptCodeName(receipt.Length > FleetMessage.ReceiptOutcomeAt ? receipt[FleetMessage.ReceiptOutcomeAt] : -1)})");
        }

        /// <summary>
        /// After a restart on a fresh embedded broker (which forgot every retained message): publishes the aggregator's latest
        /// fleet-wide model and each board's latest addressed model (per-board merge) retained again, from its state file,
        /// so a board that joins later still gets its model at once. Returns the messages published.
        /// </summary>
        public async Task<int> RetainLatestAgainAsync()
        {
            int published = 0;
            if (Aggregator.LatestMessage is byte[] latest) { await PublishMergedAsync(latest); published++; }
            foreach (var (id, message) in Aggregator.LatestBoardModels.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                await PublishMergedAsync(message, config.BoardModelTopic(id));
                published++;
            }
            return published;
        }

        private static uint LittleEndianVersion(byte[] message) => message.Length >= 12 ? BitConverter.ToUInt32(message, 8) : 0;

        public void PublishMerged(byte[] merged) => PublishMergedAsync(merged).GetAwaiter().GetResult();

        public async ValueTask DisposeAsync()
        {
            if (client.IsConnected) await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
            client.Dispose();
        }
    }
}
