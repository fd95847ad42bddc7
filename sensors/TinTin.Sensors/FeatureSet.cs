using System;

namespace TinTin.Sensors
{
    /// <summary>
    /// The raw features a model can use. Ids are stable (they are stored with the model by the
    /// prepare step): never renumber, only append. Every feature is an int32 in the fixed-point
    /// unit given below; the engine's InputNormalizer maps it to the int8 input.
    ///
    /// | id | name | unit | warm-up |
    /// |---|---|---|---|
    /// | 0 | Temperature | 0.01 °C | 1 |
    /// | 1 | Humidity | 0.01 %RH | 1 |
    /// | 2 | Pressure | Pa (needs a barometer) | 1 |
    /// | 3 | TemperatureDelta | 0.01 °C, this sample − previous | 2 |
    /// | 4 | HumidityDelta | 0.01 %RH, this − previous | 2 |
    /// | 5 | HumidityRatio | mg/kg (kg water / kg dry air × 1e6), Magnus, measured or standard pressure | 1 |
    /// | 6 | TemperatureMean | 0.01 °C, mean of the last W samples | W |
    /// | 7 | HumidityMean | 0.01 %RH, mean of the last W | W |
    /// | 8 | HumidityRatioMean | mg/kg, mean of the last W | W |
    /// | 9 | TemperatureTrend | 0.01 °C, newest − oldest of the last W (change over W−1 steps) | W |
    /// | 10 | HumidityTrend | 0.01 %RH, newest − oldest of the last W | W |
    /// | 11 | HumidityRatioTrend | mg/kg, newest − oldest of the last W | W |
    /// | 12 | HumidityRatioDelta | mg/kg, this − previous | 2 |
    /// | 13 | TemperatureStdDev | 0.01 °C, population standard deviation of the last W | W |
    /// | 14 | HumidityStdDev | 0.01 %RH, population standard deviation of the last W | W |
    /// | 15 | PressureDelta | Pa, this − previous (needs a barometer) | 2 |
    /// | 16 | PressureMean | Pa, mean of the last W (needs a barometer) | W |
    /// | 17 | PressureTrend | Pa, newest − oldest of the last W (needs a barometer) | W |
    ///
    /// W is the pipeline's window (samples). Means and standard deviations are rounded to the
    /// nearest unit. Warm-up is how many accepted samples the feature needs before it is defined.
    /// </summary>
    public static class FeatureSet
    {
        public const int Temperature = 0, Humidity = 1, Pressure = 2, TemperatureDelta = 3, HumidityDelta = 4,
            HumidityRatio = 5, TemperatureMean = 6, HumidityMean = 7, HumidityRatioMean = 8,
            TemperatureTrend = 9, HumidityTrend = 10, HumidityRatioTrend = 11, HumidityRatioDelta = 12,
            TemperatureStdDev = 13, HumidityStdDev = 14, PressureDelta = 15, PressureMean = 16, PressureTrend = 17;

        /// <summary>Number of defined ids (valid ids are 0..Count-1).</summary>
        public const int Count = 18;

        // Names and units as switches, not static string arrays: nanoCLR runs every static constructor at start-up,
        // so a string[] table and its strings would hold board heap for the whole run (about 0.9 KB for the two).
        private static string NameOf(int feature)
        {
            switch (feature)
            {
                case 0: return "Temperature";
                case 1: return "Humidity";
                case 2: return "Pressure";
                case 3: return "TemperatureDelta";
                case 4: return "HumidityDelta";
                case 5: return "HumidityRatio";
                case 6: return "TemperatureMean";
                case 7: return "HumidityMean";
                case 8: return "HumidityRatioMean";
                case 9: return "TemperatureTrend";
                case 10: return "HumidityTrend";
                case 11: return "HumidityRatioTrend";
                case 12: return "HumidityRatioDelta";
                case 13: return "TemperatureStdDev";
                case 14: return "HumidityStdDev";
                case 15: return "PressureDelta";
                case 16: return "PressureMean";
                case 17: return "PressureTrend";
                default: return null;
            }
        }

        // [Count] raw fixed-point units, in id order.
        private static string UnitOf(int feature)
        {
            switch (feature)
            {
                case 0: return "0.01C";
                case 1: return "0.01%RH";
                case 2: return "Pa";
                case 3: return "0.01C";
                case 4: return "0.01%RH";
                case 5: return "mg/kg";
                case 6: return "0.01C";
                case 7: return "0.01%RH";
                case 8: return "mg/kg";
                case 9: return "0.01C";
                case 10: return "0.01%RH";
                case 11: return "mg/kg";
                case 12: return "mg/kg";
                case 13: return "0.01C";
                case 14: return "0.01%RH";
                case 15: return "Pa";
                case 16: return "Pa";
                case 17: return "Pa";
                default: return null;
            }
        }

        public static bool IsValid(int feature) { return feature >= 0 && feature < Count; }

        /// <summary>The feature's name, e.g. "HumidityRatio"; throws ArgumentException for an unknown id.</summary>
        public static string Name(int feature)
        {
            Check(feature);
            return NameOf(feature);
        }

        /// <summary>The raw fixed-point unit, e.g. "0.01C", "mg/kg".</summary>
        public static string Unit(int feature)
        {
            Check(feature);
            return UnitOf(feature);
        }

        /// <summary>The id of a name (case-insensitive); throws ArgumentException naming the valid names.</summary>
        public static int Parse(string name)
        {
            if (name == null) throw new ArgumentException("feature name is null");
            string lower = name.Trim().ToLower();
            for (int i = 0; i < Count; i++)
                if (NameOf(i).ToLower() == lower) return i;
            string all = "";
            for (int i = 0; i < Count; i++) all = all + (i == 0 ? "" : ", ") + NameOf(i);
            throw new ArgumentException("unknown feature '" + name + "'; known: " + all);
        }

        /// <summary>True for the features that need a barometer (the source's HasPressure).</summary>
        public static bool NeedsPressure(int feature)
        {
            return feature == Pressure || feature == PressureDelta || feature == PressureMean || feature == PressureTrend;
        }

        /// <summary>How many accepted samples the feature needs before it is defined (see the table).</summary>
        public static int WarmUpSamples(int feature, int windowSamples)
        {
            Check(feature);
            switch (feature)
            {
                case Temperature: case Humidity: case Pressure: case HumidityRatio: return 1;
                case TemperatureDelta: case HumidityDelta: case HumidityRatioDelta: case PressureDelta: return 2;
                default: return windowSamples;
            }
        }

        /// <summary>A good default for the occupancy task without a barometer (new array each call).</summary>
        public static int[] OccupancyDefault()
        {
            return new int[] { Temperature, Humidity, HumidityRatio, TemperatureDelta, HumidityDelta, HumidityRatioTrend, TemperatureTrend, HumidityStdDev };
        }

        private static void Check(int feature)
        {
            if (feature < 0 || feature >= Count)
                throw new ArgumentException("unknown feature id " + feature.ToString() + " (valid: 0.." + (Count - 1).ToString() + ")");
        }
    }
}
