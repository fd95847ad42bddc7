using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace TinTin.FleetHost
{
    /// <summary>
    /// The in-process MQTT broker (MQTTnet.Server) `tintin fleet serve` starts when no --broker is
    /// given, bound to 127.0.0.1. It enforces the fleet's trust rules: every client logs in with
    /// its own credentials and a client id equal to its user; a board may publish only to its own
    /// update topic and subscribe only to the model topic, its own model topic (boards/ID/model) and its own
    /// receipt topic (boards/ID/receipt); only the aggregator may publish models and receipts;
    /// messages above the size limit are dropped. (On mosquitto or EMQX the same rules belong in
    /// their ACL files: docs/FLEET.md.)
    /// </summary>
    public sealed class EmbeddedBroker : IAsyncDisposable
    {
        private readonly FleetConfig config;
        private readonly MqttServer server;
        private readonly TextWriter log;

        public int Port { get; }
        public int RefusedConnections { get; private set; }
        public int RefusedPublishes { get; private set; }
        public int RefusedSubscriptions { get; private set; }

        /// <summary>True when the broker listens with TLS only (mqtts).</summary>
        public bool Tls { get; }

        /// <summary>Open connections per client id, counted from the server's connected/disconnected events.</summary>
        private readonly ConcurrentDictionary<string, int> connections = new ConcurrentDictionary<string, int>();

        /// <summary>
        /// Whether a client with this id is connected. False only once the server has finished with its last connection
        /// (session deleted, disconnected event raised). MQTTnet's server can drop a new connection that reuses a client id
        /// while the old connection's clean DISCONNECT is still being handled (the old one's cleanup removes the new client
        /// and its session), so a client that reconnects under the same id waits for this first.
        /// </summary>
        public bool IsConnected(string clientId) => connections.TryGetValue(clientId, out int open) && open > 0;

        private EmbeddedBroker(FleetConfig config, int port, TextWriter log, X509Certificate2 tlsCertificate)
        {
            this.config = config;
            this.log = log ?? TextWriter.Null;
            Port = port;
            Tls = tlsCertificate != null;
            var builder = new MqttServerFactory().CreateServerOptionsBuilder();
            if (tlsCertificate == null)
                builder.WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port);
            else
                builder.WithoutDefaultEndpoint().WithEncryptedEndpoint().WithEncryptedEndpointBoundIPAddress(IPAddress.Loopback)
                    .WithEncryptedEndpointPort(port).WithEncryptionCertificate(tlsCertificate).WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13);
            var options = builder.Build();
            server = new MqttServerFactory().CreateMqttServer(options);
            server.ValidatingConnectionAsync += ValidateConnection;
            server.InterceptingPublishAsync += InterceptPublish;
            server.InterceptingSubscriptionAsync += InterceptSubscription;
            server.ClientConnectedAsync += e => { connections.AddOrUpdate(e.ClientId, 1, (_, open) => open + 1); return Task.CompletedTask; };
            server.ClientDisconnectedAsync += e => { connections.AddOrUpdate(e.ClientId, 0, (_, open) => open - 1); return Task.CompletedTask; };
        }

        /// <summary>Starts a broker on 127.0.0.1:port (0: a free port).</summary>
        /// <summary>With a certificate (its private key included) the broker speaks only MQTT over TLS (mqtts).</summary>
        public static async Task<EmbeddedBroker> StartAsync(FleetConfig config, int port = 0, TextWriter log = null, X509Certificate2 tlsCertificate = null)
        {
            config.Validate();
            if (tlsCertificate != null && !tlsCertificate.HasPrivateKey) throw new ArgumentException("the broker's TLS certificate has no private key");
            if (port == 0) port = FreeLoopbackPort();
            var broker = new EmbeddedBroker(config, port, log, tlsCertificate);
            await broker.server.StartAsync();
            return broker;
        }

        public string Uri => (Tls ? "mqtts" : "mqtt") + "://127.0.0.1:" + Port;

        /// <summary>
        /// The broker's TLS certificate with its private key, for `tintin fleet serve --tls-cert`:
        /// a PFX/PKCS#12 file (password optional), or a PEM certificate with its PEM private key in
        /// keyFile or in the same file. Every problem is an ArgumentException naming the file:
        /// missing, not a certificate, no private key, a key that does not belong to it, a wrong
        /// PFX password, a certificate not valid now.
        /// </summary>
        public static X509Certificate2 LoadCertificate(string certFile, string keyFile = null, string password = null)
        {
            if (!File.Exists(certFile)) throw new ArgumentException("TLS certificate not found: " + certFile);
            if (keyFile != null && !File.Exists(keyFile)) throw new ArgumentException("TLS key not found: " + keyFile);
            string text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(certFile));
            bool pem = text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
            X509Certificate2 loaded;
            if (pem)
            {
                if (password != null) throw new ArgumentException($"--tls-password is for a PFX file; {certFile} is PEM (an encrypted PEM key is not supported: decrypt it, e.g. openssl pkey -in KEY -out KEY.plain)");
                string keyText = keyFile != null ? File.ReadAllText(keyFile) : text;
                if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                    throw new ArgumentException(keyFile != null
                        ? $"TLS key {keyFile} holds no PEM private key (-----BEGIN PRIVATE KEY----- or RSA/EC PRIVATE KEY)"
                        : $"TLS certificate {certFile} is PEM without a private key: give its key with --tls-key");
                if (keyText.Contains("ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
                    throw new ArgumentException($"TLS key {keyFile ?? certFile} is encrypted: decrypt it (openssl pkey -in KEY -out KEY.plain) or use a PFX with --tls-password");
                try { loaded = X509Certificate2.CreateFromPem(text, keyText); }
                catch (CryptographicException e)
                { throw new ArgumentException($"TLS certificate {certFile} and key {keyFile ?? certFile} do not load together (not a certificate, or a key that does not belong to it): {e.Message}"); }
            }
            else
            {
                if (keyFile != null) throw new ArgumentException($"--tls-key is for a PEM certificate; {certFile} is not PEM (a PFX holds its key)");
                try { loaded = X509CertificateLoader.LoadPkcs12FromFile(certFile, password, X509KeyStorageFlags.Exportable); }
                catch (CryptographicException e)
                { throw new ArgumentException($"TLS certificate {certFile} is neither PEM nor a PFX/PKCS#12 file this password opens: {e.Message}"); }
            }
            using (loaded)
            {
                if (!loaded.HasPrivateKey) throw new ArgumentException($"TLS certificate {certFile} has no private key");
                DateTime now = DateTime.Now;
                if (now < loaded.NotBefore || now > loaded.NotAfter)
                    throw new ArgumentException($"TLS certificate {certFile} is valid from {loaded.NotBefore:u} to {loaded.NotAfter:u}, not now");
                // Exported and loaded again so SslStream on Linux can use the private key.
                return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
            }
        }

        public static int FreeLoopbackPort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        private Task ValidateConnection(ValidatingConnectionEventArgs e)
        {
            string user = e.UserName;
            string expected = user == FleetConfig.AggregatorUser ? config.AggregatorPassword : config.Board(user ?? "")?.Password;
            if (expected == null || e.Password != expected)
            {
                e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
                RefusedConnections++;
                log.WriteLine($"broker: refused connection of '{user}' (unknown user or wrong password)");
            }
            else if (e.ClientId != user)
            {
                e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
                RefusedConnections++;
                log.WriteLine($"broker: refused client id '{e.ClientId}' for user '{user}' (must equal the user)");
            }
            return Task.CompletedTask;
        }

        private Task InterceptPublish(InterceptingPublishEventArgs e)
        {
            string topic = e.ApplicationMessage.Topic;
            long size = e.ApplicationMessage.Payload.Length;
            bool allowed = e.ClientId == FleetConfig.AggregatorUser
                ? topic == config.ModelTopic || IsBoardTopic(topic, config.BoardModelTopic) || IsBoardTopic(topic, config.ReceiptTopic)
                : topic == config.UpdateTopic(e.ClientId);
            // The broker itself (InjectApplicationMessage) has no client id.
            if (string.IsNullOrEmpty(e.ClientId)) allowed = true;
            if (allowed && size > config.MaxMessageBytes) allowed = false;
            if (!allowed)
            {
                e.ProcessPublish = false;
                RefusedPublishes++;
                log.WriteLine($"broker: dropped a {size}-byte publish of '{e.ClientId}' to '{topic}'");
            }
            return Task.CompletedTask;
        }

        /// <summary>A known board's own model topic (the aggregator's addressed models) or receipt topic, by the topic's rule.</summary>
        private bool IsBoardTopic(string topic, Func<string, string> topicOf)
        {
            foreach (FleetBoard b in config.Boards) if (topic == topicOf(b.Id)) return true;
            return false;
        }

        private Task InterceptSubscription(InterceptingSubscriptionEventArgs e)
        {
            string filter = e.TopicFilter.Topic;
            bool allowed = e.ClientId == FleetConfig.AggregatorUser
                ? filter == config.UpdateTopicFilter
                : filter == config.ModelTopic || filter == config.BoardModelTopic(e.ClientId) || filter == config.ReceiptTopic(e.ClientId);
            if (!allowed)
            {
                e.ProcessSubscription = false;
                e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
                RefusedSubscriptions++;
                log.WriteLine($"broker: refused subscription of '{e.ClientId}' to '{filter}'");
            }
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            await server.StopAsync(new MqttServerStopOptions());
            server.Dispose();
        }
    }
}
