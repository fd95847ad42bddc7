using System;

namespace TinTin.Core
{
    /// <summary>
    /// A class-balanced int8 replay buffer: one reservoir per class (Vitter's algorithm R), each of
    /// PerClass = capacity / classes slots (at least one), so a rare class keeps its share instead
    /// of being crowded out, and within a class every sample seen so far is equally likely to be
    /// kept. Samples are stored as int8 model inputs at one exponent. The pseudo-random picks come
    /// from a xorshift32 generator seeded by the caller (never used for rounding).
    /// Allocates only in the constructor.
    /// </summary>
    public sealed class ReplayBuffer
    {
        public readonly int FeatureCount;
        public readonly int Classes;
        public readonly int PerClass;
        /// <summary>[Classes · PerClass · FeatureCount] int8 samples; class c's slot i starts at OffsetOf(c, i).</summary>
        public readonly sbyte[] Data;
        private readonly int[] classCount;   // [Classes] slots filled
        private readonly long[] classSeen;   // [Classes] samples offered
        private uint state;

        public ReplayBuffer(int capacity, int featureCount, int classes, uint seed)
        {
            if (capacity < 0) throw new ArgumentException("replay capacity must not be negative");
            if (featureCount < 1) throw new ArgumentException("replay needs at least one feature");
            if (classes < 2) throw new ArgumentException("replay needs at least two classes");
            FeatureCount = featureCount;
            Classes = classes;
            PerClass = capacity == 0 ? 0 : (capacity / classes > 0 ? capacity / classes : 1);
            Data = new sbyte[(PerClass > 0 ? PerClass : 1) * classes * featureCount];
            classCount = new int[classes];
            classSeen = new long[classes];
            state = seed == 0 ? 0x9E3779B9u : seed;
        }

        /// <summary>Samples held, all classes.</summary>
        public int Count
        {
            get { int n = 0; for (int c = 0; c < Classes; c++) n += classCount[c]; return n; }
        }

        public int CountOf(int label) { return classCount[label]; }

        /// <summary>Samples of a class offered so far.</summary>
        public long SeenOf(int label) { return classSeen[label]; }

        public int OffsetOf(int label, int slot) { return (label * PerClass + slot) * FeatureCount; }

        /// <summary>Offers a sample (FeatureCount int8 values from offset); returns whether it was stored.</summary>
        public bool Add(sbyte[] source, int offset, int label)
        {
            if (label < 0 || label >= Classes) throw new ArgumentException("label " + label + " is outside 0.." + (Classes - 1));
            if (PerClass == 0) return false;
            classSeen[label]++;
            int slot;
            if (classCount[label] < PerClass) slot = classCount[label]++;
            else
            {
                long seen = classSeen[label];
                uint bound = seen > 0xFFFFFFFFL ? 0xFFFFFFFFu : (uint)seen;
                uint j = Next() % bound;
                if (j >= (uint)PerClass) return false;
                slot = (int)(long)j;
            }
            Array.Copy(source, offset, Data, OffsetOf(label, slot), FeatureCount);
            return true;
        }

        /// <summary>A uniformly drawn slot of a class that holds samples.</summary>
        public int RandomSlot(int label)
        {
            int n = classCount[label];
            if (n == 0) throw new InvalidOperationException("class " + label + " has no replay samples");
            return (int)(long)(Next() % (uint)n);
        }

        public void Clear()
        {
            Array.Clear(classCount, 0, Classes);
            Array.Clear(classSeen, 0, Classes);
        }

        /// <summary>xorshift32.</summary>
        public uint Next()
        {
            uint x = state;
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            state = x;
            return x;
        }
    }

    /// <summary>
    /// Page–Hinkley test on the error indicator of labelled samples (was the prediction made when
    /// the sample was observed wrong?), in Q8 integers: x = 256 for an error, 0 otherwise;
    /// mean = Σx / n (cumulative since the last reset); m += x − mean − Delta; M = min m;
    /// drift when n ≥ MinSamples and m − M &gt; Lambda; the test then resets.
    /// Defaults: Delta = 13 (0.05: error-rate rises smaller than 5 points are tolerated),
    /// Lambda = 2048 (≈ 8 errors more than the running rate plus Delta would explain),
    /// MinSamples = 16. With an error rate jumping from 10 % to 60 %, it fires after about
    /// 8 / (0.6 − 0.1 − 0.05) ≈ 18 labelled samples.
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

        /// <summary>The test statistic m − M in Q8.</summary>
        public long StatisticQ8 { get { return cumulative - minimum; } }
        public int Count { get { return count; } }

        public void Reset()
        {
            sum = 0; count = 0; cumulative = 0; minimum = 0;
        }
    }
}
