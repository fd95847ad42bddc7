using System;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.VirtualBoard;
using Xunit;
using Xunit.Abstractions;
using TinTin.Firmware.Replay;
using TinTin.TestSupport;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// The firmware loop allocates nothing per step after warm-up — including a channel
    /// re-selection and a checkpoint — on bindings that themselves allocate nothing (a board's
    /// UART writer and flash driver). Measured with GC.GetAllocatedBytesForCurrentThread.
    /// </summary>
    public class FirmwareAllocationTests
    {
        private readonly ITestOutputHelper output;
        public FirmwareAllocationTests(ITestOutputHelper output) { this.output = output; }

        /// <summary>Bytes out go nowhere; a queued command line (made before the measurement) comes in.</summary>
        private sealed class QuietSerial : ISerialPort
        {
            public string Next;
            public long BytesWritten;
            public string ReadLine() { string l = Next; Next = null; return l; }
            public void Write(byte[] buffer, int offset, int count) { BytesWritten += count; }
        }

        private static (FirmwareApp App, QuietSerial Serial, SimulatedBoardClock Clock) NewApp()
        {
            var clock = new SimulatedBoardClock();
            var serial = new QuietSerial();
            BoardProfile board = BoardProfile.Esp32DevKit(false);
            var hardware = new FirmwareHardware
            {
                Source = new SyntheticSource(clock), Flash = new RamFlash(8192), Serial = serial, Clock = clock, Board = board,
            };
            var config = FirmwareConfig.WithEmbeddedModel();
            config.PredLines = true;
            config.StatEverySamples = 10;
            config.CheckpointIntervalMs = 0;
            var factory = new ContinualLearnerFactory(new ContinualConfig { Profile = board.Device, ReselectEveryUpdates = 2 }, -1, false);
            var app = new FirmwareApp(hardware, config, factory);
            app.Start();
            return (app, serial, clock);
        }

        [Fact]
        public void Steps_with_updates_reselections_and_checkpoints_allocate_nothing_after_warm_up()
        {
            var (app, serial, _) = NewApp();
            string label1 = "label 1 300", label0 = "label 0 300", budget = "budget 2048", save = "save", status = "status";
            string[] commands = { label1, budget, label0, save, status };
            void Run(int steps)
            {
                for (int s = 0; s < steps; s++)
                {
                    if (s % 7 == 3) serial.Next = commands[(s / 7) % commands.Length];
                    app.Step();
                }
            }
            Run(400); // warm-up: JIT, first selection, first checkpoints
            int reselections = app.Learner.Reselections;
            long checkpoints = app.Counters.Checkpoints, updates = app.Counters.Updates;
            long allocated = Allocations.FewestBytes(() => Run(200));
            output.WriteLine("allocated " + allocated + " B in the fewest of three windows of 200 steps; over all 600: " + (app.Learner.Reselections - reselections) + " re-selections, "
                + (app.Counters.Checkpoints - checkpoints) + " checkpoints, " + (app.Counters.Updates - updates) + " updates");
            Assert.True(app.Learner.Reselections - reselections >= 5, "too few re-selections to prove anything");
            Assert.True(app.Counters.Checkpoints - checkpoints >= 5, "too few checkpoints to prove anything");
            Assert.True(app.Counters.Updates - updates >= 5, "too few updates to prove anything");
            Assert.Equal(0, app.CommandFailures);
            Assert.Equal(0, allocated);
        }

        [Fact]
        public void A_reselection_alone_and_a_checkpoint_alone_allocate_nothing()
        {
            var (app, serial, _) = NewApp();
            for (int s = 0; s < 300; s++) app.Step();
            app.HandleLine("label 1 600");
            app.HandleLine("save");
            app.Learner.SetBudget(2048, 0);
            long before = GC.GetAllocatedBytesForCurrentThread();
            app.Learner.SetBudget(2048, 0);
            long reselect = GC.GetAllocatedBytesForCurrentThread() - before;
            before = GC.GetAllocatedBytesForCurrentThread();
            app.HandleLine("save");
            long checkpoint = GC.GetAllocatedBytesForCurrentThread() - before;
            before = GC.GetAllocatedBytesForCurrentThread();
            int engine = app.Model.Network.TotalMemoryBytes();
            int backward = app.Model.Network.BackwardBytes();
            long describe = GC.GetAllocatedBytesForCurrentThread() - before;
            before = GC.GetAllocatedBytesForCurrentThread();
            app.HandleLine("budget 2048");
            long budget = GC.GetAllocatedBytesForCurrentThread() - before;
            MemoryPlan plan = app.Model.Network.DescribeMemory();
            Assert.Equal(plan.UsedBytesIn(MemoryCategory.Activations) + plan.UsedBytesIn(MemoryCategory.ActivationGradients)
                + plan.UsedBytesIn(MemoryCategory.Gradients) + plan.UsedBytesIn(MemoryCategory.OptimizerState), backward);
            output.WriteLine("re-selection " + reselect + " B, checkpoint " + checkpoint + " B, engine/backward bytes " + describe + " B, budget command " + budget + " B");
            Assert.Equal(app.Model.Network.DescribeMemory().TotalBytes, engine);
            Assert.Equal(0, reselect);
            Assert.Equal(0, checkpoint);
            Assert.Equal(0, describe);
            Assert.Equal(0, budget);
        }

        /// <summary>Every kind of line that gets an err reply (and help, and a refused restore), made before the measurement.</summary>
        private static readonly string[] BadLines =
        {
            "fly", "label", "label x", "label 1 2 3", "label 7", "label 1 0", "label -1", "label 99999999999999", "label 1\u0001",
            "budget", "budget -5", "budget abc", "budget 1 -1", "pred maybe", "pred", "save now", "status 1", "help me", "h\u00e9lp",
            "reset now", "reset confirm x", "restore 1", "fleet fly", "fleet", "fleet join 1", "restore", "reset", "help",
            new string('a', 201), "\u00ff\u00fe\u0000", "label 1 2 3 4 5", "  LABEL   9 ", "stat", "99999999999999999999",
        };

        [Fact]
        public void Bursts_of_bad_lines_help_and_wrong_labels_allocate_nothing_after_warm_up()
        {
            var (app, serial, _) = NewApp();
            string[] wrongLabels = { "label 0 3", "label 1 3" };
            void Burst()
            {
                foreach (string line in BadLines) app.HandleLine(line);
                for (int s = 0; s < 300; s++)
                {
                    app.Step();
                    if (s % 3 == 0) app.HandleLine(wrongLabels[(s / 3) % 2]); // half of them contradict the last
                    if (s % 50 == 0) foreach (string line in BadLines) app.HandleLine(line);
                }
            }
            Burst(); // warm-up: JIT, the messages made once
            Burst();
            long updates = app.Counters.Updates, written = serial.BytesWritten;
            long allocated = Allocations.FewestBytes(Burst);
            long bytes = serial.BytesWritten - written;
            int badLines = 3 * 7 * BadLines.Length;
            output.WriteLine("allocated " + allocated + " B in the fewest of three bursts: " + badLines + " bad lines, " + (app.Counters.Updates - updates)
                + " updates, " + bytes + " bytes written");
            Assert.True(app.Counters.Updates - updates >= 5, "too few updates to prove anything");
            Assert.True(bytes > badLines * 20, "the bad lines got no replies");
            Assert.Equal(0, app.CommandFailures);
            Assert.Equal(0, allocated);
        }
    }
}
