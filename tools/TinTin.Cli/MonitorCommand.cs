using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace TinTin.Cli
{
    /// <summary>What the monitor knows about the board: its hello, its latest stat, the last events, counts.</summary>
    public sealed class MonitorState
    {
        public Dictionary<string, string> Hello { get; } = new Dictionary<string, string>();
        public Dictionary<string, string> Stat { get; } = new Dictionary<string, string>();
        public Dictionary<string, string> LastUpdate { get; } = new Dictionary<string, string>();
        public Dictionary<string, int> KindCounts { get; } = new Dictionary<string, int>();
        public List<string> Events { get; } = new List<string>();
        public int ProtocolLines { get; set; }
        public int NoiseLines { get; set; }
        public int BadLines { get; set; }
        public int Sent { get; set; }
        public string Typing { get; set; } = "";

        public void Apply(ProtocolLine line)
        {
            ProtocolLines++;
            KindCounts[line.Kind] = KindCounts.TryGetValue(line.Kind, out int n) ? n + 1 : 1;
            Dictionary<string, string> target = line.Kind switch
            {
                "hello" => Hello,
                "stat" => Stat,
                "upd" => LastUpdate,
                _ => null,
            };
            if (target != null) foreach (var pair in line.Pairs) target[pair.Key] = pair.Value;
            if (line.Kind != "stat" && line.Kind != "pred") AddEvent(line.ToString());
        }

        public void AddEvent(string text)
        {
            Events.Add(text);
            if (Events.Count > 8) Events.RemoveAt(0);
        }
    }

    /// <summary>`tintin monitor PORT`: attach to a board's serial port, parse, show, send, log.</summary>
    public static class MonitorCommand
    {
        public static Command Create(CliContext context)
        {
            var port = new Argument<string>("port") { Description = "The serial device, e.g. /dev/ttyUSB0, /dev/ttyACM0, /dev/cu.usbserial-0001 (or a pseudo-terminal)." };
            var baud = new Option<int>("--baud", "-b") { Description = "Baud rate: 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000 or 921600.", DefaultValueFactory = _ => 115200 };
            var plain = new Option<bool>("--plain") { Description = "No dashboard: print each parsed line as `kind key=value ...` (noise as `# ...`, rejected lines as `! ...`, sent commands as `> ...`). For scripts and logs." };
            var send = new Option<string[]>("--send", "-s") { Description = "A command to send once the port is open (repeatable, in order), e.g. --send status --send \"label 1\".", AllowMultipleArgumentsPerToken = false };
            var script = new Option<string>("--script") { Description = "A file of commands to send, one per line; `# comment` lines are skipped and `wait <ms>` pauses." };
            var log = new Option<string>("--log", "-l") { Description = "Write every line to this CSV: one row per line, stat/upd keys as columns, plus the raw line (input for `tintin report`)." };
            var duration = new Option<double>("--duration", "-d") { Description = "Stop after this many seconds (0: run until Ctrl-C)." };
            var lines = new Option<int>("--lines", "-n") { Description = "Stop after this many protocol lines (0: no limit)." };
            var stdin = new Option<bool>("--stdin") { Description = "In --plain mode, forward lines read from standard input to the board as commands." };

            var command = new Command("monitor",
                "Watch a board over its serial port: live dashboard, commands, CSV log.\n" +
                "Attach to a board's serial port (System.IO.Ports, 8N1), parse the TinTin protocol (docs/PROTOCOL.md),\n" +
                "show a live dashboard of its counters, send commands and log everything to CSV.\n" +
                "In the dashboard type a command (status, label 1, save, budget 4096, reset, help) and press Enter; Ctrl-C quits.\n" +
                "Examples:\n" +
                "  tintin monitor /dev/ttyUSB0 --log run.csv\n" +
                "  tintin monitor /dev/ttyUSB0 --plain --send status --lines 1\n" +
                "Exit codes: 0 ok, 1 usage, 2 log not writable / script missing, 3 port cannot be opened or the device went away.");
            command.Arguments.Add(port);
            foreach (Option option in new Option[] { baud, plain, send, script, log, duration, lines, stdin }) command.Options.Add(option);
            command.SetAction(parse => TinTinCli.Guard(context, () => Run(context, new MonitorOptions
            {
                Port = parse.GetValue(port),
                Baud = parse.GetValue(baud),
                Plain = parse.GetValue(plain),
                Send = parse.GetValue(send) ?? Array.Empty<string>(),
                Script = parse.GetValue(script),
                Log = parse.GetValue(log),
                DurationSeconds = parse.GetValue(duration),
                MaxLines = parse.GetValue(lines),
                ForwardStdin = parse.GetValue(stdin),
            })));
            return command;
        }

        public sealed class MonitorOptions
        {
            public string Port;
            public int Baud = 115200;
            public bool Plain;
            public string[] Send = Array.Empty<string>();
            public string Script;
            public string Log;
            public double DurationSeconds;
            public int MaxLines;
            public bool ForwardStdin;
        }

        public static int Run(CliContext context, MonitorOptions options)
        {
            if (options.DurationSeconds < 0) throw CliException.Usage("--duration must not be negative");
            if (options.MaxLines < 0) throw CliException.Usage("--lines must not be negative");
            var outgoing = new ConcurrentQueue<string>();
            List<ScriptItem> script = MonitorScript.FromSend(options.Send);
            if (options.Script != null) script.AddRange(MonitorScript.Load(options.Script));
            if (options.Log != null) TinTin.Reference.InputFiles.CheckOutput(options.Log, "--log");
            bool dashboard = !options.Plain && context.Interactive;

            using BoardPort serial = BoardPort.Open(options.Port, options.Baud);
            using MonitorLog log = options.Log == null ? null : MonitorLog.Create(options.Log);
            if (!options.Plain && !context.Interactive)
                context.Error.WriteLine("tintin: not a terminal, printing lines instead of the dashboard (use --plain to silence this)");
            var state = new MonitorState();
            var clock = Stopwatch.StartNew();
            var pending = new StringBuilder();
            var buffer = new byte[4096];
            var stop = CancellationTokenSource.CreateLinkedTokenSource(context.Cancel);
            int scriptIndex = 0;
            long nextScriptMs = 150; // let the port settle; boards often print a boot banner first
            string stopReason = null;

            if (options.ForwardStdin && context.In != null)
            {
                var reader = new Thread(() =>
                {
                    try
                    {
                        string typed;
                        while ((typed = context.In.ReadLine()) != null) outgoing.Enqueue(typed);
                    }
                    catch (Exception) { /* stdin closed */ }
                }) { IsBackground = true, Name = "tintin-stdin" };
                reader.Start();
            }
            if (dashboard && !Console.IsInputRedirected)
            {
                var keys = new Thread(() => ReadKeys(state, outgoing, stop.Token)) { IsBackground = true, Name = "tintin-keys" };
                keys.Start();
            }

            void Handle(string text, Action refresh)
            {
                text = TerminalText.Visible(text); // escape sequences from the board are shown, never executed (screen and log alike)
                long now = clock.ElapsedMilliseconds;
                ProtocolLine parsed;
                try { parsed = ProtocolParser.Parse(text); }
                catch (ProtocolException e)
                {
                    state.BadLines++;
                    state.AddEvent("! " + e.Message);
                    log?.Other(now, "rx", "bad", text);
                    if (!dashboard) context.Out.WriteLine("! " + e.Message);
                    return;
                }
                if (parsed == null)
                {
                    if (text.Trim().Length == 0) return;
                    state.NoiseLines++;
                    log?.Other(now, "rx", "noise", text);
                    if (!dashboard) context.Out.WriteLine("# " + text);
                    return;
                }
                state.Apply(parsed);
                log?.Received(now, parsed);
                if (!dashboard) context.Out.WriteLine(parsed.ToString());
                if (options.MaxLines > 0 && state.ProtocolLines >= options.MaxLines) { stopReason = options.MaxLines + " protocol lines received"; stop.Cancel(); }
            }

            void SendNow(string command)
            {
                command = command.Trim();
                if (command.Length == 0) return;
                if (command.IndexOf('\n') >= 0 || command.IndexOf('\r') >= 0) return; // one line is one command
                serial.WriteLine(command);
                state.Sent++;
                state.AddEvent("> " + command);
                log?.Other(clock.ElapsedMilliseconds, "tx", "cmd", command);
                if (!dashboard) context.Out.WriteLine("> " + command);
            }

            void Loop(Action refresh)
            {
                while (!stop.IsCancellationRequested)
                {
                    long now = clock.ElapsedMilliseconds;
                    while (scriptIndex < script.Count && now >= nextScriptMs)
                    {
                        ScriptItem item = script[scriptIndex++];
                        if (item.IsWait)
                        {
                            nextScriptMs = now + item.WaitMs;
                            break;
                        }
                        SendNow(item.Command);
                        nextScriptMs = now + 50;
                    }
                    while (outgoing.TryDequeue(out string typed)) SendNow(typed);
                    if (options.DurationSeconds > 0 && now >= options.DurationSeconds * 1000) { stopReason = "duration reached"; break; }
                    int n = serial.Read(buffer, 50);
                    for (int i = 0; i < n; i++)
                    {
                        char c = (char)buffer[i];
                        if (c == '\n')
                        {
                            string text = pending.ToString().TrimEnd('\r');
                            pending.Clear();
                            Handle(text, refresh);
                            if (stop.IsCancellationRequested) break;
                        }
                        else if (pending.Length < 4096) pending.Append(c);
                    }
                    if (n > 0 || !outgoing.IsEmpty) refresh();
                    else if (dashboard) refresh();
                }
                if (stopReason == null && context.Cancel.IsCancellationRequested) stopReason = "interrupted";
            }

            try
            {
                if (dashboard)
                {
                    context.Console.Live(Render(state, options)).AutoClear(false).Start(live =>
                    {
                        Loop(() => { live.UpdateTarget(Render(state, options)); live.Refresh(); });
                    });
                }
                else Loop(() => context.Out.Flush());
            }
            finally
            {
                log?.Flush();
            }
            context.Error.WriteLine("tintin: monitor stopped (" + (stopReason ?? "done") + "): " + state.ProtocolLines + " protocol lines ("
                + string.Join(", ", state.KindCounts.OrderBy(k => k.Key).Select(k => k.Value + " " + k.Key)) + "), "
                + state.NoiseLines + " other, " + state.BadLines + " rejected, " + state.Sent + " commands sent"
                + (options.Log != null ? "; log: " + options.Log : ""));
            return context.Cancel.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
        }

        private static void ReadKeys(MonitorState state, ConcurrentQueue<string> outgoing, CancellationToken stop)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (!Console.KeyAvailable) { Thread.Sleep(30); continue; }
                    ConsoleKeyInfo key = Console.ReadKey(intercept: true);
                    lock (state)
                    {
                        if (key.Key == ConsoleKey.Enter) { outgoing.Enqueue(state.Typing); state.Typing = ""; }
                        else if (key.Key == ConsoleKey.Backspace) { if (state.Typing.Length > 0) state.Typing = state.Typing[..^1]; }
                        else if (key.Key == ConsoleKey.Escape) state.Typing = "";
                        else if (!char.IsControl(key.KeyChar) && state.Typing.Length < ProtocolParser.MaxLineLength) state.Typing += key.KeyChar;
                    }
                }
            }
            catch (InvalidOperationException) { /* no console */ }
        }

        private static readonly (string Key, string Label, string Unit)[] StatRows =
        {
            ("t_ms", "board time", "ms"), ("samples", "samples", ""), ("labelled", "labelled", ""), ("correct", "correct", ""),
            ("acc_pm", "accuracy", "‰"), ("updates", "updates", ""), ("ckpts", "checkpoints", ""), ("faults", "sensor faults", ""),
            ("heap", "free heap", "B"), ("engine_bytes", "engine", "B"), ("predict_us", "predict", "µs"), ("update_us", "update", "µs"),
            ("macs_update", "MACs / update", ""), ("macs_total", "MACs total", ""), ("uj_update", "energy / update", "µJ"),
            ("uj_total", "energy total", "µJ"), ("budget_bytes", "budget", "B"), ("budget_macs", "budget", "MACs"), ("selected", "channels selected", ""),
        };

        internal static IRenderable Render(MonitorState state, MonitorOptions options)
        {
            lock (state)
            {
                var counters = new Table().Border(TableBorder.Rounded).Title("[bold]board counters[/]");
                counters.AddColumn("counter");
                counters.AddColumn(new TableColumn("value").RightAligned());
                foreach (var (key, label, unit) in StatRows)
                {
                    string value = state.Stat.TryGetValue(key, out string v) ? v : "–";
                    if (key == "acc_pm" && long.TryParse(v, out long pm)) value = (pm / 10.0).ToString("0.0") + " %";
                    else if (unit.Length > 0 && value != "–") value += " " + unit;
                    counters.AddRow(Markup.Escape(label), Markup.Escape(value));
                }
                foreach (var extra in state.Stat.Keys.Where(k => k != "part" && !StatRows.Any(r => r.Key == k)).OrderBy(k => k))
                    counters.AddRow(Markup.Escape(extra), Markup.Escape(state.Stat[extra]));

                string hello = state.Hello.Count == 0 ? "waiting for the board's hello (type `status` or `reset`)"
                    : string.Join("  ", state.Hello.Select(p => p.Key + "=" + p.Value));
                string update = state.LastUpdate.Count == 0 ? "no update yet"
                    : string.Join("  ", state.LastUpdate.Select(p => p.Key + "=" + p.Value));
                var events = new Rows(state.Events.Count == 0
                    ? new IRenderable[] { new Text("(no events)") }
                    : state.Events.Select(e => (IRenderable)new Text(e)).ToArray());
                var header = new Markup("[bold]" + Markup.Escape(options.Port) + "[/] @ " + options.Baud + " baud   "
                    + state.ProtocolLines + " lines, " + state.NoiseLines + " other, " + state.BadLines + " rejected"
                    + (options.Log != null ? "   log: " + Markup.Escape(options.Log) : ""));
                return new Rows(
                    header,
                    new Panel(new Text(hello)).Header("hello"),
                    counters,
                    new Panel(new Text(update)).Header("last update"),
                    new Panel(events).Header("events"),
                    new Markup("[grey]command (Enter sends; status, label <class> [s], save, budget <bytes> [macs], reset, help; Ctrl-C quits):[/] "
                        + Markup.Escape(state.Typing) + "_"));
            }
        }
    }
}
