namespace TinTin.Sensors
{
    /// <summary>
    /// The two I2C transfers a register-based sensor needs, behind an interface a test can fake.
    /// Board: TinTin.Sensors.Board.I2cDeviceRegisters over System.Device.I2c.I2cDevice.
    /// Both return false on any bus failure (NACK, timeout, partial transfer) and never throw.
    /// </summary>
    public interface II2cRegisters
    {
        /// <summary>Writes <paramref name="write"/> (typically a register address), then reads read.Length bytes (repeated start).</summary>
        bool TryWriteRead(byte[] write, byte[] read);

        /// <summary>Writes data (typically register address then value).</summary>
        bool TryWrite(byte[] data);
    }
}
