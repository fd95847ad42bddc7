using System.Reflection;

[assembly: AssemblyTitle("TinTin.Firmware.Replay")]
[assembly: AssemblyDescription("TinTinNano replay driver: the firmware on a replayed recording inside nanoCLR")]
[assembly: AssemblyVersion("1.0.0.0")]
