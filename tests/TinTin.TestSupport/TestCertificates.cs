using System;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TinTin.TestSupport
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
        /// <summary>The broker certificate with its key as PFX/PKCS#12, password <see cref="PfxPassword"/>.</summary>
        public string ServerPfxFile { get; }
        public const string PfxPassword = "fleet-test";
        public string Folder => folder;

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
            ServerPfxFile = Write("server.pfx", withKey.Export(X509ContentType.Pkcs12, PfxPassword));
        }

        private static X509Certificate2 NewCa(string name)
        {
            using RSA key = RSA.Create(2048);
            var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }

        private string Write(string name, string text) => Write(name, System.Text.Encoding.ASCII.GetBytes(text));

        private string Write(string name, byte[] bytes)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        public void Dispose()
        {
            Server.Dispose();
            try { Directory.Delete(folder, true); } catch (IOException) { }
        }
    }

}
