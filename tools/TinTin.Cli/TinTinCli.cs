using System;
using System.CommandLine;
using System.IO;
using TinTin.Core;

namespace TinTin.Cli
{
    /// <summary>The `tintin` root command: builds the command tree and runs it with one error policy.</summary>
    public static class TinTinCli
    {
        public static RootCommand Build(CliContext context)
        {
            var root = new RootCommand(
                "tintin — host tools for TinTinNano, on-device continual learning for nanoFramework boards.\n" +
                "Prepare a model on the PC, run it on the virtual board, watch a real board over its serial port,\n" +
                "turn a board's log into charts, and benchmark the integer engine.\n" +
                "Exit codes: 0 ok, 1 usage, 2 input error, 3 device/port error, 4 not available in this build,\n" +
                "5 model does not fit (prepare --require-fit), 10 internal error.");
            root.Subcommands.Add(PrepareCommand.Create(context));
            root.Subcommands.Add(SimulateCommand.Create(context));
            root.Subcommands.Add(MonitorCommand.Create(context));
            root.Subcommands.Add(ReportCommand.Create(context));
            root.Subcommands.Add(BenchCommand.Create(context));
            root.Subcommands.Add(TrainCommand.Create(context));
            root.Subcommands.Add(ExperimentCommand.Create(context));
            return root;
        }

        /// <summary>Parses and runs; parse errors give <see cref="ExitCodes.Usage"/> and the help hint.</summary>
        public static int Run(string[] args, CliContext context)
        {
            RootCommand root = Build(context);
            ParseResult parse = root.Parse(args);
            var configuration = new InvocationConfiguration
            {
                Output = context.Out,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
            };
            try
            {
                return parse.Invoke(configuration);
            }
            catch (Exception e)
            {
                return Report(context, e);
            }
        }

        /// <summary>Runs a command body with the error policy: user errors print one line, bugs print the trace.</summary>
        internal static int Guard(CliContext context, Func<int> body)
        {
            try { return body(); }
            catch (Exception e) { return Report(context, e); }
        }

        internal static int Report(CliContext context, Exception e)
        {
            switch (e)
            {
                case CliException cli:
                    context.Error.WriteLine("tintin: error: " + cli.Message);
                    return cli.Code;
                case ModelFormatException model:
                    context.Error.WriteLine("tintin: error: bad model file: " + model.Message);
                    return ExitCodes.InputError;
                case FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException:
                    context.Error.WriteLine("tintin: error: " + e.Message);
                    return ExitCodes.InputError;
                case OperationCanceledException:
                    context.Error.WriteLine("tintin: interrupted");
                    return ExitCodes.Ok;
                default:
                    context.Error.WriteLine("tintin: internal error (please report): " + e);
                    return ExitCodes.InternalError;
            }
        }
    }
}
