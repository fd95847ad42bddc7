using System.Reflection;

[assembly: AssemblyTitle("TinTin.Firmware.Stm32")]
[assembly: AssemblyDescription("TinTinNano firmware app for the ST NUCLEO-F429ZI (nanoFramework)")]
[assembly: AssemblyVersion("1.0.0.0")]
