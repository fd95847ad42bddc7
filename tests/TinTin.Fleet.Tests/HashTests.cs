using System;
using FsCheck;
using FsCheck.Xunit;
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

        [Property(MaxTest = 500)]
        public bool Sha256AgreesWithDotNetOnAnyBytesFedInTwoPieces(byte[] data, byte splitSeed)
        {
            data ??= Array.Empty<byte>();
            int split = data.Length == 0 ? 0 : splitSeed % (data.Length + 1);
            var sha = new Sha256();
            var digest = new byte[32];
            sha.Update(data, 0, split);
            sha.Update(data, split, data.Length - split);
            sha.Final(digest, 0);
            return SHA256.HashData(data).AsSpan().SequenceEqual(digest);
        }

        [Fact]
        public void Sha256AgreesWithDotNetOnEveryLengthAroundBlockBoundaries()
        {
            var sha = new Sha256();
            var digest = new byte[32];
            for (int length = 0; length < 300; length++)
            {
                byte[] data = new byte[length];
                for (int i = 0; i < length; i++) data[i] = (byte)(i * 7 + length);
                sha.Update(data, 0, length);
                sha.Final(digest, 0);
                Assert.Equal(SHA256.HashData(data), digest);
            }
        }

        [Property(MaxTest = 300)]
        public bool HmacAgreesWithDotNetAndRefusesAFlippedTagBit(NonEmptyArray<byte> keyBytes, byte[] data, byte offsetSeed, byte flipSeed)
        {
            byte[] key = keyBytes.Get;
            data ??= Array.Empty<byte>();
            int offset = data.Length == 0 ? 0 : offsetSeed % (data.Length + 1);
            int length = data.Length - offset;
            var hmac = new HmacSha256(key);
            var tag = new byte[32 + 2];
            hmac.Compute(data, offset, length, tag, 2);
            bool same = HMACSHA256.HashData(key, data.AsSpan(offset, length)).AsSpan().SequenceEqual(tag.AsSpan(2));
            bool verifies = hmac.Verify(data, offset, length, tag, 2);
            tag[2 + flipSeed % 32] ^= (byte)(1 << (flipSeed % 8));
            return same && verifies && !hmac.Verify(data, offset, length, tag, 2);
        }

        [Fact]
        public void HmacAgreesWithDotNetForKeysAroundTheBlockSize()
        {
            foreach (int keyLength in new[] { 1, 32, 63, 64, 65, 200 })
            {
                byte[] key = new byte[keyLength];
                for (int i = 0; i < keyLength; i++) key[i] = (byte)(i * 13 + 1);
                var hmac = new HmacSha256(key);
                byte[] data = new byte[100];
                var tag = new byte[32];
                hmac.Compute(data, 0, data.Length, tag, 0);
                Assert.Equal(HMACSHA256.HashData(key, data), tag);
            }
        }

        [Fact]
        public void HmacRefusesAnEmptyKey()
        {
            Assert.Throws<ArgumentException>(() => new HmacSha256(Array.Empty<byte>()));
        }
    }
}
