using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TinTin.Cli;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>The root help (one line per command), Ctrl-C (exit 130), and the help texts' wording.</summary>
    public class RootHelpAndInterruptTests
    {
        /// <summary>Every command of the tree, so a new command is covered without editing this test.</summary>
        private static readonly string[] Commands = TinTinCli.Build(CliContext.ForTest(new StringWriter(), new StringWriter()))
            .Subcommands.Select(c => c.Name).ToArray();

        [Fact]
        public void Root_help_lists_each_command_on_one_line()
        {
            CliResult result = CliRunner.Run("--help");
            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            string[] lines = result.Out.Split('\n');
            int start = Array.FindIndex(lines, l => l.TrimEnd() == "Commands:");
            Assert.True(start > 0, result.Out);
            string[] rows = lines.Skip(start + 1).Where(l => l.Trim().Length > 0).ToArray();
            Assert.Contains("simulate", Commands);
            Assert.Equal(Commands, rows.Select(r => r.Trim().Split(' ')[0]));
            // Each row is the command's summary: the first line of its own help's description.
            foreach (string command in Commands)
            {
                string own = CliRunner.Run(command, "--help").Out;
                string summary = own.Split('\n')[1].Trim();
                Assert.Contains(rows, r => r.TrimStart().StartsWith(command) && r.TrimEnd().EndsWith(summary));
            }
            Assert.True(result.Out.Split('\n').Length < 30, "root help should be short:\n" + result.Out);
        }

        [Fact]
        public void No_help_text_mentions_an_issue_number()
        {
            foreach (string command in Commands.Prepend("--help"))
            {
                string help = command == "--help" ? CliRunner.Run("--help").Out : CliRunner.Run(command, "--help").Out;
                Assert.DoesNotMatch(@"\(issue \d+\)", help);
            }
        }

        [Fact]
        public void Interrupting_simulate_exits_130()
        {
            using var cancel = new CancellationTokenSource();
            cancel.Cancel();
            CliResult result = CliRunner.Run(null, cancel.Token, "simulate", "--max-samples", "50");
            Assert.True(result.ExitCode == ExitCodes.Interrupted, result.ToString());
            Assert.Contains("interrupted", result.Error);
        }

        [SocatFact]
        public void Interrupting_monitor_flushes_its_log_and_exits_130()
        {
            using var pty = new PtyPair();
            using var board = new FakeBoard(pty.BoardEnd);
            using var temp = new TempFolder();
            string log = temp.File("run.csv");
            using var cancel = new CancellationTokenSource();
            // Interrupt once the board has answered `status` and the monitor has had time to read the reply (a fixed
            // 2 s was too short on a loaded machine: the reply came after the interrupt); at the latest after 25 s.
            var interrupter = System.Threading.Tasks.Task.Run(() =>
            {
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (board.Answered == 0 && waited.Elapsed < TimeSpan.FromSeconds(25)) Thread.Sleep(20);
                Thread.Sleep(1500);
                cancel.Cancel();
            });
            CliResult result = CliRunner.Run(null, cancel.Token, "monitor", pty.HostEnd, "--plain", "--send", "status", "--log", log, "--duration", "30");
            interrupter.Wait();
            Assert.True(result.ExitCode == ExitCodes.Interrupted, result.ToString());
            Assert.Contains("interrupted", result.Error);
            Assert.Contains(File.ReadAllLines(log), l => l.Contains(",hello,"));
        }

        /// <summary>
        /// The real process: SIGINT (what Ctrl-C sends) stops `tintin simulate` with 130.
        /// Started through `env --default-signal=INT`: a test run launched in the background of a non-interactive shell
        /// (or under nohup) inherits SIGINT as ignored, the child inherits that too, and .NET then installs no handler
        /// (correctly: an ignored Ctrl-C stays ignored) — that made this test hang until its timeout in such runs.
        /// </summary>
        [Fact]
        public void Sigint_to_the_tintin_process_exits_130()
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "tintin.dll");
            Assert.True(File.Exists(dll), dll);
            var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { "--default-signal=INT", "dotnet", dll, "simulate", "--speed", "20" }) start.ArgumentList.Add(a);
            using Process tintin = Process.Start(start); // env execs dotnet: same process id
            try
            {
                Task<string> stderr = tintin.StandardError.ReadToEndAsync();
                // Readiness: "virtual board: replaying …" is printed after Main installed the Ctrl-C handler. Generous: the machine may be loaded.
                Task<string> first = tintin.StandardOutput.ReadLineAsync();
                Assert.True(first.Wait(TimeSpan.FromMinutes(3)), "no first line from tintin simulate within 3 minutes");
                Assert.True(first.Result != null && first.Result.StartsWith("virtual board:"), "first line: " + first.Result + "\n" + (tintin.HasExited ? stderr.Result : ""));
                Task<string> rest = tintin.StandardOutput.ReadToEndAsync(); // keep the pipe drained
                using (Process kill = Process.Start("kill", "-INT " + tintin.Id)) kill.WaitForExit();
                bool exited = tintin.WaitForExit(120_000);
                Assert.True(exited, "tintin did not stop within 2 minutes of SIGINT");
                tintin.WaitForExit(); // flushes the redirected streams
                Assert.True(tintin.ExitCode == ExitCodes.Interrupted, "exit " + tintin.ExitCode + ": " + stderr.Result + rest.Result);
                Assert.Contains("interrupted", stderr.Result);
            }
            finally
            {
                if (!tintin.HasExited) tintin.Kill(true);
            }
        }
    }
}
