using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Linq;
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
                "5 model does not fit (prepare --require-fit), 10 internal error, 130 interrupted (Ctrl-C).");
            root.Subcommands.Add(PrepareCommand.Create(context));
            root.Subcommands.Add(SimulateCommand.Create(context));
            root.Subcommands.Add(MonitorCommand.Create(context));
            root.Subcommands.Add(ReportCommand.Create(context));
            root.Subcommands.Add(BenchCommand.Create(context));
            root.Subcommands.Add(TrainCommand.Create(context));
            root.Subcommands.Add(ExperimentCommand.Create(context));
            root.Subcommands.Add(FleetCommand.Create(context));
            root.Subcommands.Add(SoakCommand.Create(context));
            root.Subcommands.Add(ImportFashionCommand.Create(context));
            ShortenCommandRows(root);
            return root;
        }

        /// <summary>
        /// The root help lists each command on one line: its summary (the first line of its description).
        /// A command's own --help still shows the whole description, with examples and exit codes.
        /// System.CommandLine 3 keeps its help builder internal, so the root help is the default help of an
        /// overview command that mirrors the root with one-line descriptions.
        /// </summary>
        private static void ShortenCommandRows(RootCommand root)
        {
            HelpOption option = root.Options.OfType<HelpOption>().Single();
            var overview = new RootCommand(root.Description);
            foreach (Command command in root.Subcommands)
            {
                var row = new Command(command.Name, Summary(command));
                foreach (Argument argument in command.Arguments) row.Arguments.Add(new Argument<string>(argument.Name));
                overview.Subcommands.Add(row);
            }
            option.Action = new RootHelpAction((HelpAction)option.Action, overview);
        }

        private sealed class RootHelpAction : SynchronousCommandLineAction
        {
            private readonly HelpAction _commandHelp;
            private readonly RootCommand _overview;

            public RootHelpAction(HelpAction commandHelp, RootCommand overview) { _commandHelp = commandHelp; _overview = overview; }

            public override bool ClearsParseErrors => true;

            public override int Invoke(ParseResult parse)
            {
                if (parse.CommandResult.Command is RootCommand)
                    return _overview.Parse("--help").Invoke(parse.InvocationConfiguration);
                return _commandHelp.Invoke(parse);
            }
        }

        /// <summary>The first line of a command's description.</summary>
        internal static string Summary(Command command)
        {
            string description = command.Description ?? "";
            int end = description.IndexOf('\n');
            return end < 0 ? description : description.Substring(0, end);
        }

        /// <summary>Parses and runs; parse errors give <see cref="ExitCodes.Usage"/> and the help hint.</summary>
        /// <summary>The option was on the command line, not left at its default.</summary>
        public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

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
                    return ExitCodes.Interrupted;
                default:
                    context.Error.WriteLine("tintin: internal error (please report): " + e);
                    return ExitCodes.InternalError;
            }
        }
    }
}
