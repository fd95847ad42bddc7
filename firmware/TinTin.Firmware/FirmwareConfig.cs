namespace TinTin.Firmware
{
    /// <summary>The hardware the loop runs on: only these bindings differ between a board and the host.</summary>
    public sealed class FirmwareHardware
    {
        public TinTin.Sensors.ISampleSource Source;
        public IButton Button;
        public ILed Led;
        public IFlashStore Flash;
        public ISerialPort Serial;
        public IClock Clock;
        public IHeapMonitor Heap;
        public BoardProfile Board;
        /// <summary>The fleet transport (MQTT on the board); null: no fleet.</summary>
        public TinTin.Fleet.IFleetTransport Fleet;
    }

    /// <summary>Settings of the firmware loop (defaults suit the occupancy demo: one sample a minute).</summary>
    public sealed class FirmwareConfig
    {
        public string FirmwareVersion = "0.1.0";
        /// <summary>Keys and reporting of the fleet (used when the hardware has a fleet transport).</summary>
        public FleetSettings Fleet;
        /// <summary>ModelFile bytes of the default model, kept for the firmware's life; null when <see cref="DefaultModelSource"/> makes them.</summary>
        public byte[] DefaultModel;
        /// <summary>
        /// Makes the default model's bytes each time the firmware needs them (boot, reset): the
        /// array is garbage once the model is parsed, so no model-sized copy stays on the heap.
        /// Wins over <see cref="DefaultModel"/>.
        /// </summary>
        public ModelBytesSource DefaultModelSource;
        /// <summary>Token naming the default model, e.g. "occupancy-th".</summary>
        public string ModelName = "default";
        /// <summary>Feature ids (TinTin.Sensors.FeatureSet) in model input order.</summary>
        public int[] FeatureIds;
        public int WindowSamples = 8;
        /// <summary>A pred line per sample (the `pred on|off` command switches it).</summary>
        public bool PredLines = true;
        /// <summary>A stat line every this many samples (0: only on `status`).</summary>
        public int StatEverySamples = 60;
        /// <summary>Write a checkpoint when updates happened and this long passed since the last one.</summary>
        public long CheckpointIntervalMs = 30 * 60 * 1000;
        /// <summary>A button press labels the samples of the last ButtonWindowMs.</summary>
        public long ButtonWindowMs = 5 * 60 * 1000;
        /// <summary>`label c` without seconds labels the last DefaultLabelSeconds.</summary>
        public int DefaultLabelSeconds = 60;
        /// <summary>Most command lines handled per loop iteration (a flood cannot starve the sensor).</summary>
        public int MaxCommandsPerStep = 16;

        /// <summary>A config that boots the model embedded in the firmware (DefaultModel.g.cs): its bytes, name, features and window.</summary>
        public static FirmwareConfig WithEmbeddedModel()
        {
            FirmwareConfig config = new FirmwareConfig();
            config.DefaultModelSource = new EmbeddedModelSource();
            config.ModelName = TinTin.Firmware.DefaultModel.Name;
            config.FeatureIds = TinTin.Firmware.DefaultModel.FeatureIds();
            config.WindowSamples = TinTin.Firmware.DefaultModel.WindowSamples;
            return config;
        }

        /// <summary>Whether a default model is configured (bytes or a source).</summary>
        public bool HasDefaultModel { get { return DefaultModel != null || DefaultModelSource != null; } }

        /// <summary>The default model's ModelFile bytes: made afresh by the source, else the kept array.</summary>
        public byte[] DefaultModelBytes()
        {
            return DefaultModelSource != null ? DefaultModelSource.Bytes() : DefaultModel;
        }
    }

    /// <summary>Gives a model's ModelFile bytes on demand (a new array each call; the caller drops it after parsing).</summary>
    public abstract class ModelBytesSource
    {
        public abstract byte[] Bytes();
    }

    /// <summary>
    /// The model embedded in the firmware (DefaultModel.g.cs): its bytes are an assembly constant
    /// (flash on a board), copied onto the heap only while a model is parsed from them.
    /// </summary>
    public sealed class EmbeddedModelSource : ModelBytesSource
    {
        public override byte[] Bytes() { return TinTin.Firmware.DefaultModel.Bytes(); }
    }
}
