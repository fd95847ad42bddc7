using System.Reflection;

[assembly: AssemblyTitle("TinTin.Firmware.Board")]
[assembly: AssemblyDescription("TinTinNano firmware app (nanoFramework)")]
[assembly: AssemblyVersion("1.0.0.0")]
