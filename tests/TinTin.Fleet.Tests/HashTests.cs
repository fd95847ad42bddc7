using System;
using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace TinTin.Fleet.Tests
{
    public class HashTests
    {
        [Theory]
        [InlineData("")]
        [InlineData("abc")]
        [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")]
        public void Sha256MatchesFipsVectorsAndDotNet(string text)
        {
            byte[] data = Encoding.ASCII.GetBytes(text);
            var sha = new Sha256();
            sha.Update(data, 0, data.Length);
            var digest = new byte[32];
            sha.Final(digest, 0);
            Assert.Equal(SHA256.HashData(data), digest);
        }

        [Fact]
        public void Sha256KnownAnswerForAbc()
        {
            var sha = new Sha256();
            byte[] abc = Encoding.ASCII.GetBytes("abc");
            sha.Update(abc, 0, 3);
            var digest = new byte[32];
            sha.Final(digest, 0);
            Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexString(digest).ToLowerInvariant());
        }

        [Fact]
        public void Sha256AgreesWithDotNetOnEveryLengthAroundBlockBoundariesAndInPieces()
        {
            var random = new Random(5);
            var sha = new Sha256();
            var digest = new byte[32];
            for (int length = 0; length < 300; length++)
            {
                byte[] data = new byte[length];
                random.NextBytes(data);
                int split = length == 0 ? 0 : random.Next(length);
                sha.Update(data, 0, split);
                sha.Update(data, split, length - split);
                sha.Final(digest, 0);
                Assert.Equal(SHA256.HashData(data), digest);
            }
        }

        [Fact]
        public void HmacAgreesWithDotNetForShortAndLongKeys()
        {
            var random = new Random(9);
            foreach (int keyLength in new[] { 1, 16, 32, 64, 65, 200 })
            {
                byte[] key = new byte[keyLength];
                random.NextBytes(key);
                var hmac = new HmacSha256(key);
                foreach (int length in new[] { 0, 1, 55, 56, 64, 1000 })
                {
                    byte[] data = new byte[length + 3];
                    random.NextBytes(data);
                    var tag = new byte[32 + 2];
                    hmac.Compute(data, 3, length, tag, 2);
                    byte[] expected = HMACSHA256.HashData(key, data.AsSpan(3, length));
                    Assert.Equal(expected, tag.AsSpan(2).ToArray());
                    Assert.True(hmac.Verify(data, 3, length, tag, 2));
                    tag[2 + length % 32] ^= 1;
                    Assert.False(hmac.Verify(data, 3, length, tag, 2));
                }
            }
        }

        [Fact]
        public void HmacRefusesAnEmptyKey()
        {
            Assert.Throws<ArgumentException>(() => new HmacSha256(Array.Empty<byte>()));
        }
    }
}
