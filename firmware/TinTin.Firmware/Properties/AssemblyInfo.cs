using System.Reflection;

[assembly: AssemblyTitle("TinTin.Firmware")]
[assembly: AssemblyDescription("TinTinNano firmware logic (nanoFramework build)")]
[assembly: AssemblyVersion("1.0.0.0")]
