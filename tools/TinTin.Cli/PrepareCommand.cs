using System.CommandLine;

namespace TinTin.Cli
{
    public static class PrepareCommand
    {
        public static Command Create(CliContext context)
        {
            var command = new Command("prepare", "todo");
            command.SetAction(parse => TinTinCli.Guard(context, () => ExitCodes.NotAvailable));
            return command;
        }
    }
}
