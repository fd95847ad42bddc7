namespace TinTin.Sensors
{
    /// <summary>
    /// Wraps a source and injects faults on a fixed schedule, to exercise the fault path (tests,
    /// the virtual board). Read number n (1-based) is an I2C error when n is a multiple of
    /// I2cErrorEvery, else a glitch (temperature forced to 150 °C, reported OutOfRange) when n is
    /// a multiple of OutOfRangeEvery. Either way the inner source's sample is consumed and lost,
    /// as a failed reading's would be. 0 disables a kind.
    /// </summary>
    public sealed class FaultInjectingSource : ISampleSource
    {
        private readonly ISampleSource inner;
        private int reads;

        public int I2cErrorEvery;
        public int OutOfRangeEvery;
        /// <summary>Faults injected so far.</summary>
        public int Injected;

        public FaultInjectingSource(ISampleSource inner, int i2cErrorEvery, int outOfRangeEvery)
        {
            if (inner == null) throw new System.ArgumentException("FaultInjectingSource needs a source to wrap");
            this.inner = inner;
            I2cErrorEvery = i2cErrorEvery;
            OutOfRangeEvery = outOfRangeEvery;
        }

        public string Name { get { return inner.Name + "+faults"; } }
        public bool HasPressure { get { return inner.HasPressure; } }

        public int Read(EnvironmentSample sample)
        {
            int status = inner.Read(sample);
            if (status == SampleStatus.EndOfData) return status;
            reads++;
            if (I2cErrorEvery > 0 && reads % I2cErrorEvery == 0) { Injected++; return SampleStatus.I2cError; }
            if (OutOfRangeEvery > 0 && reads % OutOfRangeEvery == 0)
            {
                Injected++;
                sample.TemperatureCentiC = 15000;
                return SampleStatus.OutOfRange;
            }
            return status;
        }
    }
}
