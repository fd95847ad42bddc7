using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TinTin.Firmware;
using TinTin.Reference;
using TinTin.Sensors;

namespace TinTin.VirtualBoard
{
    /// <summary>How a nanoCLR replay runs.</summary>
    public sealed class NanoReplayOptions
    {
        /// <summary>
        /// The board's managed heap in bytes: &gt; 0 runs nanoclr32 (a board's 12-byte heap blocks) with it plus the
        /// replay's RAM flash (<see cref="NanoReplay.EmulatedFlashHeapBytes"/>; a board's flash is outside its heap);
        /// 0 runs the 64-bit nanoclr (10 MiB).
        /// </summary>
        public int HeapBytes { get; set; }
        /// <summary>Run the frozen default model beside the firmware (the summary's comparison); off for heap bisection.</summary>
        public bool CompareFrozen { get; set; } = true;
        /// <summary>Measure free heap for the firmware's heap key (allocation probe, see AllocationProbeHeap; nanoclr32 only: the 64-bit GC can crash on a full heap, it reports -1).</summary>
        public bool ProbeHeap { get; set; } = true;
        /// <summary>Keep the generated program here (default: a fresh temp folder, deleted after).</summary>
        public string WorkFolder { get; set; }
        public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);
        /// <summary>What Main runs with the tape (C#; default the replay: "ReplayRunner.Run(tape, new ConsoleLineOutput());").</summary>
        public string Entry { get; set; }
        /// <summary>Load TinTin.Firmware.Checks too (an <see cref="Entry"/> that runs EngineBench or a check); a replay run does not.</summary>
        public bool WithChecks { get; set; }
        /// <summary>e.g. valgrind --tool=callgrind --callgrind-out-file=...</summary>
        public IReadOnlyList<string> Wrapper { get; set; }
    }

    /// <summary>What a nanoCLR replay printed, parsed.</summary>
    public sealed class NanoReplayResult
    {
        public VirtualBoardSummary Summary { get; init; }
        public IReadOnlyList<string> SerialLines { get; init; }
        public IReadOnlyDictionary<string, string> Figures { get; init; }
        public NanoRunOutput Output { get; init; }
        public long Figure(string key) => long.Parse(Figures[key], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// `tintin simulate --on nanoclr`: the virtual board's run inside the nanoFramework interpreter.
    /// The host reads the recording as the virtual board does (ReplaySource, the same columns and
    /// fixed point), draws the virtual person's decisions from the same seeded System.Random, and
    /// writes both into a generated C# program (rows and decisions as integer constants of its code,
    /// read into one buffer allocated at start-up: nothing per sample on the managed heap) whose Main hands them to TinTin.Firmware.Replay.ReplayRunner. Everything
    /// the board does, range check, features, prediction, training, protocol, runs in nanoCLR.
    /// </summary>
    public static class NanoReplay
    {
        public const int RowsPerChunk = 8;
        /// <summary>TinTin.Firmware.Replay's TapeValues.ValuesPerRow and DecisionsPerValue (the tape's layout; a test checks they agree).</summary>
        public const int ValuesPerRow = 5, DecisionsPerValue = 30;

        public static NanoReplayResult Run(VirtualBoardOptions options, NanoReplayOptions nano, TextWriter progress)
        {
            nano ??= new NanoReplayOptions();
            using CompiledReplay compiled = Compile(options, nano);
            return compiled.Run(nano.HeapBytes, progress, nano.Wrapper);
        }

        /// <summary>Generates and compiles the replay program once (runs at several heap sizes reuse it).</summary>
        public static CompiledReplay Compile(VirtualBoardOptions options, NanoReplayOptions nano)
        {
            ArgumentNullException.ThrowIfNull(options);
            nano ??= new NanoReplayOptions();
            if (options.ConfigureLearner != null) throw new ArgumentException("a nanoCLR replay runs the default learner configuration (ConfigureLearner is host-only)");
            var runtime = NanoProgram.Locate(nano.WithChecks ? NanoProgram.ChecksProject : NanoProgram.DriverProject);
            string source = GenerateProgram(options, nano);
            string folder = nano.WorkFolder ?? Path.Combine(Path.GetTempPath(), "tintin-nano-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(source, "TinTin.ReplayProgram", folder);
                return new CompiledReplay(runtime, options, nano, pe, nano.WorkFolder == null ? folder : null);
            }
            catch
            {
                if (nano.WorkFolder == null) { try { Directory.Delete(folder, true); } catch (IOException) { } }
                throw;
            }
        }

        /// <summary>
        /// The tape's rows (time since the first row in ms, centi-°C, centi-%RH, Pa or 0, label; ValuesPerRow
        /// values a row, RowsPerChunk rows to a chunk) as the generated program holds them, and the recording's row count
        /// and whether it has pressure: a host test builds the same tape from them.
        /// </summary>
        public static List<int[]> RowChunks(VirtualBoardOptions options, out int totalRows, out bool hasPressure, out string sourceName)
        {
            string dataPath = options.DataPath ?? RepositoryPaths.Data("occupancy", "datatest2.txt");
            var replay = ReplaySource.Open(dataPath, options.Columns);
            totalRows = replay.RowCount;
            hasPressure = replay.HasPressure;
            sourceName = replay.Name;
            int rows = options.MaxSamples > 0 ? Math.Min(options.MaxSamples, totalRows) : totalRows;
            var rowChunks = new List<int[]>();
            var chunk = new List<int>();
            var sample = new EnvironmentSample();
            long first = 0;
            for (int i = 0; i < rows; i++)
            {
                replay.Read(sample);
                if (i == 0) first = sample.TimestampMs;
                long sinceFirst = sample.TimestampMs - first;
                if (sinceFirst < int.MinValue || sinceFirst > int.MaxValue)
                    throw new ArgumentException(sourceName + " row " + (i + 1) + ": " + sinceFirst + " ms after the first row does not fit the replay tape (int ms, about 24 days): pass --max-samples");
                chunk.Add((int)sinceFirst);
                chunk.Add(sample.TemperatureCentiC);
                chunk.Add(sample.HumidityCentiPercent);
                chunk.Add(sample.HasPressure ? sample.PressurePa : 0);
                chunk.Add(sample.Label);
                if ((i + 1) % RowsPerChunk == 0) { rowChunks.Add(chunk.ToArray()); chunk.Clear(); }
            }
            if (chunk.Count > 0) rowChunks.Add(chunk.ToArray());
            return rowChunks;
        }

        /// <summary>
        /// The virtual person's decisions ('1' labels this prediction, '0' not) packed as TapeReader.NextDecision reads
        /// them: DecisionsPerValue to a value, first in bit 0, a sentinel 1 bit above the last.
        /// </summary>
        public static List<int[]> DecisionChunks(string decided)
        {
            var values = new List<int>();
            for (int i = 0; i < decided.Length; i += DecisionsPerValue)
            {
                int n = Math.Min(DecisionsPerValue, decided.Length - i);
                int bits = 1 << n;
                for (int j = 0; j < n; j++)
                {
                    char c = decided[i + j];
                    if (c == '1') bits |= 1 << j;
                    else if (c != '0') throw new ArgumentException("decision " + (i + j) + " is '" + c + "', not '0' or '1'");
                }
                values.Add(bits);
            }
            var chunks = new List<int[]>();
            for (int i = 0; i < values.Count; i += DecisionValuesPerChunk)
                chunks.Add(values.GetRange(i, Math.Min(DecisionValuesPerChunk, values.Count - i)).ToArray());
            return chunks;
        }

        /// <summary>Packed decision values to a chunk of the generated tape (240 decisions).</summary>
        public const int DecisionValuesPerChunk = 8;

        /// <summary>The generated program: the tape (settings, rows, decisions, model) and a Main that runs it.</summary>
        public static string GenerateProgram(VirtualBoardOptions options, NanoReplayOptions nano)
        {
            PreparedModel prepared = options.Model ?? VirtualBoardRunner.EmbeddedModel();
            BoardProfile board = VirtualBoardRunner.BoardByName(options.Board);
            List<int[]> rowChunks = RowChunks(options, out int total, out bool hasPressure, out string sourceName);

            // The virtual person's decisions, one per labelled prediction, as the host's virtual board made them
            // (they depend only on the recording and the seed, never on what the board predicts).
            List<int[]> decisionChunks = DecisionChunks(HostObserver(options).PressDecisions);

            var s = new StringBuilder();
            s.AppendLine("// <auto-generated> by tools/TinTin.VirtualBoard NanoReplay for `tintin simulate --on nanoclr` </auto-generated>");
            s.AppendLine("using TinTin.Firmware.Replay;");
            s.AppendLine("namespace TinTin.ReplayProgram");
            s.AppendLine("{");
            s.AppendLine("    public static class Program");
            s.AppendLine("    {");
            s.AppendLine("        public static void Main()");
            s.AppendLine("        {");
            s.AppendLine("            ReplayTape tape = new ReplayTape();");
            s.AppendLine("            tape.BoardName = " + Literal(board.Name) + ";");
            s.AppendLine("            tape.SourceName = " + Literal(sourceName) + ";");
            s.AppendLine("            tape.TotalRows = " + total + ";");
            s.AppendLine("            tape.MaxSamples = " + Math.Max(0, options.MaxSamples) + ";");
            s.AppendLine("            tape.HasPressure = " + Bool(hasPressure) + ";");
            s.AppendLine("            tape.Rows = new Rows();");
            s.AppendLine("            tape.Decisions = new Decisions();");
            s.AppendLine("            tape.LabelDelayMs = " + options.LabelDelayMs + ";");
            s.AppendLine("            tape.ButtonWindowMs = " + options.ButtonWindowMs + ";");
            s.AppendLine("            tape.UseSerialLabels = " + Bool(options.UseSerialLabels) + ";");
            s.AppendLine("            tape.PredLines = " + Bool(options.PredLines) + ";");
            s.AppendLine("            tape.StatEverySamples = 60;");
            s.AppendLine("            tape.Seed = " + (uint)options.Seed + ";");
            // With a board's heap (nanoclr32 --heap) the frozen copy stays on the host: a board never holds a second
            // model, and the learner sizes its training arena to the heap the board has (the host observer gives the frozen figures).
            s.AppendLine("            tape.CompareFrozen = " + Bool(nano.CompareFrozen && nano.HeapBytes == 0) + ";");
            s.AppendLine("            tape.ProbeHeapUpTo = " + (nano.ProbeHeap && nano.HeapBytes > 0 ? nano.HeapBytes + EmulatedFlashHeapBytesForModel(prepared.Bytes) : 0) + ";");
            s.AppendLine("            tape.Commands = new string[] { " + string.Join(", ", (options.Commands ?? Array.Empty<string>()).Select(Literal)) + " };");
            // The embedded model is taken from the firmware's own constant; a model prepared on the host becomes a
            // generated source. Either way the array exists only while the firmware parses it (boot, reset).
            bool embedded = prepared.Bytes.AsSpan().SequenceEqual(TinTin.Firmware.DefaultModel.Bytes());
            s.AppendLine("            tape.Model = " + (embedded ? "new TinTin.Firmware.EmbeddedModelSource()" : "new TapeModel()") + ";");
            s.AppendLine("            tape.ModelName = " + Literal(prepared.ModelName) + ";");
            s.AppendLine("            tape.FeatureIds = new int[] { " + string.Join(", ", prepared.FeatureIds) + " };");
            s.AppendLine("            tape.WindowSamples = " + prepared.WindowSamples + ";");
            s.AppendLine("            " + (nano.Entry ?? "ReplayRunner.Run(tape, new ConsoleLineOutput());"));
            s.AppendLine("        }");
            s.AppendLine("    }");
            AppendValues(s, "Rows", rowChunks, ValuesPerRow);
            AppendValues(s, "Decisions", decisionChunks, 1);
            if (!embedded)
            {
                s.AppendLine("    internal sealed class TapeModel : TinTin.Firmware.ModelBytesSource");
                s.AppendLine("    {");
                s.AppendLine("        public override byte[] Bytes() { return new byte[] { " + string.Join(",", prepared.Bytes.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture))) + " }; }");
                s.AppendLine("    }");
            }
            s.AppendLine("}");
            return s.ToString();
        }

        /// <summary>
        /// The host's virtual board on the same options, serial and flash kept in memory: the virtual
        /// person and the observers beside the board (frozen model, last-label, majority-so-far) are host
        /// code either way, so the nanoCLR summary takes their figures from this run.
        /// </summary>
        public static VirtualBoardSummary HostObserver(VirtualBoardOptions options)
        {
            var quiet = new VirtualBoardOptions
            {
                DataPath = options.DataPath, Columns = options.Columns, Model = options.Model, Board = options.Board,
                LabelFraction = options.LabelFraction, LabelDelayMs = options.LabelDelayMs, UseSerialLabels = options.UseSerialLabels,
                ButtonWindowMs = options.ButtonWindowMs, PredLines = options.PredLines, Seed = options.Seed, ProgressEvery = 0,
                MaxSamples = options.MaxSamples, Commands = options.Commands, Cancel = options.Cancel,
            };
            return VirtualBoardRunner.Run(quiet, TextWriter.Null);
        }

        /// <summary>
        /// Chunks of the generated tape to one method: nanoCLR's switch has at most 255 cases and 16-bit branch offsets,
        /// so one method holding 2,000 rows (about 22 B of code a row) stopped with an exception past its 32 KB.
        /// </summary>
        public const int ChunksPerMethod = 64;

        /// <summary>
        /// A TapeValues subclass: each chunk's values as integer constants (Row per row, Put per value), no strings;
        /// Write dispatches to one method per ChunksPerMethod chunks.
        /// </summary>
        private static void AppendValues(StringBuilder s, string name, List<int[]> chunks, int valuesPerCall)
        {
            int methods = (chunks.Count + ChunksPerMethod - 1) / ChunksPerMethod;
            if (methods > 255) throw new ArgumentException("the tape has " + chunks.Count + " chunks of " + name + ", more than nanoCLR's switch can reach: pass --max-samples");
            s.AppendLine("    internal sealed class " + name + " : TapeValues");
            s.AppendLine("    {");
            s.AppendLine("        public override int ChunkCount { get { return " + chunks.Count + "; } }");
            s.AppendLine("        public override int LongestChunk { get { return " + chunks.Select(c => c.Length).DefaultIfEmpty(0).Max() + "; } }");
            s.AppendLine("        protected override void Write(int index)");
            s.AppendLine("        {");
            s.AppendLine("            switch (index / " + ChunksPerMethod + ")");
            s.AppendLine("            {");
            for (int m = 0; m < methods; m++) s.AppendLine("                case " + m + ": Write" + m + "(index - " + (m * ChunksPerMethod) + "); return;");
            s.AppendLine("            }");
            s.AppendLine("        }");
            var line = new StringBuilder();
            for (int m = 0; m < methods; m++)
            {
                s.AppendLine("        private void Write" + m + "(int index)");
                s.AppendLine("        {");
                s.AppendLine("            switch (index)");
                s.AppendLine("            {");
                for (int i = m * ChunksPerMethod; i < Math.Min(chunks.Count, (m + 1) * ChunksPerMethod); i++)
                {
                    line.Clear().Append("                case ").Append(i - m * ChunksPerMethod).Append(':');
                    int[] values = chunks[i];
                    for (int at = 0; at < values.Length; at += valuesPerCall)
                    {
                        line.Append(valuesPerCall == ValuesPerRow ? " Row(" : " Put(");
                        for (int k = 0; k < valuesPerCall; k++) line.Append(k == 0 ? "" : ",").Append(values[at + k].ToString(CultureInfo.InvariantCulture));
                        line.Append(");");
                    }
                    s.AppendLine(line.Append(" return;").ToString());
                }
                s.AppendLine("            }");
                s.AppendLine("        }");
            }
            s.AppendLine("    }");
        }

        private static string Bool(bool b) => b ? "true" : "false";

        private static string Literal(string text) => SymbolDisplayLiteral(text);

        private static string SymbolDisplayLiteral(string text) =>
            Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text ?? "", true);

        /// <summary>
        /// Heap the replay's RAM flash takes on nanoclr32 (<c>RamFlash</c>: two slots of one checkpoint
        /// image each, allocated up front, and the object holding them). A board keeps its checkpoints in
        /// flash, outside its managed heap, so a run "with a board's heap" gives nanoclr32 the board's heap
        /// plus exactly these bytes: the firmware's own objects then have the board's heap. nanoCLR's 32-bit
        /// layout: 12-byte heap blocks; an array is a 20-byte header plus its elements rounded up to whole
        /// blocks (a reference element is one block); an object is one block plus one per field.
        /// NanoReplayTests checks it against the free heap measured around <c>new RamFlash</c> on nanoclr32.
        /// </summary>
        public static int EmulatedFlashHeapBytes(int slotCapacity)
        {
            static int Blocks(int bytes) => (bytes + HeapBlockBytes - 1) / HeapBlockBytes * HeapBlockBytes;
            int slot = Blocks(ArrayHeaderBytes + slotCapacity);                    // byte[slotCapacity]
            int slots = Blocks(ArrayHeaderBytes + 2 * HeapBlockBytes);             // byte[2][]
            int lengths = Blocks(ArrayHeaderBytes + 2 * sizeof(int));             // int[2]
            int flash = HeapBlockBytes * (1 + RamFlashFields);                     // the RamFlash object
            return 2 * slot + slots + lengths + flash;
        }

        /// <summary><see cref="EmulatedFlashHeapBytes(int)"/> for a model file of so many bytes (slots of CheckpointStore.ImageSize).</summary>
        public static int EmulatedFlashHeapBytesForModel(byte[] modelFile) => EmulatedFlashHeapBytes(CheckpointStore.ImageSize(modelFile));

        /// <summary>nanoclr32's heap block (CLR_RT_HeapBlock on a 32-bit target, as on ESP32 and STM32).</summary>
        public const int HeapBlockBytes = 12;
        /// <summary>CLR_RT_HeapBlock_Array: a heap block, the element count and the element type, size and flags.</summary>
        public const int ArrayHeaderBytes = 20;
        /// <summary>RamFlash's instance fields (slots, lengths, capacity, Writes).</summary>
        public const int RamFlashFields = 4;

        /// <summary>Turns the tagged output into the summary and the serial lines; a run that did not complete is an error naming why.</summary>
        public static NanoReplayResult Parse(VirtualBoardOptions options, int heapBytes, NanoRunOutput output, VirtualBoardSummary observer = null)
        {
            var serial = new List<string>();
            var figures = new Dictionary<string, string>();
            string failure = null;
            bool done = false;
            foreach (string line in output.Lines)
            {
                if (line.StartsWith("S ", StringComparison.Ordinal)) serial.Add(line.Substring(2));
                else if (line.StartsWith("R ", StringComparison.Ordinal))
                {
                    int space = line.IndexOf(' ', 2);
                    if (space > 0) figures[line.Substring(2, space - 2)] = line.Substring(space + 1);
                }
                else if (line.StartsWith("X ", StringComparison.Ordinal)) failure = line.Substring(2);
                else if (line == "E done") done = true;
            }
            string where = serial.Count == 0 ? " (before the first serial line)" : " (after " + serial.Count + " serial lines; the last: " + serial[^1] + ")";
            if (failure != null) throw new NanoRunFailedException("the firmware stopped inside nanoCLR: " + failure + where, output);
            if (!done) throw new NanoRunFailedException("nanoCLR ended before the replay finished (exit " + output.ExitCode + ")" + where + ": " + NanoProgram.Tail(output.StandardOutput + output.StandardError), output);
            if (!figures.ContainsKey("board")) return new NanoReplayResult { SerialLines = serial, Figures = figures, Output = output };
            long F(string key) => long.Parse(figures[key], CultureInfo.InvariantCulture);
            string dataPath = options.DataPath ?? RepositoryPaths.Data("occupancy", "datatest2.txt");
            var summary = new VirtualBoardSummary
            {
                Board = figures["board"], Data = Path.GetFileName(dataPath), ModelSource = figures["model_source"],
                Samples = (int)F("samples"), FrozenCorrect = (int)F("frozen_correct"), AdaptiveCorrect = (int)F("adaptive_correct"),
                SecondHalfSamples = (int)F("second_half_samples"), FrozenCorrectSecondHalf = (int)F("frozen_correct_second_half"),
                AdaptiveCorrectSecondHalf = (int)F("adaptive_correct_second_half"), Presses = (int)F("presses"),
                LabelledSamples = F("labelled"), BoardAccuracyPerMille = F("board_accuracy_pm"), Updates = F("updates"),
                Checkpoints = F("checkpoints"), Faults = F("faults"), EngineBytes = (int)F("engine_bytes"), LearnerBytes = (int)F("learner_bytes"),
                BackwardBytes = (int)F("backward_bytes"), BudgetBytes = (int)F("budget_bytes"), SelectedChannels = (int)F("selected_channels"),
                TotalChannels = (int)F("total_channels"), FullBackwardBytes = (int)F("full_backward_bytes"), FullUpdateMacs = F("full_update_macs"),
                SelectedUpdateMacs = F("selected_update_macs"), BudgetMacs = F("budget_macs"),
                HeapFreeBytes = (int)F("heap_free"), MacsPerPredict = F("macs_per_predict"), MacsUpdatesTotal = F("macs_updates"),
                EnergyUpdatesUj = F("energy_updates_uj"), EnergyTotalUj = F("energy_total_uj"), PredictUs = F("predict_us"),
                SerialLines = F("serial_lines"), WallMs = output.WallMs, SerialCapture = serial,
                HeapSource = F("heap_free") < 0 ? (heapBytes > 0 ? "nanoclr32, not measured" : "nanoclr 64-bit, not measured") : "nanoclr32 " + heapBytes + " B heap + emulated flash, measured",
                Machine = heapBytes > 0 ? "nanoclr32" : "nanoclr",
            };
            if (observer != null && figures.TryGetValue("adaptive_confusion", out string confusion))
            {
                // The board's own predictions come from nanoCLR; the observers beside it from the host run.
                var adaptive = new ClassMetrics(observer.AdaptiveMetrics.Classes);
                string[] cells = confusion.Split(',');
                for (int i = 0; i < cells.Length; i++)
                {
                    int n = int.Parse(cells[i], CultureInfo.InvariantCulture);
                    for (int k = 0; k < n; k++) adaptive.Add(i / adaptive.Classes, i % adaptive.Classes);
                }
                summary.AdaptiveMetrics = adaptive;
                summary.FrozenMetrics = observer.FrozenMetrics;
                summary.LastLabelMetrics = observer.LastLabelMetrics;
                summary.MajoritySoFarMetrics = observer.MajoritySoFarMetrics;
                summary.LabelFractionAsked = observer.LabelFractionAsked;
                summary.Days = observer.Days;
            }
            if (observer != null && summary.FrozenCorrect < 0)
            {
                summary.FrozenCorrect = observer.FrozenCorrect;
                summary.FrozenCorrectSecondHalf = observer.FrozenCorrectSecondHalf;
                summary.MacsPerPredict = observer.MacsPerPredict;
            }
            return new NanoReplayResult { Summary = summary, SerialLines = serial, Figures = figures, Output = output };
        }

        /// <summary>Protocol keys whose values measure the machine: free heap (the host emulates it, nanoCLR measures it). Everything else must be byte-identical.</summary>
        public static readonly string[] MachineKeys = { "heap" };

        /// <summary>A protocol line with the values of <see cref="MachineKeys"/> replaced by '*' (for comparing runs on different machines).</summary>
        public static string MaskMachineKeys(string line)
        {
            var parts = line.Split(' ');
            for (int i = 0; i < parts.Length; i++)
                foreach (string key in MachineKeys)
                    if (parts[i].StartsWith(key + "=", StringComparison.Ordinal)) parts[i] = key + "=*";
            return string.Join(" ", parts);
        }
    }

    /// <summary>A generated replay program, ready to run on nanoclr or nanoclr32 (any heap).</summary>
    public sealed class CompiledReplay : IDisposable
    {
        private readonly NanoProgram runtime;
        private readonly VirtualBoardOptions options;
        private readonly NanoReplayOptions nano;
        private readonly string ownedFolder;
        private VirtualBoardSummary observer;

        internal CompiledReplay(NanoProgram runtime, VirtualBoardOptions options, NanoReplayOptions nano, string pe, string ownedFolder)
        {
            this.runtime = runtime; this.options = options; this.nano = nano; Pe = pe; this.ownedFolder = ownedFolder;
        }

        public string Pe { get; }

        /// <summary>Heap nanoclr32 adds for the replay's RAM flash (<see cref="NanoReplay.EmulatedFlashHeapBytes"/> of this model's checkpoint image).</summary>
        public int FlashHeapBytes => NanoReplay.EmulatedFlashHeapBytesForModel((options.Model ?? VirtualBoardRunner.EmbeddedModel()).Bytes);

        /// <summary>
        /// Runs it: heapBytes &gt; 0 on nanoclr32 with the board's heap heapBytes plus <see cref="FlashHeapBytes"/>
        /// (the emulated flash a board keeps outside its heap), else on the 64-bit nanoclr; wrapper e.g. valgrind.
        /// </summary>
        public NanoReplayResult Run(int heapBytes, TextWriter progress = null, IReadOnlyList<string> wrapper = null)
        {
            int flash = heapBytes > 0 ? FlashHeapBytes : 0;
            progress?.WriteLine("nanoclr: running the firmware on " + (heapBytes > 0
                ? "nanoclr32 with a " + heapBytes + "-byte heap for the firmware + " + flash + " B for the replay's RAM flash (" + (heapBytes + flash) + " B; a board's flash is outside its heap)"
                : "nanoclr (64-bit)") + " (" + runtime.Root + ")");
            NanoRunOutput output = runtime.Run(Pe, heapBytes > 0 ? heapBytes + flash : 0, nano.Timeout, wrapper);
            observer ??= nano.CompareFrozen ? NanoReplay.HostObserver(options) : null;
            return NanoReplay.Parse(options, heapBytes, output, observer);
        }

        public void Dispose()
        {
            if (ownedFolder != null) { try { Directory.Delete(ownedFolder, true); } catch (IOException) { } }
        }
    }

    /// <summary>The interpreter ran but the replay did not complete (an exception, a crash, out of memory).</summary>
    public sealed class NanoRunFailedException : Exception
    {
        public NanoRunOutput Output { get; }
        public NanoRunFailedException(string message, NanoRunOutput output) : base(message) { Output = output; }
    }
}
