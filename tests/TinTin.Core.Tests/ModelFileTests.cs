using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    public class ModelFileTests
    {
        private static Model TrainedModel()
        {
            Network net = TestData.Mlp(new[] { 3, 8, 2 }, 5);
            var random = new Random(5);
            for (int s = 0; s < 40; s++)
            {
                net.Input.CopyFrom(TestData.RandomTensor(random, 3, -5));
                net.TrainSample(random.Next(2));
                if (s % 4 == 3) net.Step(ShiftSum.FromRatio(1, 16, 3), null);
            }
            var normalizer = new InputNormalizer(new[]
            {
                new FeatureScale(2150, ShiftSum.FromRatio(32, 150, 4)),
                new FeatureScale(2700, ShiftSum.FromRatio(32, 500, 4)),
                new FeatureScale(-3, ShiftSum.FromRatio(1, 1, 1)),
            }, -5);
            return new Model(net, normalizer);
        }

        private sealed class CollectingSink : IByteSink
        {
            public readonly System.Collections.Generic.List<byte> Bytes = new();
            public int Chunks;
            public void Write(byte[] data, int count) { for (int i = 0; i < count; i++) Bytes.Add(data[i]); Chunks++; }
        }

        [Theory]
        [InlineData(8)]
        [InlineData(13)]
        [InlineData(128)]
        [InlineData(4096)]
        public void Streamed_through_a_small_chunk_the_file_is_byte_for_byte_the_saved_one_with_both_crcs(int chunkBytes)
        {
            Model model = TrainedModel();
            byte[] saved = ModelFile.Save(model);
            var sink = new CollectingSink();
            var writer = new ByteWriter();
            writer.Begin(new byte[chunkBytes], sink);
            writer.U16(0xBEEF); // a header before the model, as in a checkpoint image
            ModelFile.Write(model, writer);
            uint whole = writer.Crc();
            writer.U32(whole);
            writer.End();
            byte[] streamed = sink.Bytes.ToArray();
            Assert.Equal(2 + saved.Length + 4, writer.Count);
            Assert.Equal(writer.Count, streamed.Length);
            Assert.Equal(saved, streamed[2..(2 + saved.Length)]);
            // The outer CRC covers the header and the model (with its own CRC), as System.IO.Hashing computes it.
            Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(streamed.AsSpan(0, 2 + saved.Length)), whole);
            Assert.Equal((writer.Count + chunkBytes - 1) / chunkBytes, sink.Chunks); // whole chunks as they fill, the rest at End
        }

        [Fact]
        public void Writing_past_the_end_of_an_array_is_refused_not_truncated()
        {
            Model model = TrainedModel();
            var writer = new ByteWriter();
            writer.Begin(new byte[ModelFile.SizeOf(model) - 1], 0);
            var e = Assert.Throws<ArgumentException>(() => ModelFile.Write(model, writer));
            Assert.Contains("needs more", e.Message);
            Assert.Throws<ArgumentException>(() => ModelFile.Write(model, new byte[ModelFile.SizeOf(model) + 3], 4));
        }

        [Fact]
        public void Round_trip_is_exact()
        {
            Model model = TrainedModel();
            byte[] saved = ModelFile.Save(model);
            Assert.Equal(ModelFile.SizeOf(model), saved.Length);
            Model loaded = ModelFile.Load(saved, saved.Length, -1, false);
            for (int l = 0; l < model.Network.Layers.Length; l++)
            {
                if (model.Network.Layers[l] is not DenseLayer a) { Assert.IsType<ReluLayer>(loaded.Network.Layers[l]); continue; }
                var b = Assert.IsType<DenseLayer>(loaded.Network.Layers[l]);
                Assert.Equal(a.MasterWeights, b.MasterWeights);
                Assert.Equal(a.Weights, b.Weights);
                Assert.Equal(a.Bias, b.Bias);
                Assert.Equal(a.MasterExponent, b.MasterExponent);
                Assert.Equal(a.WeightExponent, b.WeightExponent);
                Assert.Equal(a.BiasExponent, b.BiasExponent);
            }
            Assert.Equal(-5, loaded.Normalizer.InputExponent);
            for (int f = 0; f < 3; f++)
            {
                Assert.Equal(model.Normalizer.Features[f].Offset, loaded.Normalizer.Features[f].Offset);
                Assert.Equal(model.Normalizer.Features[f].Scale.Mantissa, loaded.Normalizer.Features[f].Scale.Mantissa);
                Assert.Equal(model.Normalizer.Features[f].Scale.FractionBits, loaded.Normalizer.Features[f].Scale.FractionBits);
            }
            Assert.Equal(saved, ModelFile.Save(loaded));
            // Same predictions, bit for bit.
            var random = new Random(6);
            for (int s = 0; s < 50; s++)
            {
                QTensor x = TestData.RandomTensor(random, 3, -5);
                model.Network.Input.CopyFrom(x); loaded.Network.Input.CopyFrom(x);
                model.Network.Forward(); loaded.Network.Forward();
                Assert.Equal(model.Network.Output.Data, loaded.Network.Output.Data);
                Assert.Equal(model.Network.Output.Exponent, loaded.Network.Output.Exponent);
            }
        }

        [Fact]
        public void Writing_at_an_offset_gives_the_same_bytes_and_touches_nothing_outside_them()
        {
            Model model = TrainedModel();
            byte[] alone = ModelFile.Save(model);
            byte[] image = new byte[20 + alone.Length + 7];
            for (int i = 0; i < image.Length; i++) image[i] = 0xA5;
            Assert.Equal(alone.Length, ModelFile.Write(model, image, 20));
            Assert.Equal(alone, image[20..(20 + alone.Length)]);
            for (int i = 0; i < 20; i++) Assert.Equal(0xA5, image[i]);
            for (int i = 20 + alone.Length; i < image.Length; i++) Assert.Equal(0xA5, image[i]);
            Assert.Throws<ArgumentException>(() => ModelFile.Write(model, image, 28));
            Assert.Throws<ArgumentException>(() => ModelFile.Write(model, image, -1));
        }

        [Fact]
        public void Every_single_byte_corruption_is_rejected()
        {
            byte[] saved = ModelFile.Save(TrainedModel());
            for (int at = 0; at < saved.Length; at++)
            {
                foreach (byte flip in new byte[] { 0x01, 0x80, 0xFF })
                {
                    byte[] corrupted = (byte[])saved.Clone();
                    corrupted[at] ^= flip;
                    var error = Assert.Throws<ModelFormatException>(() => ModelFile.Load(corrupted, corrupted.Length, -1, false));
                    Assert.False(string.IsNullOrEmpty(error.Message));
                }
            }
        }

        [Fact]
        public void A_version_1_file_without_feature_decimals_still_loads_as_centi_units()
        {
            var scales = new[] { new FeatureScale(2100, ShiftSum.FromRatio(1, 8, 3), 4), new FeatureScale(-5, ShiftSum.FromRatio(3, 4, 3), 2) };
            var model = new Model(Network.CreateMlp(new[] { 2, 3 }, 5, -1, false), new InputNormalizer(scales, -5));
            byte[] v2 = ModelFile.Save(model);
            Assert.Equal(2, v2[4]);
            // Rebuild it as version 1: drop each feature's decimals byte (the last 14·2 bytes before the CRC end with them).
            var v1 = new System.Collections.Generic.List<byte>(v2[..^4]);
            int features = v1.Count - 2 * 14;
            v1.RemoveAt(features + 14 + 13);
            v1.RemoveAt(features + 13);
            v1[4] = 1;
            byte[] payload = System.BitConverter.GetBytes((uint)(v1.Count - ModelFile.HeaderBytes));
            for (int i = 0; i < 4; i++) v1[8 + i] = payload[i];
            byte[] bytes = new byte[v1.Count + 4];
            v1.CopyTo(bytes);
            byte[] crc = System.BitConverter.GetBytes(Crc32.Compute(bytes, 0, v1.Count));
            for (int i = 0; i < 4; i++) bytes[v1.Count + i] = crc[i];
            Model old = ModelFile.Load(bytes, bytes.Length, 0, false);
            Assert.Equal(2100, old.Normalizer.Features[0].Offset);
            Assert.Equal(FeatureScale.DefaultDecimals, old.Normalizer.Features[0].Decimals);
            Assert.Equal(4, ModelFile.Load(v2, v2.Length, 0, false).Normalizer.Features[0].Decimals);
        }

        [Fact]
        public void Truncation_version_and_magic_errors_say_what_is_wrong()
        {
            byte[] saved = ModelFile.Save(TrainedModel());
            for (int length = 0; length < saved.Length; length += 7)
                Assert.Contains("truncated", Assert.Throws<ModelFormatException>(() => ModelFile.Load(saved, length, -1, false)).Message);

            byte[] future = (byte[])saved.Clone();
            future[4] = 3;
            Assert.Contains("version 3", Assert.Throws<ModelFormatException>(() => ModelFile.Load(future, future.Length, -1, false)).Message);

            byte[] notModel = (byte[])saved.Clone();
            notModel[0] = (byte)'X';
            Assert.Contains("TTNM", Assert.Throws<ModelFormatException>(() => ModelFile.Load(notModel, notModel.Length, -1, false)).Message);

            byte[] flipped = (byte[])saved.Clone();
            flipped[40] ^= 4;
            Assert.Contains("CRC", Assert.Throws<ModelFormatException>(() => ModelFile.Load(flipped, flipped.Length, -1, false)).Message);
        }

        [Fact]
        public void Crc32_matches_the_standard_check_value()
        {
            byte[] check = System.Text.Encoding.ASCII.GetBytes("123456789");
            Assert.Equal(0xCBF43926u, Crc32.Compute(check, 0, check.Length));
        }
    }
}
