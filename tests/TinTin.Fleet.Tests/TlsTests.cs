using System;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// A private fleet CA and a broker certificate for 127.0.0.1/localhost signed by it, plus an
    /// unrelated CA, as PEM files in a temporary folder (what a deployment puts on the broker and,
    /// as ca_file, on every board).
    /// </summary>
    public sealed class TestCertificates : IDisposable
    {
        private readonly string folder;
        public X509Certificate2 Server { get; }
        public string CaFile { get; }
        public string OtherCaFile { get; }
        public string ServerCertFile { get; }
        public string ServerKeyFile { get; }

        public TestCertificates()
        {
            folder = Path.Combine(Path.GetTempPath(), "tintin-tls-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(folder);
            using X509Certificate2 ca = NewCa("CN=TinTin test fleet CA");
            using X509Certificate2 other = NewCa("CN=Someone else's CA");
            using RSA key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            byte[] serial = new byte[8];
            RandomNumberGenerator.Fill(serial);
            using X509Certificate2 issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
            using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
            // Exported and loaded again so SslStream on Linux can use the private key.
            Server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
            CaFile = Write("ca.pem", ca.ExportCertificatePem());
            OtherCaFile = Write("other-ca.pem", other.ExportCertificatePem());
            ServerCertFile = Write("server.pem", issued.ExportCertificatePem());
            ServerKeyFile = Write("server.key", key.ExportPkcs8PrivateKeyPem());
        }

        private static X509Certificate2 NewCa(string name)
        {
            using RSA key = RSA.Create(2048);
            var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }

        private string Write(string name, string text)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllText(path, text);
            return path;
        }

        public void Dispose()
        {
            Server.Dispose();
            try { Directory.Delete(folder, true); } catch (IOException) { }
        }
    }

    /// <summary>The fleet over MQTT with TLS (mqtts://): the embedded broker with a certificate from a private CA.</summary>
    public class TlsTests
    {
        [Fact]
        public async Task BoardsAndAggregatorExchangeModelsOverTlsWithTheFleetCa()
        {
            FleetConfig config = FleetConfig.Demo(2);
            using var certificates = new TestCertificates();
            await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config, 0, null, certificates.Server);
            Assert.StartsWith("mqtts://127.0.0.1:", broker.Uri);
            MqttTests.RoundTrip(broker.Uri, config, certificates.CaFile);
        }

        [Fact]
        public async Task ABrokerWhoseCertificateDoesNotChainToTheCaIsRefused()
        {
            FleetConfig config = FleetConfig.Demo(2);
            using var certificates = new TestCertificates();
            await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config, 0, null, certificates.Server);
            using var untrusting = new MqttBoardTransport(broker.Uri, config, "board1", certificates.OtherCaFile);
            Assert.False(untrusting.Connect());
            Assert.NotNull(untrusting.LastError);
            // Plain MQTT to the TLS port does not get through either.
            using var plain = new MqttBoardTransport("mqtt://127.0.0.1:" + broker.Port, config, "board1");
            Assert.False(plain.Connect());
        }

        [Theory]
        [InlineData("mqtt://h", "h", 1883, false)]
        [InlineData("mqtts://h", "h", 8883, true)]
        [InlineData("mqtts://broker.example:9443", "broker.example", 9443, true)]
        [InlineData("mqtt://10.0.0.2:1884", "10.0.0.2", 1884, false)]
        public void BrokerUrisGiveHostPortAndTls(string uri, string host, int port, bool tls)
        {
            Assert.Equal((host, port, tls), BrokerUri.Parse(uri));
        }

        [Theory]
        [InlineData("http://h:1883")]
        [InlineData("h:1883")]
        [InlineData("mqtts://")]
        public void OtherUrisAreRefusedByName(string uri)
        {
            var e = Assert.Throws<ArgumentException>(() => BrokerUri.Parse(uri));
            Assert.Contains("mqtts://HOST:PORT", e.Message);
        }

        [Fact]
        public void ACaFileThatIsNotACertificateIsNamed()
        {
            string path = Path.GetTempFileName();
            try
            {
                File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
                var e = Assert.Throws<ArgumentException>(() => BrokerUri.Options("mqtts://127.0.0.1:8883", "board1", "pw", path));
                Assert.Contains(path, e.Message);
                Assert.Throws<ArgumentException>(() => BrokerUri.Options("mqtt://127.0.0.1:1883", "board1", "pw", path));
            }
            finally { File.Delete(path); }
        }
    }
}
