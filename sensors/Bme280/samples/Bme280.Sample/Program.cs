using System.Device.I2c;
using System.Diagnostics;
using System.Threading;
using TinTin.Sensors;
using TinTin.Sensors.Board;
#if ESP32
using nanoFramework.Hardware.Esp32;
#endif

namespace TinTin.Sensors.Bme280Sample
{
    /// <summary>
    /// Reads a BME280 once a second with the integer driver, counts faults, and prints the
    /// reading and the raw features. ESP32 DevKit: SDA GPIO21, SCL GPIO22 (build with ESP32
    /// defined, as this project does). NUCLEO-F429ZI: I2C1 is fixed on PB9 (SDA, CN7 pin 4 = D14) /
    /// PB8 (SCL, CN7 pin 2 = D15), 3V3 on CN8 pin 7, GND on CN8 pin 11 (sensors/Bme280/README.md):
    /// remove ESP32 from DefineConstants and the nanoFramework.Hardware.Esp32 reference.
    /// </summary>
    public class Program
    {
        private const int BusId = 1;
        private const int Address = Bme280Driver.AddressSdoLow; // 0x76: SDO to GND. 0x77: SDO to VDD.

        public static void Main()
        {
#if ESP32
            Configuration.SetPinFunction(21, DeviceFunction.I2C1_DATA);
            Configuration.SetPinFunction(22, DeviceFunction.I2C1_CLOCK);
#endif
            I2cDeviceRegisters bus = I2cDeviceRegisters.Open(BusId, Address);
            Bme280Driver sensor = new Bme280Driver(bus, new UptimeClock());
            // Or the nanoFramework binding (floating point inside):
            // ISampleSource sensor = new Bme280Source(I2cDevice.Create(new I2cConnectionSettings(BusId, Address)), new UptimeClock());

            int[] ids = new int[] { FeatureSet.Temperature, FeatureSet.Humidity, FeatureSet.Pressure, FeatureSet.HumidityRatio, FeatureSet.TemperatureTrend };
            FeaturePipeline pipeline = new FeaturePipeline(ids, 10);
            int[] features = new int[pipeline.FeatureCount];
            EnvironmentSample sample = new EnvironmentSample();
            SensorFaults faults = new SensorFaults();

            while (true)
            {
                int status = sensor.Read(sample);
                faults.Count(status);
                if (status != SampleStatus.Ok)
                {
                    Debug.WriteLine("fault " + SampleStatus.Name(status) + " (" + faults.Total.ToString() + " so far): " + sensor.LastError);
                }
                else
                {
                    bool ready = pipeline.Push(sample, features);
                    string line = sample.ToString() + (ready ? " features" : " warming up");
                    for (int i = 0; i < features.Length; i++)
                        line = line + " " + FeatureSet.Name(pipeline.FeatureId(i)) + "=" + features[i].ToString() + FeatureSet.Unit(pipeline.FeatureId(i));
                    Debug.WriteLine(line);
                }
                Thread.Sleep(1000);
            }
        }
    }
}
