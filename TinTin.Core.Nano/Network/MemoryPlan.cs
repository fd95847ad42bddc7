using System.Collections;

namespace TinTin.Core
{
    /// <summary>
    /// Every buffer the model allocated, with exact payload bytes (array headers excluded: about
    /// 12–16 bytes per array on nanoFramework). UsedBytes is the recorder: what the current
    /// training selection actually touches (gradient rows assigned, activations kept for backward).
    /// </summary>
    public sealed class MemoryPlan
    {
        private readonly ArrayList entries = new ArrayList();

        public void Add(string name, MemoryCategory category, int bytes, int usedBytes)
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

        public int BytesIn(MemoryCategory category)
        {
            int total = 0;
            for (int i = 0; i < entries.Count; i++) if (this[i].Category == category) total += this[i].Bytes;
            return total;
        }

        public int UsedBytesIn(MemoryCategory category)
        {
            int total = 0;
            for (int i = 0; i < entries.Count; i++) if (this[i].Category == category) total += this[i].UsedBytes;
            return total;
        }
    }
}
