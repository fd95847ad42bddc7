using System;
using System.Device.I2c;

namespace TinTin.Sensors.Board
{
    /// <summary>
    /// <see cref="II2cRegisters"/> over a nanoFramework <see cref="I2cDevice"/>, so the board can run
    /// the integer <see cref="Bme280Driver"/>. A transfer counts as good only when it is a
    /// FullTransfer; anything else (NACK, clock-stretch timeout, partial transfer, an exception
    /// from the native driver) returns false. Never throws.
    /// </summary>
    public sealed class I2cDeviceRegisters : II2cRegisters, IDisposable
    {
        private readonly I2cDevice device;

        /// <summary>The status of the last failed transfer (for diagnostics).</summary>
        public I2cTransferStatus LastFailure = I2cTransferStatus.FullTransfer;

        public I2cDeviceRegisters(I2cDevice device)
        {
            if (device == null) throw new ArgumentException("I2cDeviceRegisters needs an I2cDevice");
            this.device = device;
        }

        /// <summary>Opens bus busId (ESP32: 1 after SetPinFunction; STM32 Nucleo: 1 = I2C1) at address (0x76 or 0x77), 100 kHz.</summary>
        public static I2cDeviceRegisters Open(int busId, int address)
        {
            return new I2cDeviceRegisters(I2cDevice.Create(new I2cConnectionSettings(busId, address, I2cBusSpeed.StandardMode)));
        }

        public I2cDevice Device { get { return device; } }

        public bool TryWriteRead(byte[] write, byte[] read)
        {
            try
            {
                I2cTransferResult r = device.WriteRead(new SpanByte(write), new SpanByte(read));
                return Check(r);
            }
            catch (Exception)
            {
                LastFailure = I2cTransferStatus.UnknownError;
                return false;
            }
        }

        public bool TryWrite(byte[] data)
        {
            try
            {
                I2cTransferResult r = device.Write(new SpanByte(data));
                return Check(r);
            }
            catch (Exception)
            {
                LastFailure = I2cTransferStatus.UnknownError;
                return false;
            }
        }

        private bool Check(I2cTransferResult r)
        {
            if (r.Status == I2cTransferStatus.FullTransfer) return true;
            LastFailure = r.Status;
            return false;
        }

        public void Dispose()
        {
            device.Dispose();
        }
    }
}
