using Xunit;

namespace TinTin.Firmware.Tests
{
    /// <summary>The GPIO button's press timing (PressClassifier): reported on release, bounce under 30 ms, long from 1 s held.</summary>
    public class PressClassifierTests
    {
        /// <summary>Press at 1,000 ms, release after heldMs, polled every 10 ms; what the release reports, and that nothing else does.</summary>
        private static int PressHeld(int heldMs)
        {
            var classifier = new PressClassifier();
            int reported = ButtonPress.None, reports = 0;
            for (long t = 0; t <= 1000 + heldMs + 100; t += 10)
            {
                bool down = t >= 1000 && t < 1000 + heldMs;
                int press = classifier.Poll(down, t);
                if (press != ButtonPress.None) { reported = press; reports++; }
            }
            Assert.True(reports <= 1, "one report per press");
            return reported;
        }

        [Theory]
        [InlineData(10, ButtonPress.None)]    // contact bounce
        [InlineData(20, ButtonPress.None)]
        [InlineData(30, ButtonPress.Short)]   // PressClassifier.BounceMs
        [InlineData(300, ButtonPress.Short)]
        [InlineData(990, ButtonPress.Short)]
        [InlineData(1000, ButtonPress.Long)]  // ButtonPress.LongPressMs
        [InlineData(5000, ButtonPress.Long)]
        public void A_press_is_classified_by_how_long_it_was_held(int heldMs, int expected)
        {
            Assert.Equal(expected, PressHeld(heldMs));
        }

        [Fact]
        public void A_held_button_reports_nothing_until_it_is_released()
        {
            var classifier = new PressClassifier();
            for (long t = 0; t < 10000; t += 50) Assert.Equal(ButtonPress.None, classifier.Poll(true, t));
            Assert.Equal(ButtonPress.Long, classifier.Poll(false, 10000));
            Assert.Equal(ButtonPress.None, classifier.Poll(false, 10050));
        }
    }
}
