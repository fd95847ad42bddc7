using System;
using TinTin.Core;

namespace TinTin.Reference
{
    /// <summary>A labelled set of int8 input vectors sharing one exponent: what the engine trains on.</summary>
    public sealed class QDataset
    {
        /// <summary>[Count][InputLength] int8 inputs.</summary>
        public sbyte[][] Inputs { get; }
        public int Exponent { get; }
        public int[] Labels { get; }
        public int ClassCount { get; }
        public int Count => Labels.Length;
        public int InputLength => Inputs.Length == 0 ? 0 : Inputs[0].Length;

        public QDataset(sbyte[][] inputs, int exponent, int[] labels, int classCount)
        {
            if (inputs.Length != labels.Length) throw new ArgumentException($"{inputs.Length} inputs but {labels.Length} labels");
            foreach (int label in labels)
                if (label < 0 || label >= classCount) throw new ArgumentException($"label {label} is outside 0..{classCount - 1}");
            Inputs = inputs; Exponent = exponent; Labels = labels; ClassCount = classCount;
        }

        /// <summary>Copies sample i into the network's input tensor.</summary>
        public void Load(int i, QTensor input)
        {
            Array.Copy(Inputs[i], input.Data, input.Length);
            input.Exponent = Exponent;
        }

        /// <summary>Real value of input j of sample i.</summary>
        public double RealInput(int i, int j) => Inputs[i][j] * Math.Pow(2, Exponent);

        /// <summary>Raw fixed-point sensor rows through a normaliser.</summary>
        public static QDataset FromSensorRows(SensorDataset data, InputNormalizer normalizer)
        {
            var inputs = new sbyte[data.Count][];
            var tensor = new QTensor(normalizer.FeatureCount);
            for (int i = 0; i < data.Count; i++)
            {
                normalizer.Normalize(data.Raw[i], tensor);
                inputs[i] = (sbyte[])tensor.Data.Clone();
            }
            return new QDataset(inputs, normalizer.InputExponent, (int[])data.Labels.Clone(), data.ClassCount);
        }
    }
}
