using System.CommandLine;

namespace TinTin.Cli
{
    public static class BenchCommand
    {
        public static Command Create(CliContext context)
        {
            var command = new Command("bench", "todo");
            command.SetAction(parse => TinTinCli.Guard(context, () => ExitCodes.NotAvailable));
            return command;
        }
    }
}
