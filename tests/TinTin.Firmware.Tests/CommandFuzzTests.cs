using System;
using System.Linq;
using FsCheck.Xunit;
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

        private static readonly string[] Commands = { "label", "budget", "pred", "save", "status", "help", "reset", "restore" };

        /// <summary>
        /// One fuzzed command line from FsCheck inputs (which shrink: shorter text, fewer bytes, smaller
        /// numbers), in one of four shapes: line noise, words of the command language in any order, a real
        /// command with any numbers, printable junk up to several hundred characters.
        /// </summary>
        private static string FuzzLine(Tuple<byte, string, byte[]> spec)
        {
            byte shape = spec.Item1;
            string text = spec.Item2 ?? "";
            byte[] bytes = spec.Item3 ?? Array.Empty<byte>();
            switch (shape % 4)
            {
                case 0: // any characters, as line noise would give (a newline would end the line)
                    return text.Replace("\n", "");
                case 1: // words of the command language in any order
                    return string.Join(shape % 3 == 0 ? "  " : " ", bytes.Take(6).Select(b => Words[b % Words.Length]));
                case 2: // a real command with any numbers
                    return Commands[shape / 4 % Commands.Length] + string.Concat(bytes.Take(3).Select(b => " " + ((sbyte)b * 787 + b)));
                default: // printable ASCII junk, repeated up to 8 times (past the 200-character limit)
                    {
                        string printable = new string(text.Select(c => (char)(32 + c % 95)).ToArray());
                        return string.Concat(Enumerable.Repeat(printable, 1 + bytes.Length % 8));
                    }
            }
        }

        /// <summary>
        /// Any bursts of fuzzed lines between steps leave the loop running: every step completes, every
        /// line the board writes is a well-formed protocol line of at most 200 characters, no command
        /// throws, and afterwards the board still predicts and answers a proper command.
        /// </summary>
        [Property(MaxTest = 40)]
        public void Fuzzed_command_lines_never_break_the_loop(Tuple<byte, string, byte[]>[][] bursts)
        {
            using var board = new TestBoard();
            board.App.Start();
            int steps = Math.Max(100, bursts.Length);
            for (int step = 0; step < steps; step++)
            {
                if (step < bursts.Length)
                    foreach (var spec in bursts[step].Take(8)) board.Serial.Send(FuzzLine(spec));
                Assert.True(board.App.Step());
            }
            foreach (string line in board.Lines)
            {
                Assert.True(line.Length <= Protocol.MaxLineChars, line);
                Assert.NotNull(ProtocolParser.Parse(line));
            }
            Assert.Equal(0, board.App.CommandFailures);
            // after a fuzzed reset the feature window warms up again
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
