using System.Reflection;

[assembly: AssemblyTitle("TinTin.Fleet.Board")]
[assembly: AssemblyDescription("TinTinNano fleet: MQTT transport over nanoFramework.M2Mqtt (nanoFramework build)")]
[assembly: AssemblyVersion("1.0.0.0")]
