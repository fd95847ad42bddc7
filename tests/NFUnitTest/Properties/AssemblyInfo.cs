using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("NFUnitTest")]
[assembly: AssemblyDescription("TinTinNano on-device golden-vector tests")]
[assembly: AssemblyProduct("TinTinNano")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
