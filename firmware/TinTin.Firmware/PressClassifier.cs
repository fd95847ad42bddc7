namespace TinTin.Firmware
{
    /// <summary>
    /// Turns a button's level, polled with the time, into presses (<see cref="ButtonPress"/>): reported
    /// on release, by how long it was held; a release under <see cref="BounceMs"/> after the press is
    /// contact bounce. The board's GpioButton (TinTin.Firmware.Board) feeds it the pin; BoardLoopCheck
    /// a scripted level, so the classification runs on nanoCLR, which has no GPIO.
    /// </summary>
    public sealed class PressClassifier
    {
        /// <summary>Shorter holds are contact bounce, not presses.</summary>
        public const int BounceMs = 30;

        private bool down;
        private long downSinceMs;

        /// <param name="pressed">the button is held now (the binding has applied active-low)</param>
        /// <param name="nowMs">the board clock</param>
        public int Poll(bool pressed, long nowMs)
        {
            if (pressed && !down) { down = true; downSinceMs = nowMs; return ButtonPress.None; }
            if (!pressed && down)
            {
                down = false;
                long held = nowMs - downSinceMs;
                if (held < BounceMs) return ButtonPress.None;
                return held >= ButtonPress.LongPressMs ? ButtonPress.Long : ButtonPress.Short;
            }
            return ButtonPress.None;
        }
    }
}
