using TinTin.Core;

namespace TinTin.Firmware
{
    /// <summary>Waits between loop ticks: Thread.Sleep on a board (TinTin.Firmware.Board), a fake clock's advance in a check.</summary>
    public interface IDelay
    {
        void Wait(int milliseconds);
    }

    /// <summary>
    /// The main loop every board app runs, with the hardware behind interfaces: sample once a period
    /// (<see cref="FirmwareApp.Step"/>), poll serial commands and the button every tick in between
    /// (<see cref="FirmwareApp.PollInput"/>) and wait a tick. TinTin.Firmware.Board's BoardRunner binds
    /// it to the real pins; firmware/TinTin.Firmware.Checks BoardLoopCheck drives it with fakes on the
    /// host and on nanoCLR (tests/TinTin.Firmware.Tests BoardLoopTests compares the two).
    /// </summary>
    public sealed class BoardLoop
    {
        /// <summary>Milliseconds between samples on a board (the occupancy data: one a minute).</summary>
        public const int SamplePeriodMs = 60000;
        /// <summary>Loop tick on a board: commands and the button are polled this often between samples.</summary>
        public const int TickMs = 50;
        /// <summary>Samples between stat lines on a board.</summary>
        public const int StatEverySamples = 10;

        private readonly FirmwareApp app;
        private readonly IClock clock;
        private readonly ISerialPort serial;
        private readonly IDelay delay;
        private readonly int samplePeriodMs;
        private readonly int tickMs;
        private long nextSampleMs;
        private bool started;

        /// <summary>Samples taken (Step calls) and ticks waited, since Start.</summary>
        public long Samples, Ticks;

        public BoardLoop(FirmwareHardware hardware, FirmwareConfig config, IDelay delay, int samplePeriodMs, int tickMs)
        {
            if (hardware == null || hardware.Clock == null || hardware.Board == null) throw new System.ArgumentException("BoardLoop needs hardware with a clock and a board profile");
            if (delay == null) throw new System.ArgumentException("BoardLoop needs a delay");
            if (samplePeriodMs <= 0 || tickMs <= 0) throw new System.ArgumentException("sample period and tick must be positive, not " + samplePeriodMs + " and " + tickMs);
            ContinualConfig learning = new ContinualConfig();
            learning.Profile = hardware.Board.Device;
            app = new FirmwareApp(hardware, config, new ContinualLearnerFactory(learning, Network.ArenaFromBudget, false));
            clock = hardware.Clock;
            serial = hardware.Serial;
            this.delay = delay;
            this.samplePeriodMs = samplePeriodMs;
            this.tickMs = tickMs;
        }

        /// <summary>What every board runs: the embedded model, a pred line per sample, stat lines every <see cref="StatEverySamples"/> samples.</summary>
        public static FirmwareConfig BoardConfig()
        {
            FirmwareConfig config = FirmwareConfig.WithEmbeddedModel();
            config.PredLines = true;
            config.StatEverySamples = StatEverySamples;
            return config;
        }

        public FirmwareApp App { get { return app; } }

        /// <summary>Starts the firmware (checkpoint or default model, hello line); fleetProblem, when not null, goes out as an `err code=fleet` line.</summary>
        public void Start(string fleetProblem)
        {
            app.Start();
            if (fleetProblem != null)
            {
                ProtocolWriter writer = new ProtocolWriter(serial);
                writer.Begin(Protocol.Err); writer.Token("code", Protocol.FleetError); writer.Text("msg", fleetProblem); writer.End();
            }
            nextSampleMs = clock.NowMs;
            started = true;
        }

        /// <summary>
        /// One pass of the loop: a sample when its time has come (Step reads a sample each call, so it
        /// runs once a period and the schedule does not drift with the step's duration), else the
        /// commands and the button, then a tick's wait.
        /// </summary>
        public void Tick()
        {
            if (!started) throw new System.InvalidOperationException("call Start first");
            if (clock.NowMs >= nextSampleMs)
            {
                app.Step();
                Samples++;
                nextSampleMs += samplePeriodMs;
            }
            else
            {
                app.PollInput();
                delay.Wait(tickMs);
                Ticks++;
            }
        }

        /// <summary>The board's loop: ticks forever.</summary>
        public void RunForever()
        {
            while (true) Tick();
        }
    }
}
