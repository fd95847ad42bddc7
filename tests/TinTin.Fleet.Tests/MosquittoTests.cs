using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using TinTin.FleetHost;
using TinTin.TestSupport;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>A [Fact] skipped, with the reason, when mosquitto is not installed.</summary>
    public sealed class MosquittoFactAttribute : FactAttribute
    {
        public MosquittoFactAttribute()
        {
            if (Mosquitto.Find("mosquitto") == null || Mosquitto.Find("mosquitto_passwd") == null)
                Skip = "mosquitto is not installed, so the test against a real broker cannot run: apt-get install -y mosquitto (.ci/run installs it)";
        }
    }

    /// <summary>A real mosquitto on 127.0.0.1 with the fleet's credentials (password file) and topic rules (ACL file), as docs/FLEET.md describes.</summary>
    public sealed class Mosquitto : IDisposable
    {
        private readonly Process process;
        private readonly string folder;
        public int Port { get; }
        public bool Tls { get; }
        public string Uri => (Tls ? "mqtts" : "mqtt") + "://127.0.0.1:" + Port;

        public static string Find(string name) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(new[] { "/usr/sbin", "/usr/local/sbin", "/sbin" })
                .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

        /// <summary>tls: a listener with TLS only (mosquitto's cafile/certfile/keyfile from <see cref="TestCertificates"/>).</summary>
        public Mosquitto(FleetConfig config, TestCertificates tls = null)
        {
            Tls = tls != null;
            folder = Path.Combine(Path.GetTempPath(), "tintin-mosquitto-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(folder);
            string passwords = Path.Combine(folder, "passwd");
            File.WriteAllLines(passwords, config.Boards.Select(b => b.Id + ":" + b.Password).Append(FleetConfig.AggregatorUser + ":" + config.AggregatorPassword));
            Run(Find("mosquitto_passwd"), "-U " + passwords);
            string acl = Path.Combine(folder, "acl");
            File.WriteAllText(acl,
                $"user {FleetConfig.AggregatorUser}\ntopic read {config.UpdateTopicFilter}\ntopic write {config.ModelTopic}\ntopic write tintin/{config.Fleet}/boards/+/model\ntopic write tintin/{config.Fleet}/boards/+/receipt\n\n" +
                $"pattern write tintin/{config.Fleet}/boards/%u/update\npattern read {config.ModelTopic}\npattern read tintin/{config.Fleet}/boards/%u/model\npattern read tintin/{config.Fleet}/boards/%u/receipt\n");
            Port = EmbeddedBroker.FreeLoopbackPort();
            string conf = Path.Combine(folder, "mosquitto.conf");
            File.WriteAllText(conf, $"listener {Port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\nacl_file {acl}\nmessage_size_limit {config.MaxMessageBytes}\npersistence false\n" +
                (tls != null ? $"cafile {tls.CaFile}\ncertfile {tls.ServerCertFile}\nkeyfile {tls.ServerKeyFile}\n" : ""));
            process = Process.Start(new ProcessStartInfo(Find("mosquitto"), "-c " + conf) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false });
            if (!MqttTests.WaitFor(() => CanConnect() || process.HasExited, 10_000) || process.HasExited)
                throw new InvalidOperationException("mosquitto did not start: " + (process.HasExited ? process.StandardError.ReadToEnd() : "timeout"));
        }

        private bool CanConnect()
        {
            try { using var c = new TcpClient(); c.Connect("127.0.0.1", Port); return true; }
            catch (SocketException) { return false; }
        }

        private static void Run(string exe, string args)
        {
            using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardError = true, UseShellExecute = false });
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException(exe + " " + args + " failed: " + p.StandardError.ReadToEnd());
        }

        public void Dispose()
        {
            if (!process.HasExited) { process.Kill(); process.WaitForExit(); }
            process.Dispose();
            try { Directory.Delete(folder, true); } catch (IOException) { }
        }
    }

    public class MosquittoTests
    {
        [MosquittoFact]
        public void BoardsAndAggregatorExchangeModelsThroughARealMosquitto()
        {
            FleetConfig config = FleetConfig.Demo(2);
            using var broker = new Mosquitto(config);
            MqttTests.RoundTrip(broker.Uri, config);
        }

        [MosquittoFact]
        public void BoardsAndAggregatorExchangeModelsThroughMosquittoOverTls()
        {
            FleetConfig config = FleetConfig.Demo(2);
            using var certificates = new TestCertificates();
            using var broker = new Mosquitto(config, certificates);
            MqttTests.RoundTrip(broker.Uri, config, certificates.CaFile);
            using var untrusting = new MqttBoardTransport(broker.Uri, config, "board1", certificates.OtherCaFile);
            Assert.False(untrusting.Connect());
        }

        [MosquittoFact]
        public void AddressedModelsReachOnlyTheirBoardThroughMosquittoWithTheFleetAcl()
        {
            FleetConfig config = FleetConfig.Demo(2);
            using var broker = new Mosquitto(config);
            MqttTests.AddressedRoundTrip(broker.Uri, config);
        }

        [MosquittoFact]
        public void MosquittoWithTheFleetAclRefusesWrongPasswords()
        {
            FleetConfig config = FleetConfig.Demo(2);
            using var broker = new Mosquitto(config);
            var wrong = FleetConfig.Demo(2);
            wrong.Boards[0].Password = "guess";
            using var intruder = new MqttBoardTransport(broker.Uri, wrong, "board1");
            Assert.False(intruder.Connect());
        }
    }
}
