using System;
using System.Collections.Generic;
using System.Text;
using TinTin.Firmware;
using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>The board's serial reader (UartSerial over SerialLineReader): every line of every read is delivered.</summary>
    public class SerialLineReaderTests
    {
        /// <summary>A UART receive buffer: bytes arrive all at once, a read returns at most what was asked.</summary>
        private sealed class FakeUart : ISerialBytes
        {
            private readonly Queue<byte> pending = new();
            public int Reads;
            public void Receive(string text) { foreach (byte b in Encoding.ASCII.GetBytes(text)) pending.Enqueue(b); }
            public int BytesToRead => pending.Count;
            public int Read(byte[] buffer, int offset, int count)
            {
                Reads++;
                int n = 0;
                while (n < count && pending.Count > 0) buffer[offset + n++] = pending.Dequeue();
                return n;
            }
        }

        private static List<string> Drain(SerialLineReader reader)
        {
            var lines = new List<string>();
            string line;
            while ((line = reader.ReadLine()) != null) lines.Add(line);
            return lines;
        }

        [Theory]
        [InlineData(1)]
        [InlineData(8)]
        [InlineData(64)]
        [InlineData(4096)]
        public void Five_commands_sent_back_to_back_all_arrive_in_order(int readSize)
        {
            var uart = new FakeUart();
            var reader = new SerialLineReader(uart, readSize);
            string[] commands = { "status", "label 1 60", "budget 2048", "pred off", "help" };
            uart.Receive(string.Join("\r\n", commands) + "\r\n");
            Assert.Equal(commands, Drain(reader));
            Assert.Equal(0, reader.BufferedBytes);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(8)]
        [InlineData(64)]
        [InlineData(4096)]
        public void A_line_split_across_reads_and_a_partial_tail_wait_for_their_newline(int readSize)
        {
            var uart = new FakeUart();
            var reader = new SerialLineReader(uart, readSize);
            uart.Receive("label 0 12\nsta");
            Assert.Equal(new[] { "label 0 12" }, Drain(reader));
            uart.Receive("tus\nsave\n");
            Assert.Equal(new[] { "status", "save" }, Drain(reader));
            Assert.Null(reader.ReadLine());
        }

        [Theory]
        [InlineData(1)]
        [InlineData(8)]
        [InlineData(64)]
        [InlineData(4096)]
        public void Many_lines_in_one_burst_and_an_overlong_line_are_all_accounted_for(int readSize)
        {
            var uart = new FakeUart();
            var reader = new SerialLineReader(uart, readSize);
            var sent = new List<string>();
            for (int i = 0; i < 300; i++) sent.Add("label " + (i % 2) + " " + (i + 1));
            string longLine = new string('x', Protocol.MaxLineChars + 500);
            uart.Receive(string.Join("\n", sent) + "\n" + longLine + "\nstatus\n");
            List<string> got = Drain(reader);
            Assert.Equal(302, got.Count);
            Assert.Equal(sent, got.GetRange(0, 300));
            Assert.Equal(Protocol.MaxLineChars + 1, got[300].Length); // cut so the parser reports it as too long
            Assert.Equal("status", got[301]);
        }

        [Fact]
        public void Bad_arguments_are_refused()
        {
            Assert.Throws<ArgumentException>(() => new SerialLineReader(null, 8));
            Assert.Throws<ArgumentException>(() => new SerialLineReader(new FakeUart(), 0));
        }
    }
}
