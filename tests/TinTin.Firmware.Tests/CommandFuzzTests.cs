using System;
using System.Linq;
using System.Text;
using TinTin.Firmware;
using Xunit;

namespace TinTin.Firmware.Tests
{
    public class CommandFuzzTests
    {
        private static readonly string[] Words =
        {
            "label", "LABEL", "save", "reset", "confirm", "restore", "budget", "status", "help", "pred", "on", "off", "0", "1", "2", "-1", "60",
            "99999999999999999999", "4096", "1e3", "0x10", "+5", "labelx", "", " ", "\t", "=", "TT1", "stat", "ok", "ü", "\u0000", "\u007f",
        };

        private static string RandomLine(Random random)
        {
            switch (random.Next(4))
            {
                case 0: // random bytes, as line noise would give
                    {
                        int n = random.Next(0, 260);
                        var bytes = new byte[n];
                        random.NextBytes(bytes);
                        var sb = new StringBuilder();
                        foreach (byte b in bytes) if (b != (byte)'\n') sb.Append((char)b);
                        return sb.ToString();
                    }
                case 1: // words of the command language in random order
                    return string.Join(random.Next(3) == 0 ? "  " : " ", Enumerable.Range(0, random.Next(0, 6)).Select(_ => Words[random.Next(Words.Length)]));
                case 2: // a real command with random numbers
                    {
                        string[] commands = { "label", "budget", "pred", "save", "status", "help", "reset", "restore" };
                        string c = commands[random.Next(commands.Length)];
                        int args = random.Next(0, 4);
                        return c + string.Concat(Enumerable.Range(0, args).Select(_ => " " + random.NextInt64(-100000, 100000)));
                    }
                default: // printable ASCII junk, sometimes very long
                    return new string(Enumerable.Range(0, random.Next(0, random.Next(2) == 0 ? 40 : 400)).Select(_ => (char)random.Next(32, 127)).ToArray());
            }
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Fuzzed_command_lines_never_break_the_loop(int seed)
        {
            var random = new Random(seed);
            using var board = new TestBoard();
            board.App.Start();
            int lines = 0;
            for (int step = 0; step < 400; step++)
            {
                int burst = random.Next(0, 6);
                for (int k = 0; k < burst; k++) { board.Serial.Send(RandomLine(random)); lines++; }
                Assert.True(board.App.Step());
            }
            Assert.True(lines > 900);
            // every line the board wrote is a well-formed protocol line of at most 200 characters
            foreach (string line in board.Lines)
            {
                Assert.True(line.Length <= Protocol.MaxLineChars, line);
                Assert.NotNull(ProtocolParser.Parse(line));
            }
            Assert.Equal(0, board.App.CommandFailures);
            // and the board still works: it predicts (after a fuzzed reset the feature window warms up
            // again), takes a proper command and answers it
            long samples = board.App.Counters.Samples;
            board.Steps(DefaultModel.WindowSamples + 1);
            Assert.True(board.App.Counters.Samples > samples);
            Assert.True(board.App.LastStepPredicted);
            int before = board.Lines.Count;
            board.App.HandleLine("status");
            Assert.Equal("stat", ProtocolParser.Parse(board.Lines[before]).Kind);
        }

        [Fact]
        public void Each_malformed_line_gets_exactly_one_err_line()
        {
            using var board = new TestBoard();
            board.App.Start();
            board.Steps(20);
            string[] bad =
            {
                "fly", "label", "label x", "label 1 2 3", "label 7", "label 1 0", "label -1", "budget", "budget -5", "budget abc",
                "pred maybe", "save now", "status 1", new string('a', 201), "label 1\u0001", "h\u00e9lp", "label 99999999999999",
            };
            foreach (string line in bad)
            {
                int before = board.Lines.Count;
                board.App.HandleLine(line);
                var replies = board.Messages(before);
                Assert.True(replies.Count == 1, "'" + line + "' got " + replies.Count + " replies");
                Assert.Equal("err", replies[0].Kind);
                Assert.Contains(replies[0].Get("code"), new[] { "bad_command", "bad_argument" });
                Assert.NotNull(replies[0].Get("msg"));
            }
            int blankBefore = board.Lines.Count;
            board.App.HandleLine("   ");
            board.App.HandleLine("");
            Assert.Equal(blankBefore, board.Lines.Count);
        }

        [Fact]
        public void Command_parser_handles_case_tabs_and_optional_arguments()
        {
            var parser = new CommandParser();
            var c = new Command();
            parser.Parse("Label\t1   120\r", c);
            Assert.Equal(CommandCode.Label, c.Code);
            Assert.Equal(1, c.Arg1);
            Assert.True(c.HasArg2);
            Assert.Equal(120, c.Arg2);
            parser.Parse("budget 4096", c);
            Assert.Equal(CommandCode.Budget, c.Code);
            Assert.False(c.HasArg2);
            parser.Parse("PRED Off", c);
            Assert.Equal(CommandCode.Pred, c.Code);
            Assert.Equal(0, c.Arg1);
            parser.Parse("help me", c);
            Assert.Equal(CommandCode.Error, c.Code);
            Assert.Equal("bad_argument", c.ErrorCode);
        }
    }
}
