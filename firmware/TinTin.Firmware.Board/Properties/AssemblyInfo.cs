using System.Reflection;

[assembly: AssemblyTitle("TinTin.Firmware.Board")]
[assembly: AssemblyDescription("TinTinNano board bindings and main loop shared by the board apps (nanoFramework)")]
[assembly: AssemblyVersion("1.0.0.0")]
