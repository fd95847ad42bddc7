using System;

namespace TinTin.Core
{
    /// <summary>How one raw integer feature becomes an int8 model input: q = round((raw − Offset) · Scale), saturated.</summary>
    public sealed class FeatureScale
    {
        /// <summary>Subtracted first, in the feature's raw fixed-point units (e.g. centi-°C).</summary>
        public readonly int Offset;
        /// <summary>Raw units → input units (2^InputExponent per unit).</summary>
        public readonly ShiftSum Scale;
        /// <summary>The raw fixed point: raw = round(value · 10^Decimals) in the feature's unit (2: centi-units, the version-1 files' fixed ×100).</summary>
        public readonly int Decimals;

        public const int DefaultDecimals = 2;
        public const int MinDecimals = -9, MaxDecimals = 9;

        public FeatureScale(int offset, ShiftSum scale) : this(offset, scale, DefaultDecimals) { }

        public FeatureScale(int offset, ShiftSum scale, int decimals)
        {
            if (scale == null) throw new ArgumentException("a feature needs a scale");
            if (decimals < MinDecimals || decimals > MaxDecimals) throw new ArgumentException("a feature's decimals must be " + MinDecimals + " to " + MaxDecimals + ", not " + decimals);
            Offset = offset;
            Scale = scale;
            Decimals = decimals;
        }
    }
}
