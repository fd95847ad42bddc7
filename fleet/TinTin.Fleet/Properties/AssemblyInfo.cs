using System.Reflection;

[assembly: AssemblyTitle("TinTin.Fleet")]
[assembly: AssemblyDescription("TinTinNano fleet: model merge, signed fleet messages, board side (nanoFramework build)")]
[assembly: AssemblyVersion("1.0.0.0")]
