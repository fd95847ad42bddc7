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

        public FeatureScale(int offset, ShiftSum scale)
        {
            if (scale == null) throw new ArgumentException("a feature needs a scale");
            Offset = offset;
            Scale = scale;
        }
    }
}
