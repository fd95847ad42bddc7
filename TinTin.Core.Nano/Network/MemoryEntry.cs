namespace TinTin.Core
{
    /// <summary>One allocated buffer: its name, category, exact bytes, and how many of them the current selection really uses.</summary>
    public sealed class MemoryEntry
    {
        public readonly string Name;
        public readonly MemoryCategory Category;
        public readonly int Bytes;
        public readonly int UsedBytes;

        public MemoryEntry(string name, MemoryCategory category, int bytes, int usedBytes)
        {
            Name = name; Category = category; Bytes = bytes; UsedBytes = usedBytes;
        }
    }
}
