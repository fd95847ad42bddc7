using System;
using System.Linq;

namespace TinTin.Reference
{
    /// <summary>
    /// Time-ordered labelled sensor rows as raw fixed-point integers (value × 100, i.e. centi-units:
    /// centi-°C, centi-%RH, …), the form a board's feature pipeline produces.
    /// </summary>
    public sealed class SensorDataset
    {
        public const int FixedPointScale = 100;

        public string[] FeatureNames { get; }
        /// <summary>[Count][FeatureCount] raw fixed-point features.</summary>
        public int[][] Raw { get; }
        public int[] Labels { get; }
        public long[] TimesMs { get; }
        public int ClassCount { get; }
        public int Count => Labels.Length;
        public int FeatureCount => FeatureNames.Length;

        public SensorDataset(string[] featureNames, int[][] raw, int[] labels, long[] timesMs, int classCount)
        {
            FeatureNames = featureNames; Raw = raw; Labels = labels; TimesMs = timesMs; ClassCount = classCount;
        }

        /// <summary>
        /// Feature columns and a label column of a table. Labels must be whole numbers 0..K−1;
        /// classCount ≤ 0 takes K from the data (max label + 1).
        /// </summary>
        public static SensorDataset FromTable(SensorTable table, string[] featureColumns, string labelColumn, int classCount = 0)
        {
            if (featureColumns == null || featureColumns.Length == 0) throw new ArgumentException("name at least one feature column");
            double[][] columns = featureColumns.Select(table.Column).ToArray();
            double[] labelValues = table.Column(labelColumn);
            int n = table.RowCount;
            var raw = new int[n][];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                raw[i] = new int[columns.Length];
                for (int f = 0; f < columns.Length; f++)
                {
                    double scaled = Math.Round(columns[f][i] * FixedPointScale);
                    if (scaled > int.MaxValue / 2 || scaled < int.MinValue / 2)
                        throw new ArgumentException($"{table.Path}: row {i + 1} column '{featureColumns[f]}' = {columns[f][i]} is too large for fixed point");
                    raw[i][f] = (int)scaled;
                }
                double label = labelValues[i];
                if (label != Math.Floor(label) || label < 0)
                    throw new ArgumentException($"{table.Path}: row {i + 1} label '{labelColumn}' = {label} is not a class number 0, 1, 2, …");
                labels[i] = (int)label;
            }
            int classes = classCount > 0 ? classCount : Math.Max(2, labels.Max() + 1);
            if (labels.Max() >= classes) throw new ArgumentException($"{table.Path}: label {labels.Max()} but only {classes} classes");
            long[] times = table.TimestampsMs ?? Enumerable.Range(0, n).Select(i => (long)i * 60000).ToArray();
            return new SensorDataset(featureColumns, raw, labels, times, classes);
        }

        public SensorDataset Slice(int start, int count) => new SensorDataset(FeatureNames,
            Raw.Skip(start).Take(count).ToArray(), Labels.Skip(start).Take(count).ToArray(),
            TimesMs.Skip(start).Take(count).ToArray(), ClassCount);
    }
}
