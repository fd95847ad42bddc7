namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// Values that stay in the assembly: a generated subclass writes chunk i's values as integer
    /// constants of its code (<see cref="Row"/> per recorded row, <see cref="Put"/> per packed value)
    /// into the reader's buffer. Nothing is allocated per chunk: on nanoCLR a string literal per chunk
    /// cost a string object on the managed heap each time, which is the harness's heap, not the board's.
    /// </summary>
    public abstract class TapeValues
    {
        /// <summary>Decisions packed into one value (bits 0..29, a sentinel 1 above the last).</summary>
        public const int DecisionsPerValue = 30;
        /// <summary>Values per row: ms since the first row, centi-°C, centi-%RH, Pa or 0, label.</summary>
        public const int ValuesPerRow = 5;

        private int[] into;
        private int count;

        public abstract int ChunkCount { get; }
        /// <summary>Values in the longest chunk (the reader's buffer).</summary>
        public abstract int LongestChunk { get; }

        /// <summary>Writes chunk i's values (0 ≤ i &lt; ChunkCount) into values from index 0 and returns how many.</summary>
        public int Fill(int index, int[] values)
        {
            into = values;
            count = 0;
            Write(index);
            into = null;
            return count;
        }

        /// <summary>Chunk i's values, by <see cref="Row"/> and <see cref="Put"/> (generated).</summary>
        protected abstract void Write(int index);

        protected void Put(int value)
        {
            into[count++] = value;
        }

        protected void Row(int timeMs, int temperatureCentiC, int humidityCentiPercent, int pressurePa, int label)
        {
            into[count] = timeMs;
            into[count + 1] = temperatureCentiC;
            into[count + 2] = humidityCentiPercent;
            into[count + 3] = pressurePa;
            into[count + 4] = label;
            count += ValuesPerRow;
        }
    }

    /// <summary>
    /// What the replay driver runs: the recorded rows, the virtual person's decisions, and the
    /// settings of `tintin simulate`. Written by the host (tools/TinTin.VirtualBoard NanoReplay) as
    /// generated C# compiled for nanoFramework; the host's virtual board reads the same settings.
    ///
    /// Rows: t, T, H, P, L per row (TapeValues.Row): t = ms since the first row, T = temperature in 0.01 °C, H =
    /// humidity in 0.01 %RH, P = pressure in Pa (0 when the data has none), L = ground-truth label
    /// (-1: none). Values are the host ReplaySource's fixed-point values, before the range check
    /// (the board code's SensorLimits does that here, as on the host).
    /// Decisions: one bit per labelled prediction, in order, packed by TapeValues.DecisionsPerValue:
    /// whether the virtual person labels this one (the host draws them from System.Random(seed) with the label fraction).
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
        public TapeValues Rows;
        public TapeValues Decisions;

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
