using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TinTin.Core;

namespace TinTin.Reference
{
    /// <summary>
    /// How the label column becomes class numbers: raw values must be whole numbers 0..K−1, or
    /// go through Map ("0=0,1=1,2=1"; keys may be text too, e.g. "empty=0,busy=1"). Classes fixes
    /// K; without it K = largest class + 1, and a class that never occurs below it, or more than
    /// <see cref="MaxClasses"/> classes, is an error (it is almost always a wrong column or map).
    /// </summary>
    public sealed class LabelSpec
    {
        public const int MaxClasses = 64;

        public string Column { get; set; } = "Occupancy";
        /// <summary>Raw label text (trimmed; numbers compare as numbers) → class; null: the values are the classes.</summary>
        public Dictionary<string, int> Map { get; set; }
        /// <summary>Fixed class count (0: from the data).</summary>
        public int Classes { get; set; }

        public static LabelSpec For(string column, int classes = 0) => new LabelSpec { Column = column, Classes = classes };

        /// <summary>Parses "0=0,1=1,2=1".</summary>
        public static Dictionary<string, int> ParseMap(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            foreach (string pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.LastIndexOf('=');
                if (eq <= 0 || !int.TryParse(pair[(eq + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int cls) || cls >= MaxClasses * 1024)
                    throw new ArgumentException($"--label-map: '{pair}' is not RAW=CLASS (e.g. 0=0,1=1,2=1)");
                string key = Key(pair[..eq]);
                if (map.ContainsKey(key)) throw new ArgumentException($"--label-map maps '{pair[..eq].Trim()}' twice");
                map[key] = cls;
            }
            return map;
        }

        /// <summary>Training data must use every class below its largest; a test set may lack some.</summary>
        public static (int[] Labels, int Classes) ClassesOf(SensorTable table, LabelSpec spec, bool training)
        {
            string[] text = table.Text(spec.Column);
            int n = text.Length;
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                string cell = text[i];
                if (spec.Map != null)
                {
                    if (!spec.Map.TryGetValue(LabelSpec.Key(cell), out labels[i]))
                        throw new ArgumentException($"{table.Path}:{table.Lines[i]}: label '{cell}' in column '{spec.Column}' is not in --label-map ({string.Join(",", spec.Map.Select(p => p.Key + "=" + p.Value))})");
                    continue;
                }
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v != Math.Floor(v) || v < 0 || v > int.MaxValue)
                    throw new ArgumentException($"{table.Path}:{table.Lines[i]}: label '{cell}' in column '{spec.Column}' is not a class number 0, 1, 2, … (map values with --label-map, e.g. 0=0,1=1,2=1)");
                labels[i] = (int)v;
            }
            int max = labels.Max();
            if (spec.Classes > 0)
            {
                if (spec.Classes > 4096) throw new ArgumentException($"--classes {spec.Classes} is too many");
                int at = Array.FindIndex(labels, l => l >= spec.Classes);
                if (at >= 0) throw new ArgumentException($"{table.Path}:{table.Lines[at]}: label {labels[at]} but only {spec.Classes} classes (--classes {spec.Classes}: 0..{spec.Classes - 1})");
                return (labels, spec.Classes);
            }
            int classes = Math.Max(2, max + 1);
            if (classes > LabelSpec.MaxClasses)
                throw new ArgumentException($"{table.Path}: column '{spec.Column}' gives {classes} classes (largest label {max}); more than {LabelSpec.MaxClasses} is almost always the wrong column. Give --classes {classes} if you mean it, or --label-map");
            var seen = new bool[classes];
            foreach (int l in labels) seen[l] = true;
            int[] absent = Enumerable.Range(0, max + 1).Where(c => !seen[c]).ToArray();
            if (absent.Length > 0 && training)
                throw new ArgumentException($"{table.Path}: labels in '{spec.Column}' run 0..{max} but class{(absent.Length > 1 ? "es" : "")} {string.Join(", ", absent.Take(8))} never occur{(absent.Length > 1 ? "" : "s")}; "
                    + $"number the classes from 0 with --label-map (e.g. {string.Join(",", labels.Distinct().OrderBy(l => l).Take(6).Select((l, k) => l + "=" + k))}) or fix the count with --classes {classes}");
            return (labels, classes);
        }

