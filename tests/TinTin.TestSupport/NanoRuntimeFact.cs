using TinTin.Reference;
using Xunit;

namespace TinTin.TestSupport
{
    /// <summary>
    /// A fact that runs on the real nanoFramework interpreter: skipped, with a message saying how to get
    /// the runtime, when <see cref="NanoRuntime.Find"/> finds none. CI (.ci/run) sets NANO_RUNTIME and
    /// fails before testing when the runtime is missing, so there these never skip.
    /// Run nanoCLR with <see cref="NanoRuntime.Run"/>, the board's .pe files from <see cref="NanoRuntime.LoadList"/>.
    /// </summary>
    public sealed class NanoRuntimeFactAttribute : FactAttribute
    {
        public NanoRuntimeFactAttribute()
        {
            if (NanoRuntime.Find() == null) Skip = NanoRuntime.MissingMessage;
        }
    }

    /// <summary>The theory form of <see cref="NanoRuntimeFactAttribute"/>.</summary>
    public sealed class NanoRuntimeTheoryAttribute : TheoryAttribute
    {
        public NanoRuntimeTheoryAttribute()
        {
            if (NanoRuntime.Find() == null) Skip = NanoRuntime.MissingMessage;
        }
    }
}
