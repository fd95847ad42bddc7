namespace TinTin.Sensors
{
    /// <summary>
    /// Where environmental samples come from: a BME280 on a board, a recorded CSV on the host.
    /// </summary>
    public interface ISampleSource
    {
        /// <summary>Short name for status lines, e.g. "bme280@0x76" or "replay:datatest2.txt".</summary>
        string Name { get; }

        /// <summary>True when the samples carry pressure (BME280: yes; occupancy data: no).</summary>
        bool HasPressure { get; }

        /// <summary>
        /// Fills <paramref name="sample"/> and returns a <see cref="SampleStatus"/> code. Never throws
        /// for sensor faults: an I2C error or an out-of-range reading is a status, the caller counts
        /// it (<see cref="SensorFaults"/>) and goes on. When the status is not Ok the sample's
        /// contents are unspecified and must not be used.
        /// </summary>
        int Read(EnvironmentSample sample);
    }

    /// <summary>Status codes returned by <see cref="ISampleSource.Read"/> (ints: no enums-with-ToString cost on the board).</summary>
    public static class SampleStatus
    {
        public const int Ok = 0, I2cError = 1, OutOfRange = 2, EndOfData = 3;
        /// <summary>The device answered but is not usable: wrong chip id, not configured. See the source's LastError.</summary>
        public const int DeviceError = 4;

        public static string Name(int status)
        {
            switch (status)
            {
                case Ok: return "ok";
                case I2cError: return "i2c-error";
                case OutOfRange: return "out-of-range";
                case EndOfData: return "end-of-data";
                case DeviceError: return "device-error";
                default: return "status-" + status.ToString();
            }
        }

        /// <summary>True for the statuses that are faults to count and skip (not Ok, not EndOfData).</summary>
        public static bool IsFault(int status)
        {
            return status != Ok && status != EndOfData;
        }
    }

    /// <summary>Fault counters. The loop calls <see cref="Count"/> with every Read status, then skips faulty samples.</summary>
    public sealed class SensorFaults
    {
        public int I2cErrors;
        public int OutOfRange;
        /// <summary>DeviceError and unknown codes.</summary>
        public int OtherErrors;
        /// <summary>The status of the last counted fault (Ok when none yet).</summary>
        public int LastFault;

        public int Total { get { return I2cErrors + OutOfRange + OtherErrors; } }

        /// <summary>Counts a Read status: Ok and EndOfData are not faults and are ignored.</summary>
        public void Count(int status)
        {
            if (status == SampleStatus.Ok || status == SampleStatus.EndOfData) return;
            if (status == SampleStatus.I2cError) I2cErrors++;
            else if (status == SampleStatus.OutOfRange) OutOfRange++;
            else OtherErrors++;
            LastFault = status;
        }

        public void Reset()
        {
            I2cErrors = 0; OutOfRange = 0; OtherErrors = 0; LastFault = SampleStatus.Ok;
        }
    }

    /// <summary>A millisecond clock a board-side source stamps its samples with (board: uptime).</summary>
    public interface IMillisecondClock
    {
        long NowMs { get; }
    }
}
