using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinTin.Reference;
using TinTin.TestSupport;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// What of the board bindings (firmware/TinTin.Firmware.Board BoardBindings.cs) the POSIX nanoCLR can run. The
    /// board assembly itself cannot load there (it references the MQTT fleet transport, whose libraries the runtime
    /// has no .pe of), so the probe compiles BoardBindings.cs itself as the board build does and loads the real
    /// class libraries. Each outcome is asserted exactly: when a runtime gains a driver, the test names what now
    /// runs and should be tested for real. The slot logic the bindings delegate to (FileSlotFlash, PressClassifier)
    /// and the loop run on nanoCLR in BoardLoopTests.
    /// </summary>
    public class BoardBindingsOnNanoClrTests
    {
        private static string BoardProject => RepositoryPaths.Find("firmware", "TinTin.Firmware.Board", "TinTin.Firmware.Board.nfproj");

        /// <summary>The class libraries BoardBindings.cs uses (with what they need), all in the runtime's pe/ folder.</summary>
        private static readonly string[] BindingLibraries =
        {
            "nanoFramework.System.Text", "System.IO.Streams", "System.IO.FileSystem", "nanoFramework.Runtime.Events",
            "System.Device.Gpio", "System.Device.I2c", "System.IO.Ports", "nanoFramework.Runtime.Native",
        };

        [NanoRuntimeFact]
        public void The_board_assembly_cannot_load_on_nanoclr_because_the_runtime_has_no_mqtt_libraries()
        {
            var e = Assert.Throws<FileNotFoundException>(() => NanoRuntime.LoadList(BoardProject));
            Assert.Matches("references (System.Net|nanoFramework.M2Mqtt)", e.Message);
        }

        private const string Probe = @"
using System;
using System.Device.Gpio;
using System.Device.I2c;
using TinTin.Firmware;
using TinTin.Firmware.Board;
using TinTin.Firmware.Replay;

public static class Program
{
    private static void Line(string text) { Console.WriteLine(""R "" + text); }

    private delegate string Attempt();

    private static void Try(string what, Attempt attempt)
    {
        try { Line(what + "" ok "" + attempt()); }
        catch (Exception e) { Line(what + "" throws "" + e.GetType().FullName); Console.WriteLine(""D "" + what + "": "" + e.Message); }
    }

    private sealed class NoSensor : TinTin.Sensors.ISampleSource
    {
        public string Name { get { return ""none""; } }
        public bool HasPressure { get { return false; } }
        public int Read(TinTin.Sensors.EnvironmentSample sample) { return TinTin.Sensors.SampleStatus.EndOfData; }
    }

    public static void Main()
    {
        BoardClock clock = new BoardClock();
        Try(""clock"", delegate { long a = clock.NowMs; new ThreadDelay().Wait(20); long b = clock.NowMs; return ""nondecreasing="" + (b >= a ? ""yes"" : ""no""); });
        Try(""sensor-clock"", delegate { return ""nonnegative="" + (new SensorClock(clock).NowMs >= 0 ? ""yes"" : ""no""); });
        // Open a file before asking whether one exists: on this host (no drive), a FileStream opened first after a
        // File.Exists that found nothing segfaulted the interpreter natively (address 0x1b; every run on 2026-12-02,
        // some builds on 2026-12-01) instead of throwing. That is the host's missing drive, not the bindings.
        FileSystemFiles files = new FileSystemFiles();
        Try(""files-create"", delegate { files.Create(""I:\\tintin_ckpt0.bin""); return ""created""; });
        Try(""files-read"", delegate { return ""bytes="" + files.ReadAt(""I:\\tintin_ckpt0.bin"", 0, new byte[16], 16).ToString(); });
        Try(""loop-with-file-flash"", delegate
        {
            FirmwareHardware hw = new FirmwareHardware();
            hw.Source = new NoSensor();
            hw.Flash = new FileSlotFlash(new FileSystemFiles(), ""I:\\tintin_ckpt"", 16 * 1024);
            hw.Serial = new ReplaySerial(new ConsoleLineOutput(), 4);
            hw.Clock = new ReplayClock();
            hw.Board = BoardProfile.Esp32DevKit(false);
            BoardLoop loop = new BoardLoop(hw, BoardLoop.BoardConfig(), new ThreadDelay(), BoardLoop.SamplePeriodMs, BoardLoop.TickMs);
            loop.Start(null);
            loop.App.HandleLine(""save"");
            return ""source="" + loop.App.ModelSource + "" checkpoints="" + loop.App.Counters.Checkpoints.ToString();
        });
        Try(""gpio-controller"", delegate { new GpioController(); return ""made""; });
        Try(""gpio-open-pin"", delegate { new GpioController().OpenPin(2, PinMode.Output); return ""opened""; });
        Try(""gpio-button"", delegate { new GpioButton(new GpioController(), 0, true, clock); return ""made""; });
        Try(""gpio-led"", delegate { new GpioLed(new GpioController(), 2); return ""made""; });
        Try(""i2c-device"", delegate { I2cDevice.Create(new I2cConnectionSettings(1, 0x76)); return ""made""; });
        Try(""serial-port"", delegate { new System.IO.Ports.SerialPort(""COM2"", 115200); return ""made""; });
        Try(""uart"", delegate { new UartSerial(""COM2"", 115200); return ""opened""; });
        Try(""drives"", delegate { return System.IO.DriveInfo.GetDrives().Length.ToString(); });
        Console.WriteLine(""E done"");
    }
}
";

        [NanoRuntimeFact]
        public void What_of_the_board_bindings_runs_on_the_posix_nanoclr()
        {
            NanoProgram checks = NanoProgram.Locate(NanoProgram.ChecksProject);
            string root = checks.Root;
            var libraries = BindingLibraries.Select(n => Path.Combine(root, "pe", n + ".pe")).ToList();
            // mscorlib, the binding libraries, the board assemblies (Core, Sensors, Fleet, Firmware, Replay, Checks)
            var load = new List<string> { checks.LoadList[0] };
            load.AddRange(libraries.Where(l => !checks.LoadList.Contains(l)));
            load.AddRange(checks.LoadList.Skip(1));
            var references = load.Select(pe => pe.StartsWith(NanoRuntime.BuildOutput, StringComparison.Ordinal)
                ? Path.ChangeExtension(pe, ".dll") : Path.Combine(root, "ref", Path.GetFileNameWithoutExtension(pe) + ".dll")).ToList();

            string folder = Path.Combine(Path.GetTempPath(), "tintin-bindings-probe-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(folder);
            try
            {
                var parse = new CSharpParseOptions(LanguageVersion.CSharp9, preprocessorSymbols: new[] { "NANOFRAMEWORK_1_0" });
                string bindings = File.ReadAllText(RepositoryPaths.Find("firmware", "TinTin.Firmware.Board", "BoardBindings.cs"));
                var compilation = CSharpCompilation.Create("TinTin.BindingsProbe",
                    new[] { CSharpSyntaxTree.ParseText(bindings, parse), CSharpSyntaxTree.ParseText(Probe, parse) },
                    references.Select(r => MetadataReference.CreateFromFile(r)),
                    new CSharpCompilationOptions(OutputKind.ConsoleApplication, optimizationLevel: OptimizationLevel.Release, deterministic: true));
                string dll = Path.Combine(folder, "TinTin.BindingsProbe.dll"), pe = Path.ChangeExtension(dll, ".pe");
                using (var stream = File.Create(dll))
                {
                    var emitted = compilation.Emit(stream);
                    Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
                }
                NanoRunOutput mdp = NanoProgram.RunProcess(Path.Combine(root, "bin", "nano-mdp"), new[] { dll, pe }.Concat(references), null, TimeSpan.FromMinutes(2));
                Assert.True(mdp.ExitCode == 0 && File.Exists(pe), mdp.StandardError + mdp.StandardOutput);

                NanoRunResult run = NanoRuntime.Run(load.Append(pe), new NanoRunOptions { Timeout = TimeSpan.FromMinutes(1) });
                List<string> lines = run.Output.Split('\n').Where(l => l.StartsWith("R ", StringComparison.Ordinal) || l.StartsWith("S ", StringComparison.Ordinal) || l.StartsWith("E ", StringComparison.Ordinal)).ToList();
                string details = string.Join("\n", run.Output.Split('\n').Where(l => l.StartsWith("D ", StringComparison.Ordinal)));
                string all = string.Join("\n", lines) + "\n" + details;
                void Has(string expected) => Assert.True(lines.Contains(expected), "missing " + expected + " in:\n" + all);
                Assert.True(lines.Count > 0 && lines[^1] == "E done", "the probe did not finish:\n" + run.Describe(60));

                // Runs: the clock (DateTime ticks) and the thread delay.
                Has("R clock ok nondecreasing=yes");
                Has("R sensor-clock ok nonnegative=yes");
                // The POSIX host has no drive: File.Exists is false, so a read finds no checkpoint, and opening a file to write throws.
                Has("R files-read ok bytes=0");
                Has("R files-create throws System.ArgumentException");
                Has("R drives throws System.NotSupportedException");
                // The loop with the board's real file flash: boots the default model, and a save becomes an err line, not a crash.
                Assert.Contains(lines, l => l.StartsWith("S TT1 hello ", StringComparison.Ordinal) && l.Contains(" source=default "));
                Assert.Contains(lines, l => l.StartsWith("S TT1 err code=flash msg=checkpoint_failed", StringComparison.Ordinal));
                Has("R loop-with-file-flash ok source=default checkpoints=0");
                // GPIO, I2C and serial ports are stubs: a GpioController can be made, but opening a pin, creating an I2C device or a SerialPort throws.
                Has("R gpio-controller ok made");
                Has("R gpio-open-pin throws System.NotImplementedException");
                Has("R gpio-button throws System.NotImplementedException");
                Has("R gpio-led throws System.NotImplementedException");
                Has("R i2c-device throws System.NotImplementedException");
                Has("R serial-port throws System.NotImplementedException");
                Has("R uart throws System.NotImplementedException");
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }
    }
}
