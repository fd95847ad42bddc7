namespace TinTin.Firmware
{
    /// <summary>
    /// What the firmware counts, kept across power cycles in every checkpoint (as little-endian
    /// int64s in the order of <see cref="CopyTo"/>). Append new counters at the end only: an older
    /// checkpoint with fewer counters loads with the new ones at zero. Beside them, sized to the model by
    /// <see cref="SizeStatistics"/>, the board's statistics (the checkpoint's statistics section): the samples labelled
    /// with each class (the fleet's statistics message carries them; cleared with the counters by a reset) and the
    /// input statistics (samples and per-feature sums of the normalised int8 input; like the fleet's, they describe the
    /// room, not the model, and carry over a reset).
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

        /// <summary>Samples labelled with each class (FirmwareApp.Label; their sum is Labelled); null until SizeStatistics.</summary>
        public uint[] ClassLabelled;
        /// <summary>Samples whose normalised input went into InputSums (every predicted sample since the first boot).</summary>
        public uint InputSamples;
        /// <summary>Per feature, the sum of the normalised int8 input over InputSamples samples; null until SizeStatistics.</summary>
        public long[] InputSums;

        /// <summary>Whether the statistics are sized (a checkpoint then keeps them).</summary>
        public bool HasStatistics { get { return ClassLabelled != null && InputSums != null; } }

        /// <summary>Sizes the statistics to a model's input length and class count (at start-up or load; allocates only when the size changes, and then starts them at 0).</summary>
        public void SizeStatistics(int features, int classes)
        {
            if (ClassLabelled == null || ClassLabelled.Length != classes) ClassLabelled = new uint[classes];
            if (InputSums == null || InputSums.Length != features)
            {
                InputSums = new long[features];
                InputSamples = 0;
            }
        }

        /// <summary>Samples newly labelled with class cls (a class outside the model is ignored). One addition, no allocation.</summary>
        public void CountLabels(int cls, int newlyLabelled)
        {
            if (ClassLabelled == null || cls < 0 || cls >= ClassLabelled.Length || newlyLabelled <= 0) return;
            ClassLabelled[cls] += (uint)newlyLabelled;
        }

        /// <summary>One predicted sample's normalised input (when no fleet member keeps the sums). Allocation-free.</summary>
        public void ObserveInput(sbyte[] input)
        {
            long[] sums = InputSums;
            if (sums == null) return;
            int n = sums.Length;
            for (int i = 0; i < n; i++) sums[i] += input[i];
            InputSamples++;
        }

        /// <summary>The input statistics back to none (a checkpoint without them, or of another model).</summary>
        public void ClearInputStatistics()
        {
            InputSamples = 0;
            if (InputSums != null) for (int i = 0; i < InputSums.Length; i++) InputSums[i] = 0;
        }

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

        /// <summary>Every counter and the class counts to 0 (the input statistics stay: <see cref="ClearInputStatistics"/>).</summary>
        public void Clear()
        {
            Samples = 0; Labelled = 0; Correct = 0; Updates = 0; Checkpoints = 0; Faults = 0; MacsTotal = 0;
            MacsUpdates = 0; EnergyTotalUj = 0; EnergyUpdatesUj = 0; Boots = 0; ButtonPresses = 0; LabelCommands = 0;
            PredictUsTotal = 0;
            FleetUpdateReserved = 0; FleetStatsReserved = 0; FleetHighestVersion = 0; FleetBaseVersion = 0;
            if (ClassLabelled != null) for (int c = 0; c < ClassLabelled.Length; c++) ClassLabelled[c] = 0;
        }

        /// <summary>Accuracy on labelled samples in per mille (0 when nothing is labelled).</summary>
        public long AccuracyPerMille
        {
            get { return Labelled == 0 ? 0 : (Correct * 1000 + Labelled / 2) / Labelled; }
        }
    }
}
