using System.CommandLine;

namespace TinTin.Cli
{
    /// <summary>`tintin experiment`: the sparse-update prequential experiment (tools/TinTin.Experiments), once it is part of the build.</summary>
    public static class ExperimentCommand
    {
        public static Command Create(CliContext context)
        {
            var command = new Command("experiment",
                "Run the sparse-update (TinyTrain-style) prequential experiment on the sensor data.\n" +
                "Not available in this build yet: tools/TinTin.Experiments has not landed. Exit code 4.");
            command.SetAction(parse => TinTinCli.Guard(context, () =>
                throw new CliException(ExitCodes.NotAvailable,
                    "experiment is not available in this build: the sparse-update experiment (tools/TinTin.Experiments) is not part of it yet")));
            return command;
        }
    }
}
