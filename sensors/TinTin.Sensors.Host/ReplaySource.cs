using System;
using System.IO;
using TinTin.Reference;

namespace TinTin.Sensors
{
    /// <summary>
    /// Plays a recorded CSV (the UCI occupancy files first) as an <see cref="ISampleSource"/>, at
    /// any speed. Values are converted to the sample's fixed point by rounding (°C and % → 0.01);
    /// TimestampMs is the data's time (Unix ms; with Loop, later passes are shifted so time keeps
    /// increasing); Label is the label column or -1.
    ///
    /// Pacing: with Speed = 0 (or infinity) every Read returns at once ("as fast as possible").
    /// With Speed = s &gt; 0, row i is released at clock time start + (t_i − t_0) / s, where start
    /// is the clock's time at the first Read: s = 1 is real time, 60 plays a minute of data per
    /// second. The clock is injectable: a <see cref="SimulatedClock"/> makes paced replay
    /// instantaneous and reproducible (the virtual board), a <see cref="SystemClock"/> really waits.
    ///
    /// A row outside the physical range (<see cref="SensorLimits"/>) is consumed and reported as
    /// OutOfRange, as a sensor glitch would be; the next Read goes on with the next row.
    /// </summary>
    public sealed class ReplaySource : ISampleSource
    {
        private readonly int[] temperature, humidity, pressure, label;
        private readonly long[] times;
        private readonly IReplayClock clock;
        private readonly double speed;
        private long loopOffsetMs;
        private long paceStartMs = -1;
        private long paceDataStartMs;

        public ReplaySource(SensorTable table, ReplayColumns columns, double speed = 0, IReplayClock clock = null)
        {
            ArgumentNullException.ThrowIfNull(table);
            ArgumentNullException.ThrowIfNull(columns);
            if (double.IsNaN(speed) || speed < 0)
                throw new ArgumentException($"replay speed must be ≥ 0 (0 = as fast as possible), not {speed}");
            if (columns.Time != null && columns.Csv == null && table.TimestampsMs == null)
                throw new ArgumentException($"replay of {table.Path}: the time column '{columns.Time}' was not loaded as timestamps; load the table with SensorTable.Load(path, \"{columns.Time}\") or set Time = null");
            if (table.RowCount == 0) throw new ArgumentException($"replay of {table.Path}: no rows");
            table = table.Using(columns.Temperature, columns.Humidity, columns.Pressure, columns.Label);
            Table = table;
            this.speed = double.IsPositiveInfinity(speed) ? 0 : speed;
            this.clock = clock ?? new SystemClock();
            Columns = columns;
            Source = table.Path;
            Name = "replay:" + System.IO.Path.GetFileName(table.Path);
            int n = table.RowCount;
            temperature = Convert(table, columns.Temperature, "temperature", 100.0);
            humidity = Convert(table, columns.Humidity, "humidity", 100.0);
            if (columns.Pressure != null)
            {
                if (!(columns.PressureToPa > 0)) throw new ArgumentException($"replay: PressureToPa must be > 0, not {columns.PressureToPa}");
                pressure = Convert(table, columns.Pressure, "pressure", columns.PressureToPa);
            }
            if (columns.Label != null && columns.LabelMap != null)
                label = LabelSpec.ClassesOf(table, new LabelSpec { Column = columns.Label, Map = columns.LabelMap }, false).Labels;
            else if (columns.Label != null)
            {
                double[] raw = Column(table, columns.Label, "label");
                label = new int[n];
                for (int i = 0; i < n; i++)
                {
                    double v = raw[i];
                    if (v < 0 || v != Math.Floor(v) || v > int.MaxValue)
                        throw new InvalidDataException($"{table.Path}: data row {i + 1}: label column '{columns.Label}' holds {v}, not a non-negative integer");
                    label[i] = (int)v;
                }
            }
            times = new long[n];
            if (table.TimestampsMs != null) Array.Copy(table.TimestampsMs, times, n);
            else for (int i = 0; i < n; i++) times[i] = i * columns.IntervalMs;
        }

        /// <summary>Loads the CSV at path and replays it (see the constructor).</summary>
        public static ReplaySource Open(string path, ReplayColumns columns, double speed = 0, IReplayClock clock = null)
        {
            ArgumentNullException.ThrowIfNull(columns);
            SensorTable table = SensorTable.Load(path, columns.Csv ?? CsvOptions.WithTime(columns.Time));
            if (columns.Node != null) table = table.OfGroup(columns.Node);
            return new ReplaySource(table, columns, speed, clock);
        }

        /// <summary>The rows replayed (after the missing-cell rule): row i is the i-th Read.</summary>
        public SensorTable Table { get; }

        public string Name { get; }
        public string Source { get; }
        public ReplayColumns Columns { get; }
        public bool HasPressure => pressure != null;
        public bool HasLabels => label != null;
        public int RowCount => temperature.Length;
        /// <summary>Index of the next row Read returns.</summary>
        public int Position { get; private set; }
        /// <summary>Start again at the first row after the last (time keeps increasing).</summary>
        public bool Loop { get; set; }
        /// <summary>Completed passes through the data (with Loop).</summary>
        public int Passes { get; private set; }
        public double Speed => speed;

        /// <summary>Back to the first row (pacing restarts at the next Read).</summary>
        public void Rewind()
        {
            Position = 0;
            loopOffsetMs = 0;
            Passes = 0;
            paceStartMs = -1;
        }

        public int Read(EnvironmentSample sample)
        {
            if (Position >= RowCount)
            {
                if (!Loop) return SampleStatus.EndOfData;
                long span = times[RowCount - 1] - times[0];
                long step = RowCount > 1 ? span / (RowCount - 1) : Columns.IntervalMs;
                loopOffsetMs += span + Math.Max(step, 1);
                Position = 0;
                Passes++;
            }
            int i = Position++;
            long t = times[i] + loopOffsetMs;
            if (speed > 0)
            {
                if (paceStartMs < 0) { paceStartMs = clock.NowMs; paceDataStartMs = t; }
                clock.SleepUntil(paceStartMs + (long)Math.Round((t - paceDataStartMs) / speed));
            }
            sample.TimestampMs = t;
            sample.TemperatureCentiC = temperature[i];
            sample.HumidityCentiPercent = humidity[i];
            sample.HasPressure = pressure != null;
            sample.PressurePa = pressure != null ? pressure[i] : 0;
            sample.Label = label != null ? label[i] : -1;
            return SensorLimits.Check(sample);
        }

        private static double[] Column(SensorTable table, string name, string role)
        {
            try { return table.Column(name); }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"replay: the {role} column '{name}' is not usable in {table.Path}: {e.Message}", e);
            }
        }

        private static int[] Convert(SensorTable table, string name, string role, double scale)
        {
            double[] raw = Column(table, name, role);
            var result = new int[raw.Length];
            for (int i = 0; i < raw.Length; i++)
            {
                double v = Math.Round(raw[i] * scale, MidpointRounding.AwayFromZero);
                // Values beyond int stay representable as out-of-range samples rather than wrapping.
                result[i] = v > int.MaxValue ? int.MaxValue : v < int.MinValue ? int.MinValue : (int)v;
            }
            return result;
        }
    }
}
