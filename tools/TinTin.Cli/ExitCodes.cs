using System;

namespace TinTin.Cli
{
    /// <summary>What `tintin` returns, so scripts can tell failures apart (documented in README.md).</summary>
    public static class ExitCodes
    {
        /// <summary>The command did what it was asked.</summary>
        public const int Ok = 0;
        /// <summary>Wrong command line: unknown command or option, missing or malformed argument (System.CommandLine's parse error code).</summary>
        public const int Usage = 1;
        /// <summary>An input file is missing or unreadable, or is not what it should be: data, model file, log.</summary>
        public const int InputError = 2;
        /// <summary>The serial port could not be opened or configured, or the device went away.</summary>
        public const int DeviceError = 3;
        /// <summary>The part of the project this command needs is not built into this tintin yet.</summary>
        public const int NotAvailable = 4;
        /// <summary>prepare --require-fit: the model does not fit one of the chosen boards.</summary>
        public const int DoesNotFit = 5;
        /// <summary>A bug: an unexpected exception (the message and stack trace are printed).</summary>
        public const int InternalError = 10;
        /// <summary>Stopped by Ctrl-C (SIGINT) after finishing cleanly: 128 + 2, as shells report it.</summary>
        public const int Interrupted = 130;
    }

    /// <summary>An error the user can act on: printed as "tintin: error: message", exits with Code.</summary>
    public sealed class CliException : Exception
    {
        public int Code { get; }

        public CliException(int code, string message) : base(message) { Code = code; }
        public CliException(int code, string message, Exception inner) : base(message, inner) { Code = code; }

        public static CliException Input(string message) => new CliException(ExitCodes.InputError, message);
        public static CliException Device(string message) => new CliException(ExitCodes.DeviceError, message);
        public static CliException Usage(string message) => new CliException(ExitCodes.Usage, message);
    }
}
