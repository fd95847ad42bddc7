using TinTin.Cli;
using Xunit;

namespace TinTin.Cli.Tests
{
    public class SoakTests
    {
        [Fact]
        public void A_short_soak_prints_its_figures_and_allocates_nothing_after_warm_up()
        {
            CliResult result = CliRunner.Run("soak", "--updates", "2000");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("2,000 updates", result.Out);
            Assert.Contains("allocated after warm-up (2,000 steps): 0 B", result.Out);
            Assert.Contains("RSS: ", result.Out);
            Assert.Contains("command failures (exceptions caught in the loop): 0; the model reloads: True", result.Out);
        }

        [Fact]
        public void Junk_and_wrong_label_bursts_allocate_nothing_after_warm_up()
        {
            // three bursts in a short run: 200 junk lines each (bad bytes, overlong lines, bad numbers,
            // unknown words, out-of-range classes) and wrong labels, answered with err and upd lines
            CliResult result = CliRunner.Run("soak", "--updates", "2000", "--burst-every", "2000");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("adversarial input: 600 junk command lines", result.Out);
            Assert.Contains("allocated after warm-up (2,000 steps): 0 B", result.Out);
            Assert.Contains("command failures (exceptions caught in the loop): 0; the model reloads: True", result.Out);
        }

        [Fact]
        public void Soak_updates_out_of_range_is_a_usage_error()
        {
            CliResult result = CliRunner.Run("soak", "--updates", "0");
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("--updates must be in 1..10000000", result.Error);
            result = CliRunner.Run("soak", "--burst-every", "10");
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("--burst-every must be in 1000..10000000", result.Error);
        }
    }
}
