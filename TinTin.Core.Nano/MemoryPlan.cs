using System.Collections;

namespace TinTin.Core
{
    /// <summary>What a buffer is for, in a <see cref="MemoryPlan"/>.</summary>
    public static class MemoryCategory
    {
        public const int Weights = 0;          // int8 weights used by the kernels
        public const int MasterWeights = 1;    // int16 master copy and int32 biases
        public const int Activations = 2;      // activations (forward)
        public const int ActivationGradients = 3;
        public const int Gradients = 4;        // training arena: weight and bias gradients
        public const int OptimizerState = 5;   // momentum velocities
        public const int Scratch = 6;
        public const int Count = 7;

        public static string Name(int category)
        {
            switch (category)
            {
                case Weights: return "weights";
                case MasterWeights: return "master";
                case Activations: return "activations";
                case ActivationGradients: return "activation-grads";
                case Gradients: return "gradients";
                case OptimizerState: return "optimizer";
                default: return "scratch";
            }
        }
    }

    /// <summary>One allocated buffer: its name, category, exact bytes, and how many of them the current selection really uses.</summary>
    public sealed class MemoryEntry
    {
        public readonly string Name;
        public readonly int Category;
        public readonly int Bytes;
        public readonly int UsedBytes;

        public MemoryEntry(string name, int category, int bytes, int usedBytes)
        {
            Name = name; Category = category; Bytes = bytes; UsedBytes = usedBytes;
        }
    }

    /// <summary>
    /// Every buffer the model allocated, with exact payload bytes (array headers excluded: about
    /// 12–16 bytes per array on nanoFramework). UsedBytes is the recorder: what the current
    /// training selection actually touches (gradient rows assigned, activations kept for backward).
    /// </summary>
    public sealed class MemoryPlan
    {
        private readonly ArrayList entries = new ArrayList();

        public void Add(string name, int category, int bytes, int usedBytes)
        {
            entries.Add(new MemoryEntry(name, category, bytes, usedBytes));
        }

        public int Count { get { return entries.Count; } }

        public MemoryEntry this[int index] { get { return (MemoryEntry)entries[index]; } }

        public int TotalBytes
        {
            get { int total = 0; for (int i = 0; i < entries.Count; i++) total += this[i].Bytes; return total; }
        }

        public int TotalUsedBytes
        {
            get { int total = 0; for (int i = 0; i < entries.Count; i++) total += this[i].UsedBytes; return total; }
        }

        public int BytesIn(int category)
        {
            int total = 0;
            for (int i = 0; i < entries.Count; i++) if (this[i].Category == category) total += this[i].Bytes;
            return total;
        }

        public int UsedBytesIn(int category)
        {
            int total = 0;
            for (int i = 0; i < entries.Count; i++) if (this[i].Category == category) total += this[i].UsedBytes;
            return total;
        }
    }
}
