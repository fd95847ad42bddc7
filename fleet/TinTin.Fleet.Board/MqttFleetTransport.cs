using System;
using nanoFramework.M2Mqtt;
using nanoFramework.M2Mqtt.Messages;
using System.Security.Cryptography.X509Certificates;
using TinTin.Fleet;

namespace TinTin.Fleet.Board
{
    /// <summary>
    /// The board's fleet transport over the nanoFramework MQTT client (nanoFramework.M2Mqtt):
    /// logs in with the board's own user and password (client id = user), publishes updates on
    /// tintin/FLEET/boards/ID/update, subscribes to the retained tintin/FLEET/model, its own model topic and its receipt
    /// topic (tintin/FLEET/boards/ID/receipt). The client's receive thread only copies the newest model into a buffer
    /// allocated here (an older one would be refused as a replay anyway), and the newest receipt of each answered kind
    /// (update, statistics) into one of two small buffers (a board acts only on the receipt for its last message of a
    /// kind); the board's loop takes them with TryReceive at its safe point, the model first.
    /// Oversized messages are dropped and counted, never buffered. Any broker port; with a CA
    /// certificate the connection is MQTT over TLS 1.2 and the broker must present a certificate
    /// that chains to it (the client's secure constructor; no client certificate: the board logs
    /// in with its user and password).
    /// </summary>
    public sealed class MqttFleetTransport : IFleetTransport
    {
        private readonly string brokerHost;
        private readonly int brokerPort;
        private readonly X509Certificate caCertificate; // null: plain MQTT
        private readonly string boardId;
        private readonly string password;
        private readonly string updateTopic;
        private readonly string modelTopic;
        private readonly string boardModelTopic;   // models addressed to this board (similarity-weighted merge)
        private readonly string receiptTopic;      // the aggregator's receipts for this board's messages
        private readonly byte[] newest;          // [maxMessageBytes] the newest model received
        private readonly byte[] updateReceipt = new byte[FleetMessage.MaxReceiptBytes]; // the newest receipt answering an update
        private readonly byte[] statsReceipt = new byte[FleetMessage.MaxReceiptBytes];  // ... answering statistics
        private int updateReceiptLength, statsReceiptLength;
        private readonly object gate = new object();
        private int newestLength;
        private MqttClient client;

        /// <summary>Messages dropped for being over the size limit.</summary>
        public int Oversized;
        public string LastError;

        /// <summary>Plain MQTT on port 1883.</summary>
        public MqttFleetTransport(string brokerHost, string fleet, string boardId, string password, int maxMessageBytes)
            : this(brokerHost, 1883, null, fleet, boardId, password, maxMessageBytes) { }

        /// <summary>MQTT on brokerPort; over TLS when caCertificate is given (the broker's CA; BoardRunner reads it from the ca_file, PEM or DER).</summary>
        public MqttFleetTransport(string brokerHost, int brokerPort, X509Certificate caCertificate, string fleet, string boardId, string password, int maxMessageBytes)
        {
            if (brokerPort < 1 || brokerPort > 65535) throw new ArgumentException("broker port " + brokerPort + " is outside 1..65535");
            this.brokerPort = brokerPort;
            this.caCertificate = caCertificate;
            if (brokerHost == null || brokerHost.Length == 0) throw new ArgumentException("no broker host");
            if (boardId == null || boardId.Length == 0) throw new ArgumentException("no board id");
            this.brokerHost = brokerHost;
            this.boardId = boardId;
            this.password = password;
            updateTopic = FleetTopics.Update(fleet, boardId);
            modelTopic = FleetTopics.Model(fleet);
            boardModelTopic = FleetTopics.BoardModel(fleet, boardId);
            receiptTopic = FleetTopics.Receipt(fleet, boardId);
            newest = new byte[maxMessageBytes];
        }

        public bool IsConnected { get { return client != null && client.IsConnected; } }

        public bool Connect()
        {
            try
            {
                if (client == null)
                {
                    client = caCertificate == null
                        ? new MqttClient(brokerHost, brokerPort, false, null, null, MqttSslProtocols.None)
                        : new MqttClient(brokerHost, brokerPort, true, caCertificate, null, MqttSslProtocols.TLSv1_2);
                    client.MqttMsgPublishReceived += OnMessage;
                }
                MqttReasonCode code = client.Connect(boardId, boardId, password, true, 60);
                if (code != MqttReasonCode.Success)
                {
                    LastError = "broker refused the connection: " + (int)code;
                    return false;
                }
                client.Subscribe(new string[] { modelTopic, boardModelTopic, receiptTopic },
                    new MqttQoSLevel[] { MqttQoSLevel.AtLeastOnce, MqttQoSLevel.AtLeastOnce, MqttQoSLevel.AtLeastOnce });
                return true;
            }
            catch (Exception e)
            {
                LastError = e.Message;
                return false;
            }
        }

        public void Disconnect()
        {
            try { if (client != null && client.IsConnected) client.Disconnect(); }
            catch (Exception e) { LastError = e.Message; }
        }

        public bool PublishUpdate(byte[] message, int length)
        {
            if (!IsConnected) return false;
            byte[] payload = new byte[length]; // the client sends whole arrays; an update goes out every few hours, statistics every StatsEverySamples samples
            Array.Copy(message, payload, length);
            try
            {
                client.Publish(updateTopic, payload, null, null, MqttQoSLevel.AtLeastOnce, false);
                return true;
            }
            catch (Exception e)
            {
                LastError = e.Message;
                return false;
            }
        }

        public int TryReceive(byte[] buffer)
        {
            lock (gate)
            {
                int length = newestLength;
                byte[] from = newest;
                if (length != 0) newestLength = 0;
                else if (updateReceiptLength != 0) { length = updateReceiptLength; from = updateReceipt; updateReceiptLength = 0; }
                else if (statsReceiptLength != 0) { length = statsReceiptLength; from = statsReceipt; statsReceiptLength = 0; }
                if (length == 0) return 0;
                if (length > buffer.Length) return -1;
                Array.Copy(from, buffer, length);
                return length;
            }
        }

        private void OnMessage(object sender, MqttMsgPublishEventArgs e)
        {
            if (e.Message == null) return;
            if (e.Topic == receiptTopic)
            {
                lock (gate)
                {
                    // Sorted by the answered kind (unverified: the board verifies everything); too long for a receipt: dropped and counted.
                    if (e.Message.Length > updateReceipt.Length) { Oversized++; return; }
                    bool stats = e.Message.Length > FleetMessage.ReceiptKindAt && e.Message[FleetMessage.ReceiptKindAt] == FleetMessage.KindStats;
                    Array.Copy(e.Message, stats ? statsReceipt : updateReceipt, e.Message.Length);
                    if (stats) statsReceiptLength = e.Message.Length;
                    else updateReceiptLength = e.Message.Length;
                }
                return;
            }
            if (e.Topic != modelTopic && e.Topic != boardModelTopic) return;
            lock (gate)
            {
                if (e.Message.Length > newest.Length) { Oversized++; return; }
                Array.Copy(e.Message, newest, e.Message.Length);
                newestLength = e.Message.Length;
            }
        }
    }
}