        /// <summary>Numbers compare by value ("1.0" = "1"), text by its trimmed spelling.</summary>
        internal static string Key(string raw)
        {
            raw = raw.Trim();
            return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : raw;
        }
    }

    /// <summary>
    /// Time-ordered labelled sensor rows as raw fixed-point integers, the form a board's feature
    /// pipeline produces. Each feature has its own fixed point, raw = round(value · 10^Decimals[f]),
    /// chosen from the feature's range in the training data (so 0.01 °C steps of a 25 °C reading
    /// and 0.0001 kg/kg of a humidity ratio both keep their resolution) and stored in the model file.
    /// </summary>
    public sealed class SensorDataset
    {
        /// <summary>The largest raw magnitude the chosen decimals give the training data; leaves 1000× headroom to int32.</summary>
        public const int RawTarget = 1_000_000;
        /// <summary>Beyond this a raw value is out of range (the normaliser subtracts an offset of up to the same size).</summary>
        public const int RawLimit = 1 << 30;

        public string[] FeatureNames { get; }
        /// <summary>[Count][FeatureCount] raw fixed-point features.</summary>
        public int[][] Raw { get; }
        public int[] Labels { get; }
        public long[] TimesMs { get; }
        public int ClassCount { get; }
        /// <summary>Per feature: raw = round(value · 10^Decimals).</summary>
        public int[] Decimals { get; }
        /// <summary>Sensor node per row (all 0 without a group column).</summary>
        public int[] Groups { get; }
        public int Count => Labels.Length;
        public int FeatureCount => FeatureNames.Length;

        public SensorDataset(string[] featureNames, int[][] raw, int[] labels, long[] timesMs, int classCount, int[] decimals = null, int[] groups = null)
        {
            FeatureNames = featureNames; Raw = raw; Labels = labels; TimesMs = timesMs; ClassCount = classCount;
            Decimals = decimals ?? Enumerable.Repeat(FeatureScale.DefaultDecimals, featureNames.Length).ToArray();
            Groups = groups ?? new int[labels.Length];
        }

        /// <summary>Feature columns and a label column; labels are whole numbers 0..K−1 (classCount ≤ 0: K from the data).</summary>
        public static SensorDataset FromTable(SensorTable table, string[] featureColumns, string labelColumn, int classCount = 0)
            => FromTable(table, featureColumns, LabelSpec.For(labelColumn, classCount));

