using System;

namespace TinTin.Core
{
    /// <summary>
    /// Page–Hinkley test on the error indicator of labelled samples (was the prediction made when
    /// the sample was observed wrong?), in Q8 integers: x = 256 for an error, 0 otherwise;
    /// mean = Σx / n (cumulative since the last reset); m += x − mean − Delta; M = min m;
    /// drift when n ≥ MinSamples and m − M &gt; Lambda; the test then resets.
    /// Defaults: Delta = 13 (0.05: error-rate rises smaller than 5 points are tolerated),
    /// Lambda = 1024 (≈ 4 errors more than the running rate plus Delta would explain; the
    /// selection study chose it: re-selecting on smaller rises of the error picks better channels),
    /// MinSamples = 16. With an error rate jumping from 10 % to 60 %, it fires after about
    /// 4 / (0.6 − 0.1 − 0.05) ≈ 9 labelled samples (after MinSamples).
    /// </summary>
    public sealed class DriftDetector
    {
        public int DeltaQ8;
        public int LambdaQ8;
        public int MinSamples;
        private long sum;
        private int count;
        private long cumulative;
        private long minimum;
        /// <summary>Drift signals so far.</summary>
        public int Signals;

        public DriftDetector(int deltaQ8, int lambdaQ8, int minSamples)
        {
            if (lambdaQ8 <= 0) throw new ArgumentException("drift threshold lambda must be positive");
            DeltaQ8 = deltaQ8; LambdaQ8 = lambdaQ8; MinSamples = minSamples;
        }

        /// <summary>Adds one labelled outcome; true when it signals drift (the test then restarts).</summary>
        public bool Add(bool error)
        {
            int x = error ? 256 : 0;
            if (count < int.MaxValue) count++;
            sum += x;
            long mean = sum / count;
            cumulative += x - mean - DeltaQ8;
            if (cumulative < minimum) minimum = cumulative;
            if (count >= MinSamples && cumulative - minimum > LambdaQ8)
            {
                Signals++;
                Reset();
                return true;
            }
            return false;
        }

        public int Count { get { return count; } }

        public void Reset()
        {
            sum = 0; count = 0; cumulative = 0; minimum = 0;
        }
    }
}
