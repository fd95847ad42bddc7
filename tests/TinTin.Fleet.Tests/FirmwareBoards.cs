using TinTin.Core;
using TinTin.Firmware;
using TinTin.FleetHost;
using TinTin.Reference;
using TinTin.VirtualBoard;

namespace TinTin.Fleet.Tests
{
    /// <summary>The firmware boards the fleet tests drive: one recipe instead of one per test class.</summary>
    internal static class FirmwareBoards
    {
        /// <summary>
        /// The firmware (FleetLink) on a virtual ESP32 replaying datatest2.txt with no labels of its own, its fleet messages on
        /// `transport` (a fake, or a broker link), configured with `settings` (null: the firmware's own fleet settings); the
        /// serial lines are captured.
        /// </summary>
        internal static VirtualFleetBoard On(IFleetTransport transport, FleetSettings settings, string name = "board1", int seed = 3, TrainingStateMode mode = TrainingStateMode.GradientArena)
        {
            var spec = new BoardSpec { Name = name, DataPath = RepositoryPaths.Data("occupancy", "datatest2.txt"), LabelFraction = 0, Seed = seed, TrainingMode = mode };
            return new VirtualFleetBoard(spec, VirtualBoardRunner.EmbeddedModel(), "esp32-devkit", (hw, cfg) =>
            {
                hw.Fleet = transport;
                if (settings != null) cfg.Fleet = settings;
            }, captureSerial: true);
        }
    }
}
