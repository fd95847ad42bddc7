using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TinTin.Reference
{
    /// <summary>
    /// What a classifier did on a labelled set: confusion matrix, accuracy, balanced accuracy (mean
    /// recall over the classes that occur), per-class recall, the majority-class rate (what always
    /// guessing the commonest class scores) and whether only one class was ever predicted.
    /// </summary>
    public sealed class ClassMetrics
    {
        /// <summary>[truth][predicted] counts.</summary>
        public long[][] Confusion { get; }
        public int Classes => Confusion.Length;
        public long Count { get; private set; }

        public ClassMetrics(int classes)
        {
            if (classes < 1) throw new ArgumentException("at least one class");
            Confusion = new long[classes][];
            for (int i = 0; i < classes; i++) Confusion[i] = new long[classes];
        }

        public void Add(int truth, int predicted)
        {
            if (truth < 0 || truth >= Classes) throw new ArgumentException($"true class {truth} is outside 0..{Classes - 1}");
            if (predicted < 0 || predicted >= Classes) throw new ArgumentException($"predicted class {predicted} is outside 0..{Classes - 1}");
            Confusion[truth][predicted]++;
            Count++;
        }

        public static ClassMetrics Of(int classes, IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
        {
            if (truth.Count != predicted.Count) throw new ArgumentException($"{truth.Count} labels but {predicted.Count} predictions");
            var m = new ClassMetrics(classes);
            for (int i = 0; i < truth.Count; i++) m.Add(truth[i], predicted[i]);
            return m;
        }

        public long Correct { get { long c = 0; for (int i = 0; i < Classes; i++) c += Confusion[i][i]; return c; } }
        public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
        public long TruthCount(int c) => Confusion[c].Sum();
        public long PredictedCount(int c) { long n = 0; for (int t = 0; t < Classes; t++) n += Confusion[t][c]; return n; }

        /// <summary>Recall of class c, or null when c never occurs.</summary>
        public double? Recall(int c) { long n = TruthCount(c); return n == 0 ? null : (double)Confusion[c][c] / n; }
        public double?[] PerClassRecall => Enumerable.Range(0, Classes).Select(Recall).ToArray();
        public double BalancedAccuracy { get { double[] r = PerClassRecall.Where(x => x.HasValue).Select(x => x.Value).ToArray(); return r.Length == 0 ? 0 : r.Average(); } }
        public int MajorityClass => Enumerable.Range(0, Classes).OrderByDescending(TruthCount).ThenBy(c => c).First();
        /// <summary>Accuracy of always answering the commonest true class.</summary>
        public double MajorityRate => Count == 0 ? 0 : (double)TruthCount(MajorityClass) / Count;
        public int ClassesPredicted => Enumerable.Range(0, Classes).Count(c => PredictedCount(c) > 0);
        /// <summary>True when the model answered one class throughout (on a set with more than one class): its accuracy is only the class share.</summary>
        public bool PredictsOneClass => Count > 0 && ClassesPredicted == 1 && Enumerable.Range(0, Classes).Count(c => TruthCount(c) > 0) > 1;

        public static string Pct(double v) => (v * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";

        /// <summary>One line: accuracy, balanced accuracy, majority rate.</summary>
        public string Summary() =>
            $"accuracy {Pct(Accuracy)}, balanced accuracy {Pct(BalancedAccuracy)}, majority class {MajorityClass} is {Pct(MajorityRate)} of {Count} rows";

        /// <summary>Summary, per-class recall, the confusion matrix and the one-class warning, each line indented.</summary>
        public string Format(string indent = "  ")
        {
            var w = new StringBuilder();
            w.Append(indent).Append(Summary()).Append('\n');
            w.Append(indent).Append("recall per class: ").Append(string.Join(", ", Enumerable.Range(0, Classes)
                .Select(c => c + " " + (Recall(c) is double r ? Pct(r) : "-") + " (" + TruthCount(c) + ")"))).Append('\n');
            int width = Math.Max(6, Confusion.SelectMany(r => r).Max().ToString(CultureInfo.InvariantCulture).Length + 1);
            w.Append(indent).Append("confusion (rows true, columns predicted):").Append('\n');
            w.Append(indent).Append("      ").Append(string.Concat(Enumerable.Range(0, Classes).Select(c => ("p" + c).PadLeft(width)))).Append('\n');
            for (int t = 0; t < Classes; t++)
                w.Append(indent).Append(("t" + t).PadRight(6)).Append(string.Concat(Confusion[t].Select(v => v.ToString(CultureInfo.InvariantCulture).PadLeft(width)))).Append('\n');
            if (PredictsOneClass) w.Append(indent).Append(Warning()).Append('\n');
            return w.ToString();
        }

        public string Warning() => $"warning: the model predicts class {Enumerable.Range(0, Classes).First(c => PredictedCount(c) > 0)} only — its accuracy is just that class's share; it has learned nothing usable";

        /// <summary>The JSON fields of issue 13: test_accuracy, balanced_accuracy, majority, per_class_recall, confusion (plus counts).</summary>
        public Dictionary<string, object> ToJson() => new Dictionary<string, object>
        {
            ["test_accuracy"] = Accuracy,
            ["balanced_accuracy"] = BalancedAccuracy,
            ["majority"] = MajorityRate,
            ["majority_class"] = MajorityClass,
            ["per_class_recall"] = PerClassRecall,
            ["confusion"] = Confusion,
            ["rows"] = Count,
            ["predicts_one_class"] = PredictsOneClass,
        };
    }
}
