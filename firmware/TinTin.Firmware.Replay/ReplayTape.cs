namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// Text that stays in the assembly: a generated subclass returns string literals chunk by chunk.
    /// nanoCLR keeps a literal's characters in the assembly (ROM on a board) and allocates only a
    /// small string header on the managed heap, so a week of replayed samples costs next to no heap.
    /// </summary>
    public abstract class TapeText
    {
        public abstract int ChunkCount { get; }
        /// <summary>Chunk i (0 ≤ i &lt; ChunkCount).</summary>
        public abstract string Chunk(int index);
    }

    /// <summary>
    /// What the replay driver runs: the recorded rows, the virtual person's decisions, and the
    /// settings of `tintin simulate`. Written by the host (tools/TinTin.VirtualBoard NanoReplay) as
    /// generated C# compiled for nanoFramework; the host's virtual board reads the same settings.
    ///
    /// Rows: "t,T,H,P,L;" per row: t = ms since the first row, T = temperature in 0.01 °C, H =
    /// humidity in 0.01 %RH, P = pressure in Pa (0 when the data has none), L = ground-truth label
    /// (-1: none). Values are the host ReplaySource's fixed-point values, before the range check
    /// (the board code's SensorLimits does that here, as on the host).
    /// Decisions: '1' or '0' per labelled prediction, in order: whether the virtual person labels
    /// this one (the host draws them from System.Random(seed) with the label fraction).
    /// </summary>
    public sealed class ReplayTape
    {
        public string BoardName = "esp32-devkit";
        /// <summary>The sample source's name for the hello line, e.g. "replay:datatest2.txt".</summary>
        public string SourceName = "replay";
        /// <summary>Rows in the whole recording (the summary's second half starts after TotalRows / 2).</summary>
        public int TotalRows;
        /// <summary>Stop after so many rows (0: all on the tape).</summary>
        public int MaxSamples;
        public bool HasPressure;
        public TapeText Rows;
        public TapeText Decisions;

        public long LabelDelayMs = 2 * 60000;
        public long ButtonWindowMs = 5 * 60000;
        public bool UseSerialLabels;
        public bool PredLines;
        public int StatEverySamples = 60;
        public uint Seed = 1;
        /// <summary>Lines the host sends before the first sample.</summary>
        public string[] Commands = new string[0];
        /// <summary>Run the frozen default model beside the firmware for the summary's accuracy comparison (off: the heap holds only what the firmware needs).</summary>
        public bool CompareFrozen = true;
        /// <summary>
        /// &gt; 0: report free heap by probing the largest allocatable block up to this many bytes (the
        /// heap size: nanoclr32). 0: report -1 (the 64-bit nanoclr's GC can crash when a probe fills its heap).
        /// </summary>
        public int ProbeHeapUpTo;

        /// <summary>
        /// The default model's bytes, made on demand (the embedded model's <c>EmbeddedModelSource</c>, or a
        /// generated source for a model prepared on the host): the tape keeps no model-sized array.
        /// </summary>
        public TinTin.Firmware.ModelBytesSource Model;
        public string ModelName = "default";
        public int[] FeatureIds;
        public int WindowSamples = 8;
    }
}