        /// <summary>
        /// Feature columns and labels of a table. decimals: the training set's fixed point (for a
        /// test set; null: choose from this data). A value that does not fit the fixed point is an
        /// error naming the line and the column.
        /// </summary>
        public static SensorDataset FromTable(SensorTable table, string[] featureColumns, LabelSpec labels, int[] decimals = null)
        {
            if (featureColumns == null || featureColumns.Length == 0) throw new ArgumentException("name at least one feature column");
            if (labels?.Column == null) throw new ArgumentException("name the label column");
            foreach (string f in featureColumns)
            {
                if (string.Equals(f.Trim(), labels.Column.Trim(), StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException($"{table.Path}: the label column '{labels.Column}' cannot also be a feature");
                if (table.Options.Group != null && string.Equals(f.Trim(), table.Options.Group.Trim(), StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException($"{table.Path}: the group column '{f}' cannot also be a feature");
            }
            var duplicate = featureColumns.GroupBy(f => f.Trim(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null) throw new ArgumentException($"feature '{duplicate.Key}' is named twice");
            table = table.Using(featureColumns.Append(labels.Column).ToArray());
            double[][] columns = featureColumns.Select(table.Column).ToArray();
            bool training = decimals == null;
            decimals ??= columns.Select(ChooseDecimals).ToArray();
            if (decimals.Length != columns.Length) throw new ArgumentException($"{decimals.Length} fixed points for {columns.Length} features");
            int n = table.RowCount;
            var raw = new int[n][];
            for (int i = 0; i < n; i++)
            {
                raw[i] = new int[columns.Length];
                for (int f = 0; f < columns.Length; f++)
                {
                    double scaled = Math.Round(columns[f][i] * Math.Pow(10, decimals[f]), MidpointRounding.AwayFromZero);
                    if (Math.Abs(scaled) > RawLimit)
                        throw new ArgumentException($"{table.Path}:{table.Lines[i]}: column '{featureColumns[f]}' = {columns[f][i].ToString(CultureInfo.InvariantCulture)} is out of range: "
                            + $"the fixed point ×10^{decimals[f]} chosen from the training data holds at most ±{(RawLimit / Math.Pow(10, decimals[f])).ToString("G4", CultureInfo.InvariantCulture)}");
                    raw[i][f] = (int)scaled;
                }
            }
            (int[] labelValues, int classes) = LabelSpec.ClassesOf(table, labels, training);
            long[] times = table.TimestampsMs ?? Enumerable.Range(0, n).Select(i => (long)i * 60000).ToArray();
            return new SensorDataset(featureColumns, raw, labelValues, times, classes, decimals, table.GroupIds);
        }

        /// <summary>The largest power of ten (−6..9) that keeps the column's largest magnitude within <see cref="RawTarget"/>.</summary>
        public static int ChooseDecimals(double[] values)
        {
            double max = 0;
            foreach (double v in values) max = Math.Max(max, Math.Abs(v));
            if (max == 0) return FeatureScale.DefaultDecimals;
            int d = 9;
            while (d > -6 && max * Math.Pow(10, d) > RawTarget) d--;
            return d;
        }

        /// <summary>
        /// A training and a test set: testPath's rows (null: the rows of path after the first
        /// split fraction, or row number when split ≥ 1, in file order). The training rows fix
        /// the fixed point and the class count; a test label beyond it is an error asking for --classes.
        /// </summary>
        public static (SensorDataset Train, SensorDataset Test) LoadSplit(string path, string testPath, double split, CsvOptions csv, string[] features, LabelSpec labels)
        {
            SensorTable table = SensorTable.Load(path, csv).Using(features.Append(labels.Column).ToArray());
            if (testPath == null)
            {
                foreach (string f in features) table.Column(f); // a bad cell is reported before the split is judged
                int cut = split < 1 ? (int)Math.Round(table.RowCount * split) : (int)split;
                if (cut < 1 || cut >= table.RowCount)
                    throw new ArgumentException($"{path}: {table.RowCount} rows are too few to split at {split.ToString(CultureInfo.InvariantCulture)} (row {cut})");
                SensorDataset train = FromTable(table.Slice(0, cut), features, labels);
                var testLabels = new LabelSpec { Column = labels.Column, Map = labels.Map, Classes = train.ClassCount };
                return (train, FromTable(table.Slice(cut, table.RowCount - cut), features, testLabels, train.Decimals));
            }
            SensorDataset a = FromTable(table, features, labels);
            SensorTable testTable = SensorTable.Load(testPath, csv);
            var spec = new LabelSpec { Column = labels.Column, Map = labels.Map, Classes = a.ClassCount };
            try { return (a, FromTable(testTable, features, spec, a.Decimals)); }
            catch (ArgumentException e) when (labels.Classes == 0 && e.Message.Contains("classes (--classes"))
            {
                throw new ArgumentException(e.Message + $"; the training data {path} has {a.ClassCount} classes: give --classes N for all of them");
            }
        }

        public SensorDataset Slice(int start, int count) => new SensorDataset(FeatureNames,
            Raw.Skip(start).Take(count).ToArray(), Labels.Skip(start).Take(count).ToArray(),
            TimesMs.Skip(start).Take(count).ToArray(), ClassCount, Decimals, Groups.Skip(start).Take(count).ToArray());

        /// <summary>The same rows with another class count (a test set with classes the training set lacks).</summary>
        public SensorDataset WithClasses(int classes)
        {
            if (Labels.Length > 0 && Labels.Max() >= classes) throw new ArgumentException($"label {Labels.Max()} but only {classes} classes");
            return new SensorDataset(FeatureNames, Raw, Labels, TimesMs, classes, Decimals, Groups);
        }
    }
}
