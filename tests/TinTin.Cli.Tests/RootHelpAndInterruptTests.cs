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
            cancel.CancelAfter(TimeSpan.FromSeconds(2));
            CliResult result = CliRunner.Run(null, cancel.Token, "monitor", pty.HostEnd, "--plain", "--send", "status", "--log", log, "--duration", "30");
            Assert.True(result.ExitCode == ExitCodes.Interrupted, result.ToString());
            Assert.Contains("interrupted", result.Error);
            Assert.Contains(File.ReadAllLines(log), l => l.Contains(",hello,"));
        }

        /// <summary>The real process: SIGINT (what Ctrl-C sends) stops `tintin simulate` with 130.</summary>
        [Fact]
        public void Sigint_to_the_tintin_process_exits_130()
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "tintin.dll");
            Assert.True(File.Exists(dll), dll);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { dll, "simulate", "--speed", "20" }) start.ArgumentList.Add(a);
            using Process tintin = Process.Start(start);
            Task<string> stderr = tintin.StandardError.ReadToEndAsync();
            string first = tintin.StandardOutput.ReadLine(); // "virtual board: replaying …": the handler is installed
            Assert.StartsWith("virtual board:", first);
            using (Process kill = Process.Start("kill", "-INT " + tintin.Id)) kill.WaitForExit();
            bool exited = tintin.WaitForExit(30_000);
            if (!exited) tintin.Kill(true);
            Assert.True(exited, "tintin did not stop on SIGINT");
            tintin.WaitForExit();
            Assert.True(tintin.ExitCode == ExitCodes.Interrupted, "exit " + tintin.ExitCode + ": " + stderr.Result);
            Assert.Contains("interrupted", stderr.Result);
        }
    }
}
