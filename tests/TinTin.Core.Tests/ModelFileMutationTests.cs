using System;
using System.Collections.Generic;
using System.Globalization;
using TinTin.Core;
using Xunit;
using Xunit.Abstractions;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// ModelFile.Load against hostile blobs: every failure is a ModelFormatException that names
    /// the field, nothing is allocated before the sizes are proved, and training cannot push an
    /// exponent out of what the file can hold.
    /// </summary>
    public class ModelFileMutationTests
    {
        private readonly ITestOutputHelper output;
        public ModelFileMutationTests(ITestOutputHelper output) { this.output = output; }

        private static byte[] Hex(string hex)
        {
            var bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = byte.Parse(hex.Substring(2 * i, 2), NumberStyles.HexNumber);
            return bytes;
        }

        /// <summary>Sets the payload length and the CRC so that only the content is wrong.</summary>
        private static byte[] Reseal(byte[] blob)
        {
            if (blob.Length < ModelFile.HeaderBytes + 4) return blob;
            LittleEndian.PutU32(blob, 8, (uint)(blob.Length - ModelFile.HeaderBytes - 4));
            int end = blob.Length - 4;
            LittleEndian.PutU32(blob, end, Crc32.Compute(blob, 0, end));
            return blob;
        }

        private static Model SmallModel(uint seed)
        {
            Network net = TestData.Mlp(new[] { 3, 8, 2 }, seed);
            var normalizer = new InputNormalizer(new[]
            {
                new FeatureScale(2150, ShiftSum.FromRatio(32, 150, 4)),
                new FeatureScale(2700, ShiftSum.FromRatio(32, 500, 4)),
                new FeatureScale(-3, ShiftSum.FromRatio(1, 1, 1)),
            }, -5);
            return new Model(net, normalizer);
        }

        [Theory]
        [InlineData("54544e4d010000000a000000010001ffffffff000000fda07010", "layer 0 weights: 65535x65535")]
        [InlineData("54544e4d010000000c000000010001feff0080000000000014b6b51a", "layer 0 weights: 65534x32768")]
        [InlineData("54544e4d01000000170000000100020900090001006d1d06000000000001000000001bd1116c23", "layer 0")]
        public void The_three_reproducers_are_model_format_errors_naming_the_field(string hex, string field)
        {
            byte[] blob = Hex(hex);
            var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(blob, blob.Length, -1, false));
            output.WriteLine(e.Message);
            Assert.StartsWith(field, e.Message);
        }

        [Fact]
        public void The_input_exponent_reproducer_is_named_once_the_layers_are_valid()
        {
            // reproducer 3's normaliser (input exponent 0x6d = 109) behind a valid network
            byte[] blob = ModelFile.Save(SmallModel(3));
            int exponentAt = blob.Length - 4 - 14 * 3 - 1; // 14 bytes per feature since format version 2
            blob[exponentAt] = 0x6d;
            Reseal(blob);
            var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(blob, blob.Length, -1, false));
            Assert.Equal("normaliser input exponent: 109 is outside -30..30", e.Message);
        }

        [Fact]
        public void A_model_larger_than_the_callers_limit_is_refused_before_allocation()
        {
            byte[] blob = ModelFile.Save(new Model(TestData.Mlp(new[] { 64, 64, 10 }, 1), null));
            Assert.NotNull(ModelFile.Load(blob, blob.Length, -1, false, 200_000));
            var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(blob, blob.Length, -1, false, 20_000));
            Assert.StartsWith("model size: loading it takes about ", e.Message);
            Assert.EndsWith("the limit is 20000", e.Message);
        }

        [Theory]
        [InlineData(0, 122, "layer 0 master exponent: 122 is outside -100..85")]
        [InlineData(0, -101, "layer 0 master exponent: -101 is outside -100..85")]
        [InlineData(1, 101, "layer 0 weight exponent: 101 is outside -100..100")]
        [InlineData(2, -128, "layer 0 bias exponent: -128 is outside -100..100")]
        public void Exponents_outside_their_range_are_refused(int which, int value, string message)
        {
            byte[] blob = ModelFile.Save(SmallModel(4));
            int first = ModelFile.HeaderBytes + 2 + 5; // layer 0's exponents
            if (which == 0) blob[first + 1] = (byte)(sbyte)(value + 3); // keep the weight shift valid
            blob[first + which] = (byte)(sbyte)value;
            Reseal(blob);
            Assert.Equal(message, Assert.Throws<ModelFormatException>(() => ModelFile.Load(blob, blob.Length, -1, false)).Message);
        }

        [Fact]
        public void Training_at_the_largest_exponents_keeps_the_model_reloadable()
        {
            Model model = SmallModel(5);
            foreach (Layer layer in model.Network.Layers)
            {
                if (layer is not DenseLayer dense) continue;
                dense.MasterExponent = ParameterLayer.MaxMasterExponent;
                dense.BiasExponent = ParameterLayer.MaxExponent;
                for (int i = 0; i < dense.MasterWeights.Length; i++) dense.MasterWeights[i] = (short)(i % 2 == 0 ? 32000 : -32000);
                for (int i = 0; i < dense.Bias.Length; i++) dense.Bias[i] = int.MaxValue / 2;
                dense.RefreshInt8Weights();
            }
            byte[] blob = ModelFile.Save(model);
            Model loaded = ModelFile.Load(blob, blob.Length, -1, false);
            var random = new Random(9);
            ShiftSum lr = ShiftSum.FromRatio(1, 1, 3);
            for (int step = 0; step < 20; step++)
            {
                for (int s = 0; s < 4; s++)
                {
                    loaded.Network.Input.CopyFrom(TestData.RandomTensor(random, 3, 20));
                    loaded.Network.TrainSample(random.Next(2));
                }
                loaded.Network.Step(lr, null);
            }
            foreach (Layer layer in loaded.Network.Layers)
            {
                if (layer is not DenseLayer dense) continue;
                Assert.InRange(dense.MasterExponent, ParameterLayer.MinExponent, ParameterLayer.MaxMasterExponent);
                Assert.InRange(dense.WeightExponent, ParameterLayer.MinExponent, ParameterLayer.MaxExponent);
                Assert.InRange(dense.BiasExponent, ParameterLayer.MinExponent, ParameterLayer.MaxExponent);
            }
            byte[] again = ModelFile.Save(loaded);
            Assert.Equal(again, ModelFile.Save(ModelFile.Load(again, again.Length, -1, false)));
        }

        /// <summary>
        /// Mutations of valid blobs: bit flips, byte overwrites, truncation, extension, insertion and
        /// deletion, and field-aware header/layer/normaliser mutations with the payload length and CRC
        /// recomputed (so the loader's checks, not the CRC, must catch them). Each result is either a
        /// ModelFormatException or a model that predicts and round-trips. TINTIN_MODEL_MUTATIONS sets
        /// the count (the full run: 100000 or more); CI runs 4000.
        /// </summary>
        [Fact]
        public void Mutated_blobs_give_a_model_or_a_model_format_exception_and_nothing_else()
        {
            int count = int.TryParse(Environment.GetEnvironmentVariable("TINTIN_MODEL_MUTATIONS"), out int n) && n > 0 ? n : 4000;
            var seeds = new List<byte[]>
            {
                ModelFile.Save(SmallModel(1)),
                ModelFile.Save(new Model(TestData.Mlp(new[] { 4, 6, 6, 3 }, 2), null)),
                ModelFile.Save(new Model(TestData.Mlp(new[] { 2, 2 }, 3), null)),
            };
            var random = new Random(20261201);
            int loaded = 0, rejected = 0, resealed = 0;
            var other = new List<string>();
            for (int m = 0; m < count; m++)
            {
                byte[] seed = seeds[m % seeds.Count];
                byte[] blob = Mutate(seed, random, out bool reseal);
                if (reseal) { Reseal(blob); resealed++; }
                // Shape checks what Load checks but the heap: whenever Load builds a model, Shape named its shape.
                int shapeInputs = -1, shapeClasses = -1;
                try { ModelFile.Shape(blob, blob.Length, out shapeInputs, out shapeClasses); }
                catch (ModelFormatException) { shapeInputs = -1; }
                try
                {
                    Model model = ModelFile.Load(blob, blob.Length, -1, random.Next(2) == 0, 1 << 20);
                    Assert.Equal((model.Network.InputLength, model.Network.ClassCount), (shapeInputs, shapeClasses));
                    for (int i = 0; i < model.Network.Input.Length; i++) model.Network.Input.Data[i] = (sbyte)random.Next(-127, 128);
                    int predicted = model.Network.Predict();
                    Assert.InRange(predicted, 0, model.Network.ClassCount - 1);
                    byte[] saved = ModelFile.Save(model);
                    Assert.Equal(saved, ModelFile.Save(ModelFile.Load(saved, saved.Length, -1, false)));
                    loaded++;
                }
                catch (ModelFormatException e)
                {
                    Assert.False(string.IsNullOrWhiteSpace(e.Message));
                    Assert.DoesNotContain("model rejected: ", e.Message); // the defence-in-depth catch must never be what catches
                    rejected++;
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    if (other.Count < 5) other.Add(e.GetType().Name + ": " + e.Message + " on " + Convert.ToHexString(blob));
                }
            }
            output.WriteLine(count + " mutations (" + resealed + " with the CRC recomputed): " + loaded + " loaded, " + rejected + " ModelFormatException, " + other.Count + " other");
            Assert.True(other.Count == 0, string.Join("\n", other));
            Assert.True(resealed > count / 2);
            Assert.True(loaded > 0 && rejected > 0);
        }

        private static byte[] Mutate(byte[] seed, Random random, out bool reseal)
        {
            byte[] blob = (byte[])seed.Clone();
            reseal = random.Next(10) < 8;
            int kind = random.Next(10);
            switch (kind)
            {
                case 0: // flip 1..4 bits anywhere
                    for (int k = random.Next(1, 5); k > 0; k--) blob[random.Next(blob.Length)] ^= (byte)(1 << random.Next(8));
                    return blob;
                case 1: // overwrite bytes with extreme values
                    for (int k = random.Next(1, 4); k > 0; k--) blob[random.Next(blob.Length)] = new byte[] { 0, 0xFF, 0x7F, 0x80, 0x01, 0xFE }[random.Next(6)];
                    return blob;
                case 2: // truncate
                    return blob.AsSpan(0, random.Next(blob.Length)).ToArray();
                case 3: // extend
                    {
                        var longer = new byte[blob.Length + random.Next(1, 64)];
                        Array.Copy(blob, longer, blob.Length);
                        for (int i = blob.Length; i < longer.Length; i++) longer[i] = (byte)random.Next(256);
                        return longer;
                    }
                case 4: // insert or delete a run inside the payload
                    {
                        int at = random.Next(ModelFile.HeaderBytes, blob.Length - 4);
                        int len = random.Next(1, 9);
                        var list = new List<byte>(blob);
                        if (random.Next(2) == 0) list.InsertRange(at, new byte[len]);
                        else list.RemoveRange(at, Math.Min(len, blob.Length - 4 - at));
                        return list.ToArray();
                    }
                case 5: // header fields: magic, version, flags, payload length
                    {
                        int field = random.Next(4);
                        if (field == 0) blob[random.Next(4)] ^= (byte)(1 << random.Next(8));
                        else if (field == 1) LittleEndian.PutU16(blob, 4, random.Next(4));
                        else if (field == 2) LittleEndian.PutU16(blob, 6, 1 << random.Next(16));
                        else { LittleEndian.PutU32(blob, 8, (uint)random.Next()); reseal = false; LittleEndian.PutU32(blob, blob.Length - 4, Crc32.Compute(blob, 0, blob.Length - 4)); }
                        return blob;
                    }
                default: // field-aware: layer count, kinds, lengths, exponents, weights, normaliser
                    {
                        reseal = true;
                        int at = ModelFile.HeaderBytes;
                        int layers = LittleEndian.GetU16(seed, at);
                        var offsets = new List<(int Kind, int Offset, int In, int Out)>();
                        at += 2;
                        for (int l = 0; l < layers; l++)
                        {
                            int k = seed[at], i = LittleEndian.GetU16(seed, at + 1), o = LittleEndian.GetU16(seed, at + 3);
                            offsets.Add((k, at, i, o));
                            at += 5 + (k == (int)LayerKind.Dense ? 3 + 2 * i * o + 4 * o : 0);
                        }
                        int normaliser = at;
                        int choice = random.Next(8);
                        var layer = offsets[random.Next(offsets.Count)];
                        int[] extremes = { 0, 1, 2, 255, 256, 32767, 32768, 65534, 65535 };
                        switch (choice)
                        {
                            case 0: LittleEndian.PutU16(blob, ModelFile.HeaderBytes, extremes[random.Next(extremes.Length)] % 70); break;
                            case 1: blob[layer.Offset] = (byte)random.Next(5); break;
                            case 2: LittleEndian.PutU16(blob, layer.Offset + 1, extremes[random.Next(extremes.Length)]); break;
                            case 3: LittleEndian.PutU16(blob, layer.Offset + 3, extremes[random.Next(extremes.Length)]); break;
                            case 4:
                                if (layer.Kind == (int)LayerKind.Dense) blob[layer.Offset + 5 + random.Next(3)] = (byte)(sbyte)random.Next(-128, 128);
                                break;
                            case 5:
                                if (layer.Kind == (int)LayerKind.Dense)
                                {
                                    int w = layer.Offset + 8 + 2 * random.Next(layer.In * layer.Out);
                                    LittleEndian.PutU16(blob, w, new ushort[] { 0x8000, 0x7FFF, 0x8001, 0 }[random.Next(4)]);
                                }
                                break;
                            case 6: LittleEndian.PutU16(blob, normaliser, extremes[random.Next(extremes.Length)] % 10); break;
                            default:
                                {
                                    int features = LittleEndian.GetU16(seed, normaliser);
                                    if (features == 0) { blob[normaliser] = 3; break; }
                                    int p = normaliser + 2;
                                    int field = random.Next(6);
                                    if (field == 0) blob[p] = (byte)(sbyte)random.Next(-128, 128);
                                    else
                                    {
                                        int f = p + 1 + 14 * random.Next(features);
                                        if (field == 1) LittleEndian.PutU32(blob, f, (uint)random.Next(int.MinValue, int.MaxValue));
                                        else if (field == 2) LittleEndian.PutU32(blob, f + 4, (uint)random.Next(int.MinValue, int.MaxValue));
                                        else if (field == 3) LittleEndian.PutU32(blob, f + 8, LittleEndian.GetU32(blob, f + 4));
                                        else if (field == 4) blob[f + 12] = (byte)random.Next(256);
                                        else blob[f + 13] = (byte)random.Next(256);
                                    }
                                    break;
                                }
                        }
                        return blob;
                    }
            }
        }
    }
}
