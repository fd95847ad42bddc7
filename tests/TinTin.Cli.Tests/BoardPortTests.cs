using System;
using System.Text;
using System.Threading;
using Xunit;

namespace TinTin.Cli.Tests
{
    public class BoardPortTests
    {
        /// <summary>
        /// Every byte a board writes arrives, however often the host's reads time out in between. System.IO.Ports on Unix
        /// reads into a queued request that a read timeout cancels; when the cancellation lands after its IO loop read the
        /// bytes but before it completed the request, those bytes were dropped (a lost `hello` line in a loaded CI run).
        /// Here the board writes numbered lines with pauses of about the read timeout while the host reads with 30 ms
        /// timeouts (System.IO.Ports' resolution), so reads time out around every write.
        /// </summary>
        [SocatFact]
        public void No_byte_is_lost_when_reads_time_out_around_the_writes()
        {
            using var pty = new PtyPair();
            using var board = BoardPort.Open(pty.BoardEnd, 115200);
            using var host = BoardPort.Open(pty.HostEnd, 115200);
            const int Lines = 400;
            var writer = new Thread(() =>
            {
                for (int i = 0; i < Lines; i++)
                {
                    board.WriteLine("TT1 line n=" + i + " padding=" + new string('x', i % 50));
                    Thread.Sleep(i % 7 == 0 ? 31 : i % 3);
                }
            }) { IsBackground = true };
            writer.Start();
            var received = new StringBuilder();
            var buffer = new byte[64];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int newlines = 0;
            while (newlines < Lines && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                int n = host.Read(buffer, 30);
                for (int i = 0; i < n; i++) { received.Append((char)buffer[i]); if (buffer[i] == '\n') newlines++; }
            }
            writer.Join();
            string[] lines = received.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Lines, lines.Length);
            for (int i = 0; i < Lines; i++)
                Assert.Equal("TT1 line n=" + i + " padding=" + new string('x', i % 50), lines[i]);
        }
    }
}
