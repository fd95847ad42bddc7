using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using TinTin.Cli;

namespace TinTin.Cli.Tests
{
    /// <summary>
    /// A board stand-in on one end of a pty pair: answers the protocol's commands with fixed
    /// lines (plus boot noise, a line of an unknown protocol version and an unknown key, which the
    /// monitor must cope with). Speaks only when spoken to, so the test is deterministic.
    /// </summary>
    public sealed class FakeBoard : IDisposable
    {
        private readonly BoardPort port;
        private readonly Thread thread;
        private volatile bool stop;
        public List<string> Received { get; } = new List<string>();
        public Exception Failure { get; private set; }
        private int samples = 40, updates;
        private int answered;

        /// <summary>Commands answered so far (every reply line written to the port).</summary>
        public int Answered => Volatile.Read(ref answered);

        public FakeBoard(string path)
        {
            port = BoardPort.Open(path, 115200);
            thread = new Thread(Run) { IsBackground = true, Name = "fake-board" };
            thread.Start();
        }

        private void Send(string line) => port.WriteLine(line);

        private void Run()
        {
            var buffer = new byte[256];
            var pending = new StringBuilder();
            try
            {
                while (!stop)
                {
                    int n = port.Read(buffer, 50);
                    for (int i = 0; i < n; i++)
                    {
                        if (buffer[i] != (byte)'\n') { pending.Append((char)buffer[i]); continue; }
                        string command = pending.ToString().TrimEnd('\r');
                        pending.Clear();
                        lock (Received) Received.Add(command);
                        Answer(command);
                        Interlocked.Increment(ref answered);
                    }
                }
            }
            catch (Exception e) when (!stop) { Failure = e; }
            catch (Exception) { }
        }

        private void Answer(string command)
        {
            string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words.Length == 0 ? "" : words[0].ToLowerInvariant())
            {
                case "status":
                    Send("ets Jun  8 2016 00:22:57 rst:0x1 (POWERON_RESET),boot:0x13");
                    Send("TT2 stat samples=1");
                    Send("TT1 hello board=fake fw=0.1.0 model=occ-v1 source=default classes=2 features=3 engine_bytes=5120 heap=90112");
                    SendStat();
                    break;
                case "label":
                    updates++;
                    samples += 10;
                    Send("TT1 ok cmd=label cls=" + words[1] + " n=5");
                    Send("TT1 upd t_ms=" + (1000 * updates) + " n=5 label=" + words[1] + " loss_q16=45000 macs=2200 us=1800 uj=95 bytes=1536");
                    SendStat();
                    break;
                case "evil":
                    // what a compromised or broken board could print: OSC 52 (writes the clipboard), a window
                    // title change, a CSI colour, a C1 CSI byte, and a spreadsheet formula
                    Send("\u001b]52;c;cm0gLXJmIH4K\u0007clipboard");
                    Send("\u001b]0;pwned\u0007title \u001b[31mred\u009b2J");
                    Send("=HYPERLINK(\"http://evil.example\",\"click\")");
                    Send("TT1 ok cmd=evil");
                    break;
                default:
                    Send("TT1 err code=bad_command msg=unknown_command_" + (words.Length == 0 ? "" : words[0]));
                    break;
            }
        }

        // Two lines, as the firmware writes them (together they exceed the 200-character limit).
        private void SendStat()
        {
            Send("TT1 stat part=1 t_ms=" + (1000 * updates + 500) + " heap=" + (90112 - 1000 * updates) + " engine_bytes=5120 samples=" + samples +
                " labelled=" + (10 * updates) + " correct=" + (8 * updates) + " acc_pm=" + (updates == 0 ? 0 : 800) + " updates=" + updates +
                " ckpts=0 faults=0 selected=12 future_key=7");
            Send("TT1 stat part=2 t_ms=" + (1000 * updates + 500) + " predict_us=350 update_us=1800 macs_total=" + (2200 * updates + 100 * samples) +
                " macs_update=2200 uj_update=95 uj_total=" + (95 * updates) + " budget_bytes=4096 budget_macs=10000");
        }

        public void Dispose()
        {
            stop = true;
            thread.Join(2000);
            port.Dispose();
        }
    }
}
