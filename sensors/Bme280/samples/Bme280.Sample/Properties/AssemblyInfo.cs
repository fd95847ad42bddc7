using System.Reflection;

[assembly: AssemblyTitle("TinTin.Sensors.Bme280Sample")]
[assembly: AssemblyVersion("1.0.0.0")]
