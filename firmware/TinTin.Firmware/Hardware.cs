namespace TinTin.Firmware
{
    /// <summary>
    /// The board's user button. A binding debounces and classifies presses; the loop polls it once
    /// per iteration. Short press = class 0, long press (held ≥ <see cref="ButtonPress.LongPressMs"/>)
    /// = class 1 (see firmware/README.md).
    /// </summary>
    public interface IButton
    {
        /// <summary>The press completed since the last call (<see cref="ButtonPress"/>), or ButtonPress.None. Never blocks.</summary>
        int PollPress();
    }

    /// <summary>What <see cref="IButton.PollPress"/> reports.</summary>
    public static class ButtonPress
    {
        public const int None = 0;
        public const int Short = 1;
        public const int Long = 2;
        /// <summary>A press held this long or longer is a long press.</summary>
        public const int LongPressMs = 1000;
    }

    /// <summary>The status LED: on while the model predicts the "positive" class (class 1, e.g. occupied).</summary>
    public interface ILed
    {
        void Set(bool on);
    }

    /// <summary>
    /// A block store with a fixed number of slots (two for checkpoints), written in order like erased
    /// flash pages: a write at offset 0 starts a new image (the slot's old content is gone), each
    /// further write continues it at the offset where the last one ended. So a checkpoint streams
    /// through a small buffer instead of a model-sized one. A slot write is not atomic: power may fail
    /// after any byte, leaving the slot with a prefix of the new image (and, on flash that is not
    /// erased first, the old bytes after it). The checkpoint format copes.
    /// </summary>
    public interface IFlashStore
    {
        int SlotCount { get; }
        /// <summary>Largest image a slot holds, in bytes.</summary>
        int SlotCapacity { get; }
        /// <summary>Reads up to count bytes of a slot from offset into buffer[0..count); returns the bytes read (fewer at the slot's end, 0 for an empty slot).</summary>
        int Read(int slot, int offset, byte[] buffer, int count);
        /// <summary>Writes data[0..count) to the slot at offset: 0 starts a new image, any other offset must be where the image written so far ends.</summary>
        void Write(int slot, int offset, byte[] data, int count);
    }

    /// <summary>The serial line: whole lines in, raw bytes out (each protocol line ends with '\n').</summary>
    public interface ISerialPort
    {
        /// <summary>A complete line received since the last call (without '\r'/'\n'), or null. Never blocks.</summary>
        string ReadLine();
        void Write(byte[] buffer, int offset, int count);
    }

    /// <summary>Time. Milliseconds for sample times and labels; microseconds to measure compute.</summary>
    public interface IClock
    {
        /// <summary>Milliseconds since start-up (a simulated clock on the virtual board).</summary>
        long NowMs { get; }
        /// <summary>A monotonic microsecond counter for measuring predict/update time.</summary>
        long NowUs { get; }
    }

    /// <summary>Free managed heap: nanoFramework.Runtime.Native.GC.Run(false) on a board, an injected provider on the host.</summary>
    public interface IHeapMonitor
    {
        int FreeBytes();
    }
}
