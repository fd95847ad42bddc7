using System;
using System.IO;
using System.Threading;
using TinTin.Cli;

namespace TinTin.Cli.Tests
{
    /// <summary>Runs `tintin` in-process through the root command with captured output.</summary>
    public sealed class CliResult
    {
        public int ExitCode;
        public string Out;
        public string Error;
        public override string ToString() => "exit " + ExitCode + "\n--- out ---\n" + Out + "\n--- err ---\n" + Error;
    }

    public static class CliRunner
    {
        public static CliResult Run(params string[] args) => Run(null, default, args);

        public static CliResult Run(TextReader input, CancellationToken cancel, params string[] args)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var context = CliContext.ForTest(output, error, input, cancel);
            int code = TinTinCli.Run(args, context);
            return new CliResult { ExitCode = code, Out = output.ToString(), Error = error.ToString() };
        }
    }

    /// <summary>A scratch folder deleted at the end of the test.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tintin-cli-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        public TempFolder() { Directory.CreateDirectory(Path); }
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }
}
