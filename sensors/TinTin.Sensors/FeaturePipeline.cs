using System;

namespace TinTin.Sensors
{
    /// <summary>
    /// Turns samples into raw fixed-point features (units per id in <see cref="FeatureSet"/>),
    /// identically on board and host. Integer only; the ring buffers are allocated once in the
    /// constructor and <see cref="Push"/> allocates nothing.
    /// Typical loop: status = source.Read(s); faults.Count(status); if (status != Ok) skip;
    /// if (pipeline.Push(s, raw)) { normalizer.Normalize(raw, input); ... }.
    /// </summary>
    public sealed class FeaturePipeline
    {
        /// <summary>Largest window: keeps every running sum of squares inside a long.</summary>
        public const int MaxWindowSamples = 4096;

        private const int ChT = 0, ChRh = 1, ChP = 2, ChHr = 3, Channels = 4;

        private readonly int[] ids;
        private readonly int window;
        private readonly int capacity;
        private readonly int warmUp;
        private readonly bool needsPressure;
        private readonly bool needsRatio;

        private readonly int[][] rings;     // [channel][capacity], only for channels in use
        private readonly long[] sums;       // running sum over the last min(count, window) values
        private readonly long[] sumSquares; // for T and RH only
        private readonly int[] current;     // newest value per channel

        private int head;   // index of the newest value
        private int count;  // accepted samples since the last reset (saturates at int.MaxValue)
        private long lastTimestampMs;

        /// <param name="featureIds">Feature ids from <see cref="FeatureSet"/>, in model input order.</param>
        /// <param name="windowSamples">Window W for the rolling statistics, 1..MaxWindowSamples.</param>
        public FeaturePipeline(int[] featureIds, int windowSamples)
        {
            if (featureIds == null || featureIds.Length == 0) throw new ArgumentException("a feature pipeline needs at least one feature id");
            if (windowSamples < 1 || windowSamples > MaxWindowSamples)
                throw new ArgumentException("window of " + windowSamples.ToString() + " samples: must be 1.." + MaxWindowSamples.ToString());
            ids = new int[featureIds.Length];
            int need = 1;
            for (int i = 0; i < featureIds.Length; i++)
            {
                int id = featureIds[i];
                if (!FeatureSet.IsValid(id))
                    throw new ArgumentException("feature #" + i.ToString() + ": unknown feature id " + id.ToString() + " (valid: 0.." + (FeatureSet.Count - 1).ToString() + ")");
                ids[i] = id;
                int w = FeatureSet.WarmUpSamples(id, windowSamples);
                if (w > need) need = w;
                if (FeatureSet.NeedsPressure(id)) needsPressure = true;
                if (id == FeatureSet.HumidityRatio || id == FeatureSet.HumidityRatioMean || id == FeatureSet.HumidityRatioTrend || id == FeatureSet.HumidityRatioDelta) needsRatio = true;
            }
            window = windowSamples;
            capacity = windowSamples < 2 ? 2 : windowSamples;
            warmUp = need;
            rings = new int[Channels][];
            for (int c = 0; c < Channels; c++)
            {
                if (c == ChP && !needsPressure) continue;
                if (c == ChHr && !needsRatio) continue;
                rings[c] = new int[capacity];
            }
            sums = new long[Channels];
            sumSquares = new long[Channels];
            current = new int[Channels];
            Reset();
        }

        public int FeatureCount { get { return ids.Length; } }
        public int WindowSamples { get { return window; } }
        /// <summary>Accepted samples needed before Push returns true.</summary>
        public int WarmUpSamples { get { return warmUp; } }
        /// <summary>True when some feature needs pressure: samples without it are rejected.</summary>
        public bool NeedsPressure { get { return needsPressure; } }
        /// <summary>Accepted samples since the last reset.</summary>
        public int SampleCount { get { return count; } }
        /// <summary>True once WarmUpSamples samples were accepted since the last reset.</summary>
        public bool IsReady { get { return count >= warmUp; } }
        /// <summary>Samples refused by Push (out of range, or no pressure when needed) since construction.</summary>
        public int Rejected;
        /// <summary>Why the last refused sample was refused (a SampleStatus code).</summary>
        public int LastRejectStatus;
        /// <summary>Resets caused by a time gap (see MaxGapMs) since construction.</summary>
        public int GapResets;
        /// <summary>
        /// When &gt; 0: a sample more than this many ms after the previous one (or earlier than it)
        /// restarts the window, so differences never span a gap in the data. 0 (default): off.
        /// </summary>
        public long MaxGapMs;

        /// <summary>The feature id at input position i.</summary>
        public int FeatureId(int i) { return ids[i]; }

        /// <summary>Forgets every sample (the window warms up again). Counters Rejected/GapResets stay.</summary>
        public void Reset()
        {
            head = capacity - 1;
            count = 0;
            lastTimestampMs = 0;
            for (int c = 0; c < Channels; c++)
            {
                sums[c] = 0; sumSquares[c] = 0; current[c] = 0;
                int[] ring = rings[c];
                if (ring != null) for (int i = 0; i < ring.Length; i++) ring[i] = 0;
            }
        }

