using System;
using System.Globalization;
using TinTin.Core;

namespace TinTin.Experiments
{
    /// <summary>
    /// A selection of the study with its own learner settings: a criterion name, then "+setting" overrides of the
    /// command's flags for that selection only, so a variant and the baselines run in one paired study, e.g.
    /// <c>gradmag+update+priced+lambda512</c> beside <c>gradmag</c>, <c>topdown</c> and <c>random</c> at the flags' settings.
    /// Settings: <c>update</c> / <c>pass</c> (ContinualConfig.ScoreFromUpdates on / off), <c>freshN</c>
    /// (FreshReselectEveryUpdates), <c>priced</c> / <c>layers</c> / <c>topfirst</c> / <c>whole</c> / <c>lookahead</c> (PricedFill, LayersTopDown, WholeLayerFill, LookAheadFill), <c>layersbelowN</c> (LayerScoreOrderBelowLabels), <c>lambdaN</c> (DriftLambdaQ8),
    /// <c>reselectN</c> (ReselectEveryUpdates), <c>drift</c> / <c>nodrift</c> (ReselectOnDrift), <c>recent</c> / <c>mixed</c> (ScoreRecentOnly).
    /// </summary>
    public static class SelectionSpec
    {
        public const string Settings = "update, pass, freshN, priced, layers, topfirst, whole, lookahead, layersbelowN, drift, nodrift, recent, mixed, lambdaN, reselectN";

        /// <summary>The criterion of a spec; throws ArgumentException naming what is wrong.</summary>
        public static SelectionCriterion Criterion(string spec)
        {
            string[] parts = spec.Split('+');
            if (!SelectionCriterionNames.TryParse(parts[0], out SelectionCriterion criterion))
                throw new ArgumentException($"--selections: unknown selection '{parts[0]}' ({string.Join(", ", ExperimentOptions.AllSelections)})");
            Apply(spec, new ExperimentOptions()); // checks the settings
            return criterion;
        }

        /// <summary>A copy of the options with the spec's settings applied.</summary>
        public static ExperimentOptions Apply(string spec, ExperimentOptions options)
        {
            string[] parts = spec.Split('+');
            ExperimentOptions o = options.WithSeed(options.Seed);
            for (int i = 1; i < parts.Length; i++)
            {
                string p = parts[i];
                if (p == "update") o.ScoreFromUpdates = true;
                else if (p == "pass") o.ScoreFromUpdates = false;
                else if (p == "priced") o.PricedFill = true;
                else if (p == "layers") { o.PricedFill = false; o.LayersTopDown = false; o.WholeLayerFill = false; o.LookAheadFill = false; }
                else if (p == "topfirst") { o.PricedFill = false; o.LayersTopDown = true; o.WholeLayerFill = false; o.LookAheadFill = false; }
                else if (p == "whole") { o.PricedFill = false; o.LayersTopDown = true; o.WholeLayerFill = true; o.LookAheadFill = false; }
                else if (p == "lookahead") { o.PricedFill = false; o.LayersTopDown = true; o.WholeLayerFill = false; o.LookAheadFill = true; }
                else if (Number(p, "layersbelow", out int below)) o.LayerScoreOrderBelowLabels = below;
                else if (p == "nodrift") o.ReselectOnDrift = false;
                else if (p == "recent") o.ScoreRecentOnly = true;
                else if (p == "mixed") o.ScoreRecentOnly = false;
                else if (p == "drift") o.ReselectOnDrift = true;
                else if (Number(p, "fresh", out int fresh) && fresh >= 0) o.FreshReselectEveryUpdates = fresh;
                else if (Number(p, "lambda", out int lambda) && lambda > 0) o.DriftLambdaQ8 = lambda;
                else if (Number(p, "reselect", out int reselect) && reselect >= 0) o.ReselectEveryUpdates = reselect;
                else throw new ArgumentException($"--selections: '{spec}': unknown setting '{p}' ({Settings})");
            }
            return o;
        }

        private static bool Number(string part, string prefix, out int value)
        {
            value = 0;
            return part.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(part.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
    }
}
