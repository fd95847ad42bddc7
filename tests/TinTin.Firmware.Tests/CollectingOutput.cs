using System.Collections.Generic;
using TinTin.Firmware.Replay;

namespace TinTin.Firmware.Tests
{
    /// <summary>Keeps every line a check or replay prints on the host ("TAG text"), to compare with nanoCLR's output.</summary>
    internal sealed class CollectingOutput : ILineOutput
    {
        public readonly List<string> Lines = new List<string>();
        public void Line(string tag, string text) => Lines.Add(tag + " " + text);
    }
}
