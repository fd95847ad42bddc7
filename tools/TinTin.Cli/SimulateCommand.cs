using System.CommandLine;

namespace TinTin.Cli
{
    /// <summary>`tintin simulate`: the virtual board (tools/TinTin.VirtualBoard), once it is part of the build.</summary>
    public static class SimulateCommand
    {
        public static Command Create(CliContext context)
        {
            var command = new Command("simulate",
                "Run the firmware on the virtual board (simulated BME280, serial protocol on the terminal).\n" +
                "Not available in this build yet: the virtual board (tools/TinTin.VirtualBoard) has not landed. Exit code 4.");
            command.SetAction(parse => TinTinCli.Guard(context, () =>
                throw new CliException(ExitCodes.NotAvailable,
                    "simulate is not available in this build: the virtual board (tools/TinTin.VirtualBoard) is not part of it yet")));
            return command;
        }
    }
}
