using System.Reflection;

[assembly: AssemblyTitle("TinTin.Sensors")]
[assembly: AssemblyDescription("TinTinNano sensors (nanoFramework build)")]
[assembly: AssemblyVersion("1.0.0.0")]
