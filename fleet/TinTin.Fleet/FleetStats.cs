using System;

namespace TinTin.Fleet
{
    /// <summary>
    /// A board's input statistics as the aggregator holds them (<see cref="FleetMessage.WriteStats"/>): per feature the mean of
    /// the normalised int8 input over every sample so far, in 1/256 of an int8 unit, with the sample count. Shaped once;
    /// reading a new message overwrites it.
    /// </summary>
    public sealed class FleetStats
    {
        /// <summary>[features] mean · 256 of each normalised int8 input feature.</summary>
        public readonly int[] Mean256;
        public int InputExponent;
        public uint BaseVersion;
        public uint Sequence;
        /// <summary>Samples the means are over.</summary>
        public uint Samples;
        public uint Labelled;
        /// <summary>[classes] samples the board labelled with each class (their sum is at most Samples).</summary>
        public readonly uint[] ClassLabelled;

        public FleetStats(int features, int classes)
        {
            if (features < 1) throw new ArgumentException("statistics need at least one feature");
            if (classes < 1) throw new ArgumentException("statistics need at least one class");
            Mean256 = new int[features];
            ClassLabelled = new uint[classes];
        }

        public int Features { get { return Mean256.Length; } }
        public int Classes { get { return ClassLabelled.Length; } }

        public void CopyFrom(FleetStats other)
        {
            if (other.Mean256.Length != Mean256.Length || other.ClassLabelled.Length != ClassLabelled.Length) throw new ArgumentException("statistics differ in features or classes");
            Array.Copy(other.Mean256, Mean256, Mean256.Length);
            Array.Copy(other.ClassLabelled, ClassLabelled, ClassLabelled.Length);
            InputExponent = other.InputExponent;
            BaseVersion = other.BaseVersion;
            Sequence = other.Sequence;
            Samples = other.Samples;
            Labelled = other.Labelled;
        }

        /// <summary>L1 distance of two boards' means, in 1/256 of an int8 unit.</summary>
        public long Distance256(FleetStats other)
        {
            long distance = 0;
            for (int i = 0; i < Mean256.Length; i++)
            {
                long d = (long)Mean256[i] - other.Mean256[i];
                distance += d < 0 ? -d : d;
            }
            return distance;
        }

        /// <summary>
        /// The similarity kernel of the per-board merge: max(0, W − d)·1024/W in 0..1024, d the L1 distance of the two
        /// boards' means (int8 units), W = width (int8 units, ≥ 1).
        /// </summary>
        public static int Kernel(FleetStats a, FleetStats b, int width) { return KernelOfDistance(a.Distance256(b), width); }

        /// <summary>The kernel of an L1 distance in 1/256 int8 units: max(0, W − d)·1024/W in 0..1024 (W = width, int8 units, ≥ 1).</summary>
        public static int KernelOfDistance(long distance256, int width)
        {
            long w256 = (long)width * 256;
            return distance256 >= w256 ? 0 : (int)((w256 - distance256) * 1024 / w256);
        }
    }
}
