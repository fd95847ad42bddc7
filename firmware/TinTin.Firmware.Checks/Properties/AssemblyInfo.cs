using System.Reflection;

[assembly: AssemblyTitle("TinTin.Firmware.Checks")]
[assembly: AssemblyDescription("TinTinNano checks and engine bench on the replay driver inside nanoCLR (kept out of the replay's load list)")]
[assembly: AssemblyVersion("1.0.0.0")]
