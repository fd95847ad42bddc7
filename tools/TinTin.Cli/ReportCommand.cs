using System.CommandLine;

namespace TinTin.Cli
{
    public static class ReportCommand
    {
        public static Command Create(CliContext context)
        {
            var command = new Command("report", "todo");
            command.SetAction(parse => TinTinCli.Guard(context, () => ExitCodes.NotAvailable));
            return command;
        }
    }
}
