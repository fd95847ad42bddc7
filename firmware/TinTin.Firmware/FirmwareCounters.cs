namespace TinTin.Firmware
{
    /// <summary>
    /// What the firmware counts, kept across power cycles in every checkpoint (as little-endian
    /// int64s in the order of <see cref="CopyTo"/>). Append new counters at the end only: an older
    /// checkpoint with fewer counters loads with the new ones at zero.
    /// </summary>
    public sealed class FirmwareCounters
    {
        public const int Count = 18;

        public long Samples;          // samples read and predicted
        public long Labelled;         // samples that received a label
        public long Correct;          // of those, predicted right before the label arrived
        public long Updates;          // integer updates applied
        public long Checkpoints;      // checkpoints written
        public long Faults;           // sensor faults (I2C errors, out of range)
        public long MacsTotal;        // MACs of all predicts and updates
        public long MacsUpdates;      // MACs of all updates
        public long EnergyTotalUj;    // estimated µJ of all predicts and updates
        public long EnergyUpdatesUj;  // estimated µJ of all updates
        public long Boots;            // start-ups that loaded this state
        public long ButtonPresses;
        public long LabelCommands;    // label commands received over serial
        public long PredictUsTotal;   // measured µs of all predicts
        // The fleet's (FleetLink, docs/FLEET.md "Trust"): a rebooted board's messages must not repeat sequence numbers
        // already sent, nor take a merged model it already saw. Zero in a checkpoint written before they existed.
        public long FleetUpdateReserved; // update sequence numbers reserved: none sent above it, a boot goes on from it
        public long FleetStatsReserved;  // the same for the statistics messages
        public long FleetHighestVersion; // highest merged model version verified: older or equal ones are refused
        public long FleetBaseVersion;    // merged version the model's parameters started from (0: the default model)

        public void CopyTo(long[] values)
        {
            values[0] = Samples; values[1] = Labelled; values[2] = Correct; values[3] = Updates;
            values[4] = Checkpoints; values[5] = Faults; values[6] = MacsTotal; values[7] = MacsUpdates;
            values[8] = EnergyTotalUj; values[9] = EnergyUpdatesUj; values[10] = Boots; values[11] = ButtonPresses;
            values[12] = LabelCommands; values[13] = PredictUsTotal;
            values[14] = FleetUpdateReserved; values[15] = FleetStatsReserved; values[16] = FleetHighestVersion; values[17] = FleetBaseVersion;
        }

        /// <summary>Restores from values[0..count); counters beyond count are zero.</summary>
        public void CopyFrom(long[] values, int count)
        {
            Clear();
            if (count > 0) Samples = values[0];
            if (count > 1) Labelled = values[1];
            if (count > 2) Correct = values[2];
            if (count > 3) Updates = values[3];
            if (count > 4) Checkpoints = values[4];
            if (count > 5) Faults = values[5];
            if (count > 6) MacsTotal = values[6];
            if (count > 7) MacsUpdates = values[7];
            if (count > 8) EnergyTotalUj = values[8];
            if (count > 9) EnergyUpdatesUj = values[9];
            if (count > 10) Boots = values[10];
            if (count > 11) ButtonPresses = values[11];
            if (count > 12) LabelCommands = values[12];
            if (count > 13) PredictUsTotal = values[13];
            if (count > 14) FleetUpdateReserved = values[14];
            if (count > 15) FleetStatsReserved = values[15];
            if (count > 16) FleetHighestVersion = values[16];
            if (count > 17) FleetBaseVersion = values[17];
        }

        public void Clear()
        {
            Samples = 0; Labelled = 0; Correct = 0; Updates = 0; Checkpoints = 0; Faults = 0; MacsTotal = 0;
            MacsUpdates = 0; EnergyTotalUj = 0; EnergyUpdatesUj = 0; Boots = 0; ButtonPresses = 0; LabelCommands = 0;
            PredictUsTotal = 0;
            FleetUpdateReserved = 0; FleetStatsReserved = 0; FleetHighestVersion = 0; FleetBaseVersion = 0;
        }

        /// <summary>Accuracy on labelled samples in per mille (0 when nothing is labelled).</summary>
        public long AccuracyPerMille
        {
            get { return Labelled == 0 ? 0 : (Correct * 1000 + Labelled / 2) / Labelled; }
        }
    }
}
