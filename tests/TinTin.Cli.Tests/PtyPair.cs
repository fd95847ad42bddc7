using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>A [Fact] that is skipped, with the reason, when socat is not installed (it is needed for a pseudo-terminal pair).</summary>
    public sealed class SocatFactAttribute : FactAttribute
    {
        public SocatFactAttribute()
        {
            if (PtyPair.SocatPath == null)
                Skip = "socat is not installed, so no pseudo-terminal pair can be made for the serial-port test: install it (apt-get install -y socat; CI: add it to .ci/run)";
        }
    }

    /// <summary>
    /// Two linked pseudo-terminals made by socat, exactly as a user would make them to attach a
    /// board simulator: `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`. What is written
    /// to one end is read on the other.
    /// </summary>
    public sealed class PtyPair : IDisposable
    {
        private readonly Process socat;
        private readonly TempFolder folder = new TempFolder();
        public string BoardEnd { get; }
        public string HostEnd { get; }

        public static string SocatPath
        {
            get
            {
                foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
                {
                    string candidate = Path.Combine(dir, "socat");
                    if (File.Exists(candidate)) return candidate;
                }
                return null;
            }
        }

        public PtyPair()
        {
            BoardEnd = folder.File("board");
            HostEnd = folder.File("host");
            var start = new ProcessStartInfo(SocatPath)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { "-d", "-d", "pty,raw,echo=0,link=" + BoardEnd, "pty,raw,echo=0,link=" + HostEnd }) start.ArgumentList.Add(arg);
            socat = Process.Start(start);
            socat.ErrorDataReceived += (_, e) => { };
            socat.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(BoardEnd) && File.Exists(HostEnd)))
            {
                if (socat.HasExited) throw new InvalidOperationException("socat exited with " + socat.ExitCode + " before making the pty pair");
                if (clock.ElapsedMilliseconds > 10000) throw new TimeoutException("socat made no pty pair in 10 s");
                Thread.Sleep(20);
            }
            Thread.Sleep(100); // socat is ready to shovel once both links exist; give it a moment to enter its loop
        }

        /// <summary>Ends socat, as when a board is unplugged: both pseudo-terminals go away.</summary>
        public void Unplug()
        {
            if (!socat.HasExited) { socat.Kill(); socat.WaitForExit(5000); }
        }

        public void Dispose()
        {
            try { if (!socat.HasExited) { socat.Kill(); socat.WaitForExit(5000); } }
            catch (InvalidOperationException) { }
            socat.Dispose();
            folder.Dispose();
        }
    }
}
