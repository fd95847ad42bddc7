using System;
using System.Threading;

namespace TinTin.Cli
{
    public static class Program
    {
        public static int Main(string[] args)
        {
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                // First Ctrl-C asks the command to finish cleanly (flush logs, close the port); a second one kills.
                if (cancel.IsCancellationRequested) return;
                e.Cancel = true;
                cancel.Cancel();
            };
            bool interactive = !Console.IsOutputRedirected && !Console.IsInputRedirected
                && Environment.GetEnvironmentVariable("TERM") != "dumb";
            var context = new CliContext(Console.Out, Console.Error, Console.In, interactive, cancel.Token);
            int code = TinTinCli.Run(args, context);
            // A command that finished its work in spite of Ctrl-C still reports the interruption.
            return cancel.IsCancellationRequested && code == ExitCodes.Ok ? ExitCodes.Interrupted : code;
        }
    }
}