        /// <summary>
        /// Validates and pushes one sample, then writes the raw features into
        /// features[0..FeatureCount). Returns true when every feature is defined (warm-up done).
        /// A refused sample (out of range: <see cref="SensorLimits"/>; no pressure when a feature
        /// needs it) changes nothing, counts in Rejected, and returns false. Never allocates.
        /// </summary>
        public bool Push(EnvironmentSample sample, int[] features)
        {
            if (features == null || features.Length < ids.Length)
                throw new ArgumentException("features array must hold " + ids.Length.ToString() + " values");
            int status = SensorLimits.Check(sample);
            if (status == SampleStatus.Ok && needsPressure && !sample.HasPressure) status = SampleStatus.DeviceError;
            if (status != SampleStatus.Ok)
            {
                Rejected++;
                LastRejectStatus = status;
                return false;
            }
            if (MaxGapMs > 0 && count > 0)
            {
                long dt = sample.TimestampMs - lastTimestampMs;
                if (dt > MaxGapMs || dt < 0) { Reset(); GapResets++; }
            }
            lastTimestampMs = sample.TimestampMs;

            head++;
            if (head == capacity) head = 0;
            if (count < int.MaxValue) count++;
            Add(ChT, sample.TemperatureCentiC);
            Add(ChRh, sample.HumidityCentiPercent);
            if (needsPressure) Add(ChP, sample.PressurePa);
            if (needsRatio)
            {
                int p = sample.HasPressure ? sample.PressurePa : Psychrometrics.StandardPressurePa;
                Add(ChHr, Psychrometrics.HumidityRatioMgPerKg(sample.TemperatureCentiC, sample.HumidityCentiPercent, p));
            }

            for (int i = 0; i < ids.Length; i++) features[i] = Compute(ids[i]);
            return count >= warmUp;
        }

        // Stores v as the newest value of channel c (head already advanced) and updates the running sums.
        private void Add(int c, int v)
        {
            int[] ring = rings[c];
            int leaving = 0;
            bool full = count > window; // the value W samples back leaves the window
            if (full)
            {
                int idx = head - window;
                if (idx < 0) idx += capacity;
                leaving = ring[idx];
            }
            ring[head] = v;
            current[c] = v;
            sums[c] += (long)v - leaving;
            if (c == ChT || c == ChRh) sumSquares[c] += (long)v * v - (long)leaving * leaving;
        }

        private int Compute(int id)
        {
            switch (id)
            {
                case FeatureSet.Temperature: return current[ChT];
                case FeatureSet.Humidity: return current[ChRh];
                case FeatureSet.Pressure: return current[ChP];
                case FeatureSet.HumidityRatio: return current[ChHr];
                case FeatureSet.TemperatureDelta: return Delta(ChT);
                case FeatureSet.HumidityDelta: return Delta(ChRh);
                case FeatureSet.HumidityRatioDelta: return Delta(ChHr);
                case FeatureSet.PressureDelta: return Delta(ChP);
                case FeatureSet.TemperatureMean: return Mean(ChT);
                case FeatureSet.HumidityMean: return Mean(ChRh);
                case FeatureSet.HumidityRatioMean: return Mean(ChHr);
                case FeatureSet.PressureMean: return Mean(ChP);
                case FeatureSet.TemperatureTrend: return Trend(ChT);
                case FeatureSet.HumidityTrend: return Trend(ChRh);
                case FeatureSet.HumidityRatioTrend: return Trend(ChHr);
                case FeatureSet.PressureTrend: return Trend(ChP);
                case FeatureSet.TemperatureStdDev: return StdDev(ChT);
                case FeatureSet.HumidityStdDev: return StdDev(ChRh);
                default: return 0;
            }
        }

        private int InWindow { get { return count < window ? count : window; } }

        private int Delta(int c)
        {
            if (count < 2) return 0;
            int prev = head - 1;
            if (prev < 0) prev += capacity;
            return current[c] - rings[c][prev];
        }

        private int Mean(int c)
        {
            return (int)Psychrometrics.DivRound(sums[c], InWindow);
        }

        private int Trend(int c)
        {
            int n = InWindow;
            if (n < 2) return 0;
            int oldest = head - (n - 1);
            if (oldest < 0) oldest += capacity;
            return current[c] - rings[c][oldest];
        }

        private int StdDev(int c)
        {
            long n = InWindow;
            if (n < 2) return 0;
            long s = sums[c];
            long numerator = n * sumSquares[c] - s * s; // n² · variance
            if (numerator <= 0) return 0;
            // std = sqrt(numerator) / n, rounded
            long root = ISqrt(numerator * 4); // 2·sqrt(num), one extra bit for rounding
            return (int)((root + n) / (2 * n));
        }

        /// <summary>floor(sqrt(v)) for v ≥ 0, bit by bit (no floating point).</summary>
        public static long ISqrt(long v)
        {
            if (v <= 0) return 0;
            long result = 0;
            long bit = 1L << 62;
            while (bit > v) bit >>= 2;
            while (bit != 0)
            {
                if (v >= result + bit)
                {
                    v -= result + bit;
                    result = (result >> 1) + bit;
                }
                else result >>= 1;
                bit >>= 2;
            }
            return result;
        }
    }
}
