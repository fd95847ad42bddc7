using System;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using TinTin.FleetHost;
using TinTin.TestSupport;
using Xunit;

namespace TinTin.Fleet.Tests
{
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
            MqttTests.RoundTrip(broker.Uri, config, certificates.CaFile, broker.IsConnected);
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
