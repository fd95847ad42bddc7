using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.FleetHost;
using TinTin.VirtualBoard;
using Xunit;
using Xunit.Abstractions;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The firmware's status-like `fleet` line (FleetLink, docs/PROTOCOL.md row `fleet`) with every counter at the largest
    /// value its type holds: the protocol's 200 characters are not enough for every key then (the writer drops the keys
    /// that do not fit whole), so what is held here is that every line stays within 200 characters, parses, and keeps the
    /// board's state and model counters (`t_ms` .. `agg_refused`) with their exact values; the test prints what the line
    /// would need and which keys went.
    /// </summary>
    public class FleetStatusLineTests
    {
        private static readonly FleetConfig Config = FleetConfig.Demo(2);
        private readonly ITestOutputHelper output;

        public FleetStatusLineTests(ITestOutputHelper output) { this.output = output; }

        private sealed class Port : ISerialPort
        {
            public readonly List<string> Lines = new();
            public string ReadLine() => null;
            public void Write(byte[] buffer, int offset, int count) => Lines.Add(Encoding.ASCII.GetString(buffer, offset, count).TrimEnd('\n'));
        }

        /// <summary>Every event that writes the status-like keys (FleetLink.Line; `join_refused` has no member, so no counters).</summary>
        private static readonly string[] StatusLike = { "joined", "join_failed", "left", "status", "taken", "kept", "rolled_back" };

        private static readonly string[] Kept = { "t_ms", "event", "joined", "connected", "base", "trial", "taken", "declined", "rolled_back", "refused", "agg_refused" };

        [Fact]
        public void EveryStatusLikeLineWithEveryCounterAtItsLargestValueStaysWithin200CharactersAndKeepsTheStateAndModelCounters()
        {
            var port = new Port();
            var settings = new FleetSettings { BoardKey = Config.Boards[0].Key, FleetKey = Config.FleetKey, BoardId = "board1", StatsEverySamples = 0 };
            var link = new FleetLink(new FakeTransport(), settings, new ProtocolWriter(port));
            byte[] file = VirtualBoardRunner.EmbeddedModel().Bytes;
            Model model = ModelFile.Load(file, file.Length, 0, false);
            link.Bind(model.Network, null, 0, new FirmwareCounters(), true, null);
            Assert.True(link.Join(0));

            FleetMember m = link.Member;
            m.ResetBaseline(uint.MaxValue);
            typeof(FleetMember).GetField("inTrial", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(m, true);
            Assert.True(m.InTrial);
            m.Accepted = m.Declined = m.RolledBack = m.Rejected = m.AggregatorRefused = m.FloorsLowered = int.MaxValue;
            m.BytesSent = m.BytesReceived = long.MaxValue;
            var full = new List<(string Key, string Value)>
            {
                ("t_ms", long.MaxValue.ToString()), ("event", null), ("joined", "1"), ("connected", "1"), ("base", uint.MaxValue.ToString()), ("trial", "1"),
                ("taken", int.MaxValue.ToString()), ("declined", int.MaxValue.ToString()), ("rolled_back", int.MaxValue.ToString()), ("refused", int.MaxValue.ToString()),
                ("agg_refused", int.MaxValue.ToString()), ("floors", int.MaxValue.ToString()), ("sent_b", long.MaxValue.ToString()), ("recv_b", long.MaxValue.ToString()),
            };

            MethodInfo line = typeof(FleetLink).GetMethod("Line", BindingFlags.NonPublic | BindingFlags.Instance)!;
            foreach (string what in StatusLike)
            {
                port.Lines.Clear();
                line.Invoke(link, new object[] { long.MaxValue, what });
                string text = port.Lines.Single();
                int needed = "TT1 fleet".Length + full.Sum(k => 2 + k.Key.Length + (k.Value ?? what).Length);
                ProtocolMessage parsed = ProtocolParser.Parse(text);
                string[] dropped = full.Select(k => k.Key).Where(k => !parsed.Has(k)).ToArray();
                output.WriteLine($"{what}: {text.Length} characters (all keys: {needed}); dropped: {string.Join(", ", dropped)}");

                Assert.True(text.Length <= Protocol.MaxLineChars, text);
                Assert.Equal("fleet", parsed.Kind);
                foreach (string key in Kept) Assert.True(parsed.Has(key), key + " missing: " + text);
                foreach (var (key, value) in full)
                    if (parsed.Has(key)) Assert.Equal(value ?? what, parsed.Get(key)); // whatever is on the line is whole
            }
        }
    }
}
