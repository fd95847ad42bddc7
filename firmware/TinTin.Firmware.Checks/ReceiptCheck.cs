using System;
using TinTin.Core;
using TinTin.Fleet;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// The aggregator's receipts at the board (issue 15, session 12) on the host and on nanoCLR (a test compares the outputs
    /// line for line): the firmware's FleetLink on the embedded default model reads receipts from a transport at its safe
    /// point: an accepted update's receipt, then a duplicate (counted, no line), a forged, a cut, an oversized and another
    /// board's receipt (each an err line); a base-gone refusal (the next update carries every channel); replayed refusals of statistics
    /// and of an update (the sequences move past the aggregator's); a receipt whose newest version is below the highest the
    /// board verified lowers its "newer than" floor (an aggregator that lost its state), once. Receipts are written with FleetMessage.WriteReceipt,
    /// the aggregator's own writer. Prints every serial line ("S …"), the member's state ("R …"), then "E done"; an
    /// exception that escapes prints "X …".
    /// </summary>
    public sealed class ReceiptCheck
    {
        private readonly ReceiptCheckTransport transport = new ReceiptCheckTransport();
        private readonly ReceiptCheckPort port;
        private readonly FleetLink link;
        private readonly HmacSha256 fleetKey;
        private readonly byte[] board1, board2;
        private readonly ILineOutput output;

        public static void Run(ILineOutput output)
        {
            try
            {
                new ReceiptCheck(output).Scenario();
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        private ReceiptCheck(ILineOutput output)
        {
            this.output = output;
            port = new ReceiptCheckPort(output);
            byte[] boardKey = new byte[32], fleetBytes = new byte[32];
            for (int i = 0; i < 32; i++) { boardKey[i] = (byte)(i + 1); fleetBytes[i] = (byte)(101 + i); }
            fleetKey = new HmacSha256(fleetBytes);
            board1 = FleetMessage.BoardIdBytes("board1");
            board2 = FleetMessage.BoardIdBytes("board2");
            FleetSettings settings = new FleetSettings();
            settings.BoardKey = boardKey;
            settings.FleetKey = fleetBytes;
            settings.BoardId = "board1";
            settings.StatsEverySamples = 0;
            link = new FleetLink(transport, settings, new ProtocolWriter(port));
            byte[] file = DefaultModel.Bytes();
            Model model = ModelFile.Load(file, file.Length, 0, false);
            link.Bind(model.Network, null, 0, new FirmwareCounters(), true, null);
            link.Join(0);
        }

        private void Scenario()
        {
            FleetMember member = link.Member;
            int length = member.WriteUpdate(9, 7);
            byte[] accepted = Receipt(member.UpdateBuffer, length, FleetMessage.ReceiptAccepted, member.UpdateSequence, 3, board1);
            byte[] forged = Copy(accepted, accepted.Length);
            forged[40] = (byte)(forged[40] ^ 1);
            byte[] oversized = new byte[FleetMessage.MaxReceiptBytes + 1];
            Array.Copy(accepted, oversized, accepted.Length);
            transport.Add(accepted);
            transport.Add(accepted);
            transport.Add(forged);
            transport.Add(Copy(accepted, accepted.Length - 1));
            transport.Add(oversized);
            transport.Add(Receipt(member.UpdateBuffer, length, FleetMessage.ReceiptReplayed, 1000000, 3, board2));
            Safe(1);
            State("bad");

            length = member.WriteUpdate(10, 8);
            transport.Add(Receipt(member.UpdateBuffer, length, FleetMessage.ReceiptBaseGone, 1, 70, board1));
            Safe(2);
            State("base_gone");
            length = member.WriteUpdate(11, 9);
            output.Line(ReplayLines.Result, "next_update bytes=" + length.ToString() + " max=" + FleetMessage.MaxUpdateBytes(member.Shape).ToString()
                + " crc=" + Crc32.Compute(member.UpdateBuffer, 0, length).ToString());

            length = member.WriteStats(-6, 0);
            transport.Add(Receipt(member.StatsBuffer, length, FleetMessage.ReceiptReplayed, 1000, 70, board1));
            length = member.WriteUpdate(12, 9);
            transport.Add(Receipt(member.UpdateBuffer, length, FleetMessage.ReceiptReplayed, 5000, 70, board1));
            Safe(3);
            State("replayed");
            link.Status(3); // no floor lowered yet: no floors key

            // An aggregator that lost its state (session 13): the board had verified up to v200 (a checkpoint's counters); the
            // receipt for its next update says the aggregator's newest is v70, so the floor drops to v70 (one err line; its
            // second copy changes nothing). A receipt above the floor changes nothing; the first receipt replayed later
            // answers no message the board sent last and is refused.
            member.Resume(0, 0, 200);
            length = member.WriteUpdate(13, 9);
            byte[] low = Receipt(member.UpdateBuffer, length, FleetMessage.ReceiptAccepted, member.UpdateSequence, 70, board1);
            transport.Add(low);
            transport.Add(low);
            Safe(4);
            State("floor");
            length = member.WriteUpdate(14, 9);
            transport.Add(Receipt(member.UpdateBuffer, length, FleetMessage.ReceiptAccepted, member.UpdateSequence, 300, board1));
            transport.Add(low);
            Safe(5);
            State("floor_kept");
            link.Status(6); // floors=1
        }

        private byte[] Receipt(byte[] answered, int length, int outcome, uint lastAccepted, uint version, byte[] recipient)
        {
            byte[] receipt = new byte[FleetMessage.ReceiptBytes(recipient.Length)];
            FleetMessage.WriteReceipt(receipt, answered, length, outcome, lastAccepted, version, link.Member.Shape.Fingerprint(), recipient, fleetKey);
            return receipt;
        }

        private void Safe(long nowMs) { link.SafePoint(nowMs, 0, 0, null, Nothing); }

        private static void Nothing() { }

        private void State(string when)
        {
            FleetMember m = link.Member;
            output.Line(ReplayLines.Result, when + " seq=" + m.UpdateSequence.ToString() + " stats_seq=" + m.StatsSequence.ToString() + " every=" + (m.SendsEveryChannel ? "1" : "0")
                + " receipts=" + m.ReceiptsVerified.ToString() + " duplicates=" + m.ReceiptDuplicates.ToString() + " agg_refused=" + m.AggregatorRefused.ToString() + " refused=" + m.Rejected.ToString()
                + " code=" + m.ReceiptCode.ToString() + " recv_b=" + m.BytesReceived.ToString() + " highest=" + m.HighestVersion.ToString() + " floors=" + m.FloorsLowered.ToString());
        }

        private static byte[] Copy(byte[] from, int length)
        {
            byte[] copy = new byte[length];
            Array.Copy(from, copy, length);
            return copy;
        }
    }

    /// <summary>The check's transport: messages handed to the board in order (at most 16 waiting); publishes are taken.</summary>
    public sealed class ReceiptCheckTransport : IFleetTransport
    {
        private readonly byte[][] waiting = new byte[16][];
        private int count, next;
        private bool connected;

        public void Add(byte[] message) { waiting[count++] = message; }
        public bool Connect() { connected = true; return true; }
        public void Disconnect() { connected = false; }
        public bool IsConnected { get { return connected; } }
        public bool PublishUpdate(byte[] message, int length) { return connected; }

        public int TryReceive(byte[] buffer)
        {
            if (next == count) { next = 0; count = 0; return 0; }
            byte[] m = waiting[next++];
            if (m.Length > buffer.Length) return -1;
            Array.Copy(m, buffer, m.Length);
            return m.Length;
        }
    }

    /// <summary>The check's serial port: every protocol line the firmware writes goes to the output as "S line".</summary>
    public sealed class ReceiptCheckPort : ISerialPort
    {
        private readonly ILineOutput output;
        private readonly char[] text = new char[Protocol.MaxLineChars + 1];

        public ReceiptCheckPort(ILineOutput output) { this.output = output; }
        public string ReadLine() { return null; }

        public void Write(byte[] buffer, int offset, int count)
        {
            int n = 0;
            for (int i = 0; i < count && n < text.Length; i++)
            {
                char c = (char)buffer[offset + i];
                if (c != '\n' && c != '\r') text[n++] = c;
            }
            output.Line(ReplayLines.Serial, new string(text, 0, n));
        }
    }
}
