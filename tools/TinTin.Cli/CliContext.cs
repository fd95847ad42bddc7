using System;
using System.IO;
using System.Threading;
using Spectre.Console;

namespace TinTin.Cli
{
    /// <summary>
    /// Where a command writes and reads: the real terminal for the `tintin` process, string writers
    /// for tests that run commands in-process. Commands never touch System.Console directly.
    /// </summary>
    public sealed class CliContext
    {
        /// <summary>Plain text output (tables degrade to text when this is not a terminal).</summary>
        public TextWriter Out { get; }
        public TextWriter Error { get; }
        /// <summary>Lines typed by the user (monitor forwards them to the board); null when there is none.</summary>
        public TextReader In { get; }
        /// <summary>Spectre console writing to Out: tables, progress bars, the live dashboard.</summary>
        public IAnsiConsole Console { get; }
        /// <summary>True for a real, interactive terminal (live dashboard, key input).</summary>
        public bool Interactive { get; }
        /// <summary>Cancelled on Ctrl-C (the process) or by a test.</summary>
        public CancellationToken Cancel { get; }

        public CliContext(TextWriter output, TextWriter error, TextReader input, bool interactive, CancellationToken cancel)
        {
            Out = output;
            Error = error;
            In = input;
            Interactive = interactive;
            Cancel = cancel;
            Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
            });
            if (!interactive) Console.Profile.Width = 160;
        }

        /// <summary>A context for tests: captured output, optional input, no terminal.</summary>
        public static CliContext ForTest(StringWriter output, StringWriter error, TextReader input = null, CancellationToken cancel = default)
            => new CliContext(output, error, input, false, cancel);
    }
}
