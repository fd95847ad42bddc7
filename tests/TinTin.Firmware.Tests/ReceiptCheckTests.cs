using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.Firmware.Replay;
using TinTin.TestSupport;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>
    /// Issue 15, session 12: the board's side of the aggregator's receipts (FleetLink and FleetMember.ReceiveReceipt) on the
    /// host and on nanoCLR (ReceiptCheck): the host's lines are checked against the rules, then nanoCLR must print them all.
    /// </summary>
    public class ReceiptCheckTests
    {
        private static readonly Lazy<List<string>> HostLines = new Lazy<List<string>>(() =>
        {
            var output = new CollectingOutput();
            ReceiptCheck.Run(output);
            return output.Lines;
        });

        private static string Field(string line, string key) =>
            line.Split(' ').Where(p => p.StartsWith(key + "=", StringComparison.Ordinal)).Select(p => p.Substring(key.Length + 1)).Single();

        private static string State(string when) => HostLines.Value.Single(l => l.StartsWith("R " + when + " ", StringComparison.Ordinal));

        [Fact]
        public void The_board_refuses_bad_receipts_and_acts_on_verified_refusals()
        {
            List<string> lines = HostLines.Value;
            Assert.Equal("E done", lines[^1]);
            Assert.All(lines.Where(l => l.StartsWith("S ", StringComparison.Ordinal)), l => Assert.True(l.Length - 2 <= 200, l));
            List<string> errs = lines.Where(l => l.StartsWith("S TT1 err ", StringComparison.Ordinal)).ToList();
            foreach (string e in errs) Console.WriteLine(e);
            // The forged, the cut, the oversized and board2's receipt (the duplicate is counted, not printed); then three
            // verified refusals; the floor lowered once (its duplicate prints nothing), and that receipt replayed refused.
            Assert.Equal(9, errs.Count);
            Assert.All(errs, e => Assert.Equal("fleet", Field(e, "code")));
            Assert.Contains("HMAC", errs[0]);
            Assert.Contains("truncated", errs[1]);
            Assert.Contains("over_the_141-byte_limit", errs[2]);
            Assert.Contains("addressed_to_board__board2_", errs[3]);
            Assert.Equal(("base_gone", "update", "70"), (Field(errs[4], "reason"), Field(errs[4], "kind"), Field(errs[4], "agg_v")));
            Assert.Equal(("replayed", "stats", "1000"), (Field(errs[5], "reason"), Field(errs[5], "kind"), Field(errs[5], "agg_seq")));
            Assert.Contains("next_statistics_is_seq_1001", errs[5]);
            Assert.Equal(("replayed", "update", "5000"), (Field(errs[6], "reason"), Field(errs[6], "kind"), Field(errs[6], "agg_seq")));

            string bad = State("bad");
            Assert.Equal(("1", "0", "1", "1", "0", "4"), (Field(bad, "seq"), Field(bad, "every"), Field(bad, "receipts"), Field(bad, "duplicates"), Field(bad, "agg_refused"), Field(bad, "refused")));
            string gone = State("base_gone");
            Assert.Equal(("1", "1"), (Field(gone, "every"), Field(gone, "agg_refused")));
            string next = lines.Single(l => l.StartsWith("R next_update ", StringComparison.Ordinal));
            Assert.Equal(Field(next, "max"), Field(next, "bytes"));
            string replayed = State("replayed");
            Assert.Equal(("5000", "1000", "3"), (Field(replayed, "seq"), Field(replayed, "stats_seq"), Field(replayed, "agg_refused")));
            Assert.Equal("0", Field(replayed, "floors"));

            // An aggregator that lost its state: the board verified up to v200, the receipt for its next update says v70.
            Assert.Contains("aggregator_lost_its_state:_its_newest_is_v70__below_v200", errs[7]);
            string floor = State("floor");
            Assert.Equal(("70", "1", "2"), (Field(floor, "highest"), Field(floor, "floors"), Field(floor, "duplicates")));
            Assert.Contains("answers_no_message_this_board_sent_last", errs[8]);
            string kept = State("floor_kept");
            Assert.Equal(("70", "1"), (Field(kept, "highest"), Field(kept, "floors")));
            List<string> statuses = lines.Where(l => l.Contains(" fleet ") && l.Contains("event=status")).ToList();
            Assert.Equal(2, statuses.Count);
            Assert.DoesNotContain(" floors=", statuses[0]); // before the floor went down
            string status = statuses[1];
            Assert.Equal(("3", "5", "1"), (Field(status, "agg_refused"), Field(status, "refused"), Field(status, "floors")));
        }

        [NanoRuntimeFact]
        public void Receipts_on_nanoclr_give_the_host_lines()
        {
            NanoProgram runtime = NanoProgram.Locate(NanoProgram.ChecksProject);
            string folder = Path.Combine(Path.GetTempPath(), "tintin-receipt-check-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                string pe = runtime.CompileProgram(
                    "public static class Program { public static void Main() { TinTin.Firmware.Replay.ReceiptCheck.Run(new TinTin.Firmware.Replay.ConsoleLineOutput()); } }",
                    "TinTin.ReceiptCheck", folder);
                NanoRunOutput run = runtime.Run(pe, 0, TimeSpan.FromMinutes(2));
                List<string> nano = run.Lines.Where(l => l.Length > 1 && "SREX".IndexOf(l[0]) >= 0 && l[1] == ' ').ToList();
                List<string> host = HostLines.Value;
                for (int i = 0; i < Math.Min(host.Count, nano.Count); i++)
                    Assert.True(host[i] == nano[i], "line " + (i + 1) + " differs:\n host:    " + host[i] + "\n nanoclr: " + nano[i]);
                Assert.Equal(host.Count, nano.Count);
            }
            finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
        }
    }
}
