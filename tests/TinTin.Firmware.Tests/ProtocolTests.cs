using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Firmware;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Firmware.Tests
{
    public class ProtocolTests
    {
        private static (ProtocolWriter Writer, VirtualSerialPort Port) NewWriter()
        {
            var port = new VirtualSerialPort(null, true);
            return (new ProtocolWriter(port), port);
        }

        [Fact]
        public void An_indexed_key_is_written_as_the_key_and_its_index_as_an_integer_key_would_be()
        {
            var (w, port) = NewWriter();
            w.Begin("pred");
            w.IndexedInt("f", 0, -17);
            w.IndexedInt("f", 15, 2479);
            w.Int("f16", 5);
            w.End();
            Assert.Equal("TT1 pred f0=-17 f15=2479 f16=5", port.Lines.Single());
            ProtocolMessage m = ProtocolParser.Parse(port.Lines.Single());
            Assert.Equal("2479", m.Get("f15"));
        }

        [Fact]
        public void Integers_and_tokens_round_trip_through_writer_and_parser()
        {
            var (w, port) = NewWriter();
            long[] values = { 0, 1, -1, 42, -123456789, int.MaxValue, int.MinValue, 99999999999L, -99999999999L };
            w.Begin("stat");
            for (int i = 0; i < values.Length; i++) w.Int("k" + i, values[i]);
            w.Token("board", "esp32-devkit");
            w.End();
            ProtocolMessage m = ProtocolParser.Parse(port.Lines.Single());
            Assert.Equal(1, m.Version);
            Assert.Equal("stat", m.Kind);
            for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], m.GetLong("k" + i, 7777));
            Assert.Equal("esp32-devkit", m.Get("board"));
        }

        /// <summary>
        /// Any integer and free-text values (FsCheck: a null text stands for an integer key) round-trip
        /// through writer and parser; text outside the token set comes back as '_', empty text as '-';
        /// an integer that would push the line past 200 characters is dropped whole, never cut, and counted; a text
        /// is cut to the line's end with "..." (its start intact, counted) when at least a character of it fits, else dropped.
        /// </summary>
        [Property(MaxTest = 300)]
        public void Any_integer_and_text_keys_round_trip_overflowing_integers_are_dropped_whole_and_texts_cut(Tuple<long, string>[] values)
        {
            var (w, port) = NewWriter();
            var expected = new List<(string Key, string Value)>();
            w.Begin("upd");
            for (int k = 0; k < Math.Min(values.Length, 16); k++)
            {
                string key = "key" + k;
                if (values[k].Item2 == null)
                {
                    w.Int(key, values[k].Item1);
                    expected.Add((key, values[k].Item1.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
                else
                {
                    string text = values[k].Item2;
                    w.Text(key, text);
                    expected.Add((key, text.Length == 0 ? "-" : new string(text.Select(c => Protocol.IsValueChar(c) ? c : '_').ToArray())));
                }
            }
            w.End();
            string line = port.Lines.Single();
            Assert.True(line.Length <= Protocol.MaxLineChars, line);
            ProtocolMessage m = ProtocolParser.Parse(line);
            Assert.Equal("upd", m.Kind);
            // the keys that arrived are the written ones in order, each whole; the others were counted as dropped
            int next = 0;
            for (int i = 0; i < m.Count; i++)
            {
                while (next < expected.Count && expected[next].Key != m.Keys[i]) next++;
                Assert.True(next < expected.Count, "unexpected key " + m.Keys[i]);
                string value = m.Values[i];
                if (value != expected[next].Value)
                {
                    // only a text, cut at the line's end: its start, then the mark, and nothing after it on the line
                    Assert.EndsWith(ProtocolWriter.CutMark, value);
                    Assert.StartsWith(value[..^ProtocolWriter.CutMark.Length], expected[next].Value);
                    Assert.Equal(Protocol.MaxLineChars, line.Length);
                    Assert.Equal(m.Count - 1, i);
                }
                next++;
            }
            Assert.Equal(expected.Count - m.Count, w.KeysDropped);
            Assert.Equal(m.Count > 0 && m.Values[m.Count - 1] != expected.Last(e => e.Key == m.Keys[m.Count - 1]).Value ? 1 : 0, w.TextsCut);
        }

        [Fact]
        public void A_message_too_long_for_its_line_is_cut_with_a_mark_not_dropped()
        {
            var (w, port) = NewWriter();
            string message = "every channel until a take: " + new string('x', 300);
            w.Begin(Protocol.Err);
            w.Token("code", "fleet");
            w.Text("msg", message);
            w.End();
            string line = port.Lines.Single();
            Assert.Equal(Protocol.MaxLineChars, line.Length);
            ProtocolMessage m = ProtocolParser.Parse(line);
            Assert.Equal("fleet", m.Get("code"));
            Assert.StartsWith("every_channel_until_a_take:_xxx", m.Get("msg"));
            Assert.EndsWith(ProtocolWriter.CutMark, m.Get("msg"));
            Assert.Equal(1, w.TextsCut);
            Assert.Equal(0, w.KeysDropped);
        }

        [Fact]
        public void A_full_line_drops_whole_keys_and_stays_within_200_characters()
        {
            var (w, port) = NewWriter();
            w.Begin("stat");
            for (int i = 0; i < 40; i++) w.Int("counter" + i, 1234567890123L);
            w.End();
            string line = port.Lines.Single();
            Assert.True(line.Length <= 200);
            ProtocolMessage m = ProtocolParser.Parse(line);
            Assert.True(m.Count > 3);
            for (int i = 0; i < m.Count; i++) Assert.Equal(1234567890123L, m.GetLong("counter" + i, 0));
            Assert.True(w.KeysDropped > 0);
        }

        [Fact]
        public void Parser_ignores_noise_and_rejects_unknown_versions_and_malformed_pairs()
        {
            Assert.Null(ProtocolParser.Parse("ets Jun  8 2016 00:22:57 rst:0x1 (POWERON_RESET)"));
            Assert.Null(ProtocolParser.Parse(""));
            Assert.Null(ProtocolParser.Parse("TTfoo bar"));
            var e = Assert.Throws<ProtocolException>(() => ProtocolParser.Parse("TT2 stat a=1"));
            Assert.Contains("TT2", e.Message);
            Assert.Throws<ProtocolException>(() => ProtocolParser.Parse("TT1 stat novalue"));
            Assert.Throws<ProtocolException>(() => ProtocolParser.Parse("TT1 stat Key=1"));
            Assert.Throws<ProtocolException>(() => ProtocolParser.Parse("TT1 Stat a=1"));
            Assert.Throws<ProtocolException>(() => ProtocolParser.Parse("TT1 stat a="));
            Assert.Throws<ProtocolException>(() => ProtocolParser.Parse("TT1 stat a=" + new string('1', 300)));
            ProtocolMessage m = ProtocolParser.Parse("TT1 newkind z=9 unknown_key=tok.en a=-5\r");
            Assert.Equal("newkind", m.Kind);
            Assert.Equal(-5, m.GetLong("a", 0));
            Assert.Equal(-1, m.GetLong("missing", -1));
            Assert.False(m.TryGetLong("unknown_key", out _));
        }

        [Fact]
        public void Every_line_a_running_board_writes_parses_with_the_documented_keys()
        {
            using var board = new TestBoard(predLines: true);
            board.App.Start();
            board.Steps(120);
            foreach (string command in new[] { "help", "status", "label 1 600", "budget 2048", "save", "pred off", "reset", "reset confirm", "restore" })
                board.App.HandleLine(command);
            board.Steps(10);
            var messages = board.Messages();
            Assert.All(messages, Assert.NotNull);
            Assert.All(board.Lines, l => Assert.True(l.Length <= Protocol.MaxLineChars, l));
            var kinds = messages.Select(m => m.Kind).ToHashSet();
            foreach (string kind in new[] { "hello", "stat", "pred", "ok", "help", "ckpt", "sel" }) Assert.Contains(kind, kinds);

            ProtocolMessage hello = messages.First(m => m.Kind == "hello");
            foreach (string key in new[] { "board", "fw", "model", "source", "classes", "features", "engine_bytes", "heap" }) Assert.True(hello.Has(key), key);
            Assert.Equal("default", hello.Get("source"));
            var statKeys = messages.Where(m => m.Kind == "stat").SelectMany(m => m.Keys.Take(m.Count)).ToHashSet();
            foreach (string key in new[] { "t_ms", "heap", "engine_bytes", "samples", "labelled", "correct", "acc_pm", "updates", "ckpts", "faults",
                "predict_us", "update_us", "macs_total", "macs_update", "uj_update", "uj_total", "budget_bytes", "budget_macs", "selected" })
                Assert.Contains(key, statKeys);
            ProtocolMessage pred = messages.First(m => m.Kind == "pred");
            Assert.True(pred.Has("cls") && pred.Has("f0") && pred.Has("t_ms"));
            ProtocolMessage sel = messages.First(m => m.Kind == "sel");
            Assert.Equal("budget", sel.Get("reason"));
            Assert.Equal(2048, messages.Single(m => m.Kind == "ok" && m.Get("cmd") == "budget").GetLong("bytes", -1));
        }

        [Fact]
        public void Label_command_scores_late_labels_and_triggers_an_update()
        {
            using var board = new TestBoard();
            board.App.Start();
            board.Steps(60);
            int before = board.Lines.Count;
            board.App.HandleLine("LABEL 1 300");
            var replies = board.Messages(before);
            ProtocolMessage ok = replies.First();
            Assert.Equal("ok", ok.Kind);
            Assert.Equal("label", ok.Get("cmd"));
            Assert.Equal(1, ok.GetLong("cls", -1));
            long n = ok.GetLong("n", -1);
            Assert.Equal(6, n); // one sample a minute, the last 300 s with both ends included
            ProtocolMessage upd = replies.Single(m => m.Kind == "upd");
            Assert.True(upd.GetLong("macs", 0) > 0);
            Assert.True(upd.GetLong("uj", -1) >= 0);
            Assert.Equal(n, board.App.Counters.Labelled);
            Assert.Equal(1, board.App.Counters.Updates);
        }
    }
}
