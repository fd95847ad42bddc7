using System.Reflection;

[assembly: AssemblyTitle("TinTin.Firmware.Esp32")]
[assembly: AssemblyDescription("TinTinNano firmware app for the ESP32 DevKit (nanoFramework)")]
[assembly: AssemblyVersion("1.0.0.0")]
