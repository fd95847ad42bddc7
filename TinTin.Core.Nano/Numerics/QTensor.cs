using System;

namespace TinTin.Core
{
    /// <summary>
    /// An int8 tensor with one power-of-two exponent: real value = Data[i] · 2^Exponent.
    /// Allocated once when the model is built; only its values and exponent change per step.
    /// Shapes are flat: a layer documents how it lays out channels and positions in Data.
    /// </summary>
    public sealed class QTensor
    {
        /// <summary>[Length] int8 values in [-127, 127].</summary>
        public readonly sbyte[] Data;
        public readonly int Length;
        public int Exponent;

        public QTensor(int length)
        {
            if (length <= 0) throw new ArgumentException("tensor length must be positive");
            Data = new sbyte[length];
            Length = length;
        }

        public void Clear()
        {
            Array.Clear(Data, 0, Length);
            Exponent = 0;
        }

        public void CopyFrom(QTensor source)
        {
            if (source.Length != Length) throw new ArgumentException("tensor lengths differ");
            Array.Copy(source.Data, Data, Length);
            Exponent = source.Exponent;
        }

        /// <summary>Bytes of int8 storage.</summary>
        public int Bytes { get { return Length; } }
    }
}
