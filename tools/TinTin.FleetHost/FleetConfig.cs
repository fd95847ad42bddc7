using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TinTin.Fleet;

namespace TinTin.FleetHost
{
    /// <summary>One board of the fleet: its MQTT credentials (user = board id) and its own HMAC key for updates.</summary>
    public sealed class FleetBoard
    {
        [JsonPropertyName("id")] public string Id { get; set; }
        [JsonPropertyName("password")] public string Password { get; set; }
        /// <summary>Hex key the board signs its updates with.</summary>
        [JsonPropertyName("key")] public string KeyHex { get; set; }
        [JsonIgnore] public byte[] Key => Convert.FromHexString(KeyHex);
    }

    /// <summary>
    /// The fleet's names and secrets: topics, the fleet key merged models are signed with, the
    /// aggregator's and each board's credentials. JSON on disk (`tintin fleet serve --config`);
    /// <see cref="Demo"/> derives a throw-away one for demos and tests.
    /// </summary>
    public sealed class FleetConfig
    {
        public const string AggregatorUser = "aggregator";

        [JsonPropertyName("fleet")] public string Fleet { get; set; } = "demo";
        [JsonPropertyName("fleet_key")] public string FleetKeyHex { get; set; }
        [JsonPropertyName("aggregator_password")] public string AggregatorPassword { get; set; }
        [JsonPropertyName("max_message_bytes")] public int MaxMessageBytes { get; set; } = TinTin.Fleet.FleetMessage.DefaultMaxBytes;
        [JsonPropertyName("boards")] public List<FleetBoard> Boards { get; set; } = new();

        [JsonIgnore] public byte[] FleetKey => Convert.FromHexString(FleetKeyHex);

        /// <summary>Boards publish their update here (only their own: the broker enforces it).</summary>
        public string UpdateTopic(string boardId) => FleetTopics.Update(Fleet, boardId);
        public string UpdateTopicFilter => FleetTopics.Update(Fleet, "+");
        /// <summary>The aggregator publishes each merged model here, retained, so a joining board gets the latest.</summary>
        public string ModelTopic => FleetTopics.Model(Fleet);
        /// <summary>
        /// The similarity-weighted merge publishes each board's own model here, retained and addressed to the board
        /// inside the signed bytes; only that board may subscribe (the broker enforces it; mosquitto: `pattern read
        /// tintin/FLEET/boards/%u/model`).
        /// </summary>
        public string BoardModelTopic(string boardId) => FleetTopics.BoardModel(Fleet, boardId);

        /// <summary>The aggregator's receipts for a board's messages (not retained); only that board may subscribe (mosquitto: `pattern read tintin/FLEET/boards/%u/receipt`).</summary>
        public string ReceiptTopic(string boardId) => FleetTopics.Receipt(Fleet, boardId);

        public FleetBoard Board(string id) => Boards.FirstOrDefault(b => b.Id == id);

        /// <summary>The board whose update topic this is, or null.</summary>
        public string BoardOfTopic(string topic)
        {
            string prefix = FleetTopics.BoardsPrefix(Fleet);
            if (topic == null || !topic.StartsWith(prefix, StringComparison.Ordinal) || !topic.EndsWith("/update", StringComparison.Ordinal)) return null;
            string id = topic.Substring(prefix.Length, topic.Length - prefix.Length - "/update".Length);
            return Board(id) != null ? id : null;
        }

        /// <summary>A demo fleet of n boards with secrets derived from seed (not for deployment: anyone with the seed has the keys).</summary>
        public static FleetConfig Demo(int boards, string seed = "tintin-demo")
        {
            string Derive(string what, int bytes) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(seed + "/" + what)))[..(2 * bytes)].ToLowerInvariant();
            var config = new FleetConfig { FleetKeyHex = Derive("fleet-key", 32), AggregatorPassword = Derive("aggregator", 12) };
            for (int i = 0; i < boards; i++)
            {
                string id = "board" + (i + 1);
                config.Boards.Add(new FleetBoard { Id = id, Password = Derive(id + "/password", 12), KeyHex = Derive(id + "/key", 32) });
            }
            return config;
        }

        public static FleetConfig Load(string path)
        {
            FleetConfig config;
            try { config = JsonSerializer.Deserialize<FleetConfig>(File.ReadAllText(path)); }
            catch (JsonException e) { throw new InvalidDataException($"fleet config {path} is not valid JSON: {e.Message}"); }
            if (config == null) throw new InvalidDataException($"fleet config {path} is empty");
            config.Validate(path);
            return config;
        }

        public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

        public void Validate(string source = "fleet config")
        {
            if (string.IsNullOrWhiteSpace(Fleet) || Fleet.IndexOfAny(new[] { '/', '+', '#' }) >= 0) throw new InvalidDataException($"{source}: 'fleet' must be a name without / + #");
            CheckKey(FleetKeyHex, "fleet_key", source);
            if (string.IsNullOrEmpty(AggregatorPassword)) throw new InvalidDataException($"{source}: 'aggregator_password' is missing");
            if (MaxMessageBytes < 256 || MaxMessageBytes > 1 << 20) throw new InvalidDataException($"{source}: 'max_message_bytes' must be in 256..1048576");
            if (Boards == null || Boards.Count == 0) throw new InvalidDataException($"{source}: no boards");
            if (Boards.Count > ModelMerger.MaxContributionsPerChannel)
                throw new InvalidDataException($"{source}: {Boards.Count} boards, but one fleet merges at most {ModelMerger.MaxContributionsPerChannel} (ModelMerger.MaxContributionsPerChannel): split the building into several fleets, each with its own name, key and aggregator");
            var seen = new HashSet<string>();
            foreach (FleetBoard b in Boards)
            {
                if (string.IsNullOrWhiteSpace(b.Id) || b.Id == AggregatorUser || b.Id.IndexOfAny(new[] { '/', '+', '#' }) >= 0)
                    throw new InvalidDataException($"{source}: board id '{b.Id}' is empty, reserved or holds / + #");
                if (!seen.Add(b.Id)) throw new InvalidDataException($"{source}: board id '{b.Id}' appears twice");
                if (string.IsNullOrEmpty(b.Password)) throw new InvalidDataException($"{source}: board '{b.Id}' has no password");
                CheckKey(b.KeyHex, $"board '{b.Id}' key", source);
            }
        }

        private static void CheckKey(string hex, string what, string source)
        {
            if (string.IsNullOrEmpty(hex)) throw new InvalidDataException($"{source}: {what} is missing");
            try { if (Convert.FromHexString(hex).Length < 16) throw new InvalidDataException($"{source}: {what} must be at least 16 bytes (32 hex digits)"); }
            catch (FormatException) { throw new InvalidDataException($"{source}: {what} is not hex"); }
        }
    }
}
