using System;
using TinTin.Core;

namespace TinTin.Core.Tests
{
    internal static class TestData
    {
        public static QTensor RandomTensor(Random random, int length, int exponent, double zeroFraction = 0)
        {
            var t = new QTensor(length) { Exponent = exponent };
            for (int i = 0; i < length; i++)
                t.Data[i] = random.NextDouble() < zeroFraction ? (sbyte)0 : (sbyte)random.Next(-127, 128);
            return t;
        }

        /// <summary>
        /// A tensor of the given length from FsCheck values (cut or padded with zeros; -128 becomes -127,
        /// as the engine's int8 range is symmetric): the failing tensor shrinks with the values.
        /// </summary>
        public static QTensor Tensor(sbyte[] values, int length, int exponent)
        {
            var t = new QTensor(length) { Exponent = exponent };
            for (int i = 0; i < length && values != null && i < values.Length; i++) t.Data[i] = values[i] == sbyte.MinValue ? (sbyte)-127 : values[i];
            return t;
        }

        public static sbyte[] RandomInt8(Random random, int length)
        {
            var a = new sbyte[length];
            for (int i = 0; i < length; i++) a[i] = (sbyte)random.Next(-127, 128);
            return a;
        }

        public static double Real(int q, int exponent) => q * Math.Pow(2, exponent);

        /// <summary>A network with random inputs loaded, every channel trainable.</summary>
        public static Network Mlp(int[] sizes, uint seed, bool momentum = false)
        {
            Network net = Network.CreateMlp(sizes, seed, -1, momentum);
            net.SetAllTrainable(true);
            return net;
        }
    }
}
