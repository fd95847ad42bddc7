using System;
using System.Collections.Generic;
using System.IO;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Sensors;
using TinTin.VirtualBoard;

namespace TinTin.Firmware.Tests
{
    /// <summary>A sample source that synthesises a slow day/night pattern (no files), forever or for a count.</summary>
    public sealed class SyntheticSource : ISampleSource
    {
        private readonly SimulatedBoardClock clock;
        private readonly int count;
        private int index;
        public SyntheticSource(SimulatedBoardClock clock, int count = int.MaxValue) { this.clock = clock; this.count = count; }
        public string Name => "synthetic";
        public bool HasPressure => false;
        public int Read(EnvironmentSample s)
        {
            if (index >= count) return SampleStatus.EndOfData;
            long t = index * 60_000L;
            clock.NowMs = t;
            int phase = index % 240;
            bool occupied = phase > 100 && phase < 200;
            s.TimestampMs = t;
            s.TemperatureCentiC = 2050 + (occupied ? 150 : 0) + (index * 7 % 13);
            s.HumidityCentiPercent = 2600 + (occupied ? 300 : 0) + (index * 5 % 11);
            s.HasPressure = false;
            s.Label = occupied ? 1 : 0;
            index++;
            return SampleStatus.Ok;
        }
    }

    /// <summary>A firmware instance on host bindings, with its parts exposed for tests.</summary>
    public sealed class TestBoard : IDisposable
    {
        public readonly SimulatedBoardClock Clock = new SimulatedBoardClock();
        public readonly VirtualSerialPort Serial = new VirtualSerialPort(null, true);
        public readonly FileFlashStore Flash;
        public readonly VirtualButton Button;
        public readonly VirtualLed Led = new VirtualLed();
        public readonly FirmwareApp App;
        public readonly string Folder;
        private readonly bool ownsFolder;

        public TestBoard(string flashFolder = null, ISampleSource source = null, bool predLines = false)
        {
            ownsFolder = flashFolder == null;
            Folder = flashFolder ?? NewFolder();
            Flash = new FileFlashStore(Folder);
            Button = new VirtualButton(Clock);
            BoardProfile board = BoardProfile.Esp32DevKit(false);
            var hardware = new FirmwareHardware
            {
                Source = source ?? new SyntheticSource(Clock), Button = Button, Led = Led, Flash = Flash, Serial = Serial,
                Clock = Clock, Board = board, Heap = new EmulatedHeap(board.Device.HeapBytes, () => 40_000),
            };
            var config = FirmwareConfig.WithEmbeddedModel();
            config.PredLines = predLines;
            config.StatEverySamples = 50;
            var factory = new ContinualLearnerFactory(new ContinualConfig { Profile = board.Device }, Network.ArenaFromBudget, false);
            App = new FirmwareApp(hardware, config, factory);
        }

        public static string NewFolder()
        {
            string folder = Path.Combine(Path.GetTempPath(), "tintin-fw-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            return folder;
        }

        public IReadOnlyList<string> Lines => Serial.Lines;

        public List<ProtocolMessage> Messages(int from = 0)
        {
            var list = new List<ProtocolMessage>();
            for (int i = from; i < Lines.Count; i++) list.Add(ProtocolParser.Parse(Lines[i]));
            return list;
        }

        public void Steps(int n) { for (int i = 0; i < n; i++) App.Step(); }

        public void Dispose()
        {
            Serial.Dispose();
            if (ownsFolder) try { Directory.Delete(Folder, true); } catch (IOException) { }
        }
    }
}
