using System;

namespace TinTin.Core
{
    /// <summary>
    /// Maps raw fixed-point features to the model's int8 input tensor at a fixed exponent. Chosen
    /// on the PC when the model is prepared (offset ≈ mean, scale ≈ 2^-InputExponent / std) and
    /// stored in the model file, so board and host normalise identically. Integer only.
    /// </summary>
    public sealed class InputNormalizer
    {
        public readonly FeatureScale[] Features;
        /// <summary>Exponent of the produced int8 inputs (e.g. -5: one unit = 1/32 of a standard deviation).</summary>
        public readonly int InputExponent;

        public InputNormalizer(FeatureScale[] features, int inputExponent)
        {
            if (features == null || features.Length == 0) throw new ArgumentException("a normaliser needs at least one feature");
            if (inputExponent < -30 || inputExponent > 30) throw new ArgumentException("input exponent out of range");
            Features = features;
            InputExponent = inputExponent;
        }

        public int FeatureCount { get { return Features.Length; } }

        /// <summary>Normalises raw[0..FeatureCount) into the input tensor; returns how many values saturated.</summary>
        public int Normalize(int[] raw, QTensor input)
        {
            if (input.Length != Features.Length) throw new ArgumentException("input tensor has " + input.Length + " values, normaliser " + Features.Length);
            int saturated = 0;
            for (int i = 0; i < Features.Length; i++)
            {
                FeatureScale f = Features[i];
                long centred = (long)raw[i] - f.Offset;
                if (centred > int.MaxValue) centred = int.MaxValue;
                if (centred < -int.MaxValue) centred = -int.MaxValue;
                int q = f.Scale.ApplyRounded((int)centred, 0);
                if (q > QMath.Int8Max || q < -QMath.Int8Max) saturated++;
                input.Data[i] = QMath.SaturateToInt8(q);
            }
            input.Exponent = InputExponent;
            return saturated;
        }
    }
}
