using System;

namespace TinTin.Fleet
{
    /// <summary>
    /// The board's side of the aggregator's receipts (FleetMessage kind 4, docs/FLEET.md "Receipts"): a receipt is
    /// verified (size, HMAC with the fleet key, addressed to this board) and acted on only when it answers the message of
    /// its kind this board sent last (its sequence number and the first 8 bytes of its tag) and is the first for it: an
    /// old receipt replayed, a duplicate, or one for a message forged on the board's topic is refused. A verified refusal:
    /// base gone or unknown → the updates on that base carry every channel (<see cref="BaseRefused"/>); replayed → the
    /// sequence of that kind moves to the aggregator's last accepted one, so the next message is above it (a board whose
    /// counters went back: re-flashed, or booted from a checkpoint older than messages it sent). Any verified receipt whose
    /// newest version is below the highest version this board had verified when it wrote the answered message (and none
    /// newer verified since) says the aggregator lost or reset its state: the "newer than" floor drops to the receipt's
    /// version (<see cref="FloorsLowered"/>; docs/FLEET.md, "An aggregator that lost its state"). Allocates nothing per receipt.
    /// </summary>
    public sealed partial class FleetMember
    {
        private readonly byte[] updateTag = new byte[FleetMessage.ReceiptTagBytes]; // first tag bytes of the last update written
        private readonly byte[] statsTag = new byte[FleetMessage.ReceiptTagBytes];  // ... and of the last statistics message
        private uint updateBase;                         // the base version the last update was written on
        private bool updateWritten, statsWritten;        // a message of that kind was written (its tag is kept)
        private bool updateAnswered, statsAnswered;      // a receipt for it was verified
        private bool baseRefused;                        // a receipt said the aggregator does not hold refusedBase
        private uint refusedBase;
        // HighestVersion when the last update (statistics message) was written. The aggregator reads a message after the board
        // wrote it, so a receipt for it from an aggregator whose counter never went back carries a newest version at least this.
        private uint updateHighest, statsHighest;

        /// <summary>
        /// Times a verified receipt lowered the "newer than" floor (HighestVersion) to the aggregator's newest version: the
        /// receipt answered this board's last message of its kind, and its newest version was below the highest version the
        /// board had verified when it wrote that message, with nothing newer verified since. Only an aggregator that lost or
        /// reset its state (its counter went back) signs such a receipt; without this the board refused every new model
        /// until the aggregator's counter passed the highest version it had verified.
        /// </summary>
        public int FloorsLowered;
        /// <summary>The last receipt ReceiveReceipt took lowered the floor, from <see cref="FloorLoweredFrom"/> to its version (ReceiptVersion).</summary>
        public bool LastReceiptLoweredFloor;
        /// <summary>HighestVersion before the floor was last lowered.</summary>
        public uint FloorLoweredFrom;

        /// <summary>Receipts verified (for accepted and refused messages).</summary>
        public int ReceiptsVerified;
        /// <summary>Updates and statistics messages the aggregator refused, as verified receipts said.</summary>
        public int AggregatorRefused;
        /// <summary>
        /// Verified receipts for a message already answered: MQTT delivers at least once, so a second copy is normal; it
        /// changes nothing and is not an error (its HMAC and the echo of the board's own last message still had to hold).
        /// </summary>
        public int ReceiptDuplicates;
        /// <summary>The last receipt ReceiveReceipt took was such a duplicate (nothing to act on or print).</summary>
        public bool LastReceiptDuplicate;
        /// <summary>The last verified receipt: answered kind (FleetMessage.KindUpdate or KindStats), outcome (FleetMessage.Receipt*), the answered sequence, the aggregator's last accepted sequence of that kind, its newest version.</summary>
        public int ReceiptKind, ReceiptCode;
        public uint ReceiptSequence, ReceiptLastAccepted, ReceiptVersion;

        /// <summary>
        /// A verified receipt said the aggregator does not hold this board's base (base gone, or a version it never
        /// published): the updates carry every channel until the board's base changes (a take, a rollback to another base, a rebase).
        /// </summary>
        public bool BaseRefused { get { return baseRefused && refusedBase == baseVersion; } }

        /// <summary>Keeps the first tag bytes of a message just written (the receipt that answers it echoes them).</summary>
        private void Sent(bool stats, byte[] message, int length)
        {
            byte[] tag = stats ? statsTag : updateTag;
            Array.Copy(message, length - HmacSha256.TagBytes, tag, 0, tag.Length);
            if (stats) { statsWritten = true; statsAnswered = false; statsHighest = highestVersion; }
            else { updateWritten = true; updateAnswered = false; updateBase = baseVersion; updateHighest = highestVersion; }
        }

        private void ContinueReceiptsFrom(FleetMember previous)
        {
            Array.Copy(previous.updateTag, updateTag, updateTag.Length);
            Array.Copy(previous.statsTag, statsTag, statsTag.Length);
            updateBase = previous.updateBase;
            updateWritten = previous.updateWritten;
            statsWritten = previous.statsWritten;
            updateAnswered = previous.updateAnswered;
            statsAnswered = previous.statsAnswered;
            baseRefused = previous.baseRefused;
            refusedBase = previous.refusedBase;
            updateHighest = previous.updateHighest;
            statsHighest = previous.statsHighest;
        }

        /// <summary>
        /// Verifies an aggregator's receipt and acts on it (see the class). False (LastError says why, Rejected counts it)
        /// leaves everything as it was. True: ReceiptKind, ReceiptCode, ... describe it; a refusal counts in AggregatorRefused.
        /// </summary>
        public bool ReceiveReceipt(byte[] message, int length)
        {
            BytesReceived += length > 0 ? length : 0;
            LastReceiptDuplicate = false;
            LastReceiptLoweredFloor = false;
            if (!reader.ReadReceipt(message, length, fleetKey)) return Refuse("receipt refused: " + reader.Error);
            if (!reader.IsFor(message, boardId))
                return Refuse("receipt addressed to board '" + reader.RecipientText(message) + "', not to this board ('" + (boardIdText == null ? "" : boardIdText) + "')");
            bool stats = reader.ReceiptKind == FleetMessage.KindStats;
            string what = stats ? "statistics" : "update";
            uint last = stats ? statsSequence : sequence;
            bool written = stats ? statsWritten : updateWritten;
            if (!written || reader.Sequence != last || !SameTag(message, reader.ReceiptTagAt, stats ? statsTag : updateTag))
                return Refuse("receipt for " + what + " seq " + reader.Sequence + " answers no message this board sent last (its last: seq " + last + "): replayed, late or forged");
            if (stats ? statsAnswered : updateAnswered)
            {
                // Signed by the fleet key and answering this board's own last message: a second copy of the receipt it
                // already acted on (the aggregator writes one receipt a message), harmless whether redelivered or replayed.
                ReceiptDuplicates++;
                LastReceiptDuplicate = true;
                return true;
            }
            if (stats) statsAnswered = true;
            else updateAnswered = true;
            ReceiptKind = reader.ReceiptKind;
            ReceiptCode = reader.ReceiptCode;
            ReceiptSequence = reader.Sequence;
            ReceiptLastAccepted = reader.Labelled;
            ReceiptVersion = reader.Version;
            ReceiptsVerified++;
            // The aggregator's newest version below what this board had verified when it wrote the answered message: its
            // counter went back (state lost or reset). Only the fleet key signs a receipt, and it echoes this board's last
            // message (sequence and tag), so it was written after that message was; a model verified since (a newer one
            // published after the receipt was written, or the aggregator's counter already past) leaves the floor alone.
            uint verifiedThen = stats ? statsHighest : updateHighest;
            if (ReceiptVersion < verifiedThen && highestVersion == verifiedThen)
            {
                FloorLoweredFrom = highestVersion;
                highestVersion = ReceiptVersion;
                FloorsLowered++;
                LastReceiptLoweredFloor = true;
            }
            if (ReceiptCode == FleetMessage.ReceiptAccepted) return true;
            AggregatorRefused++;
            if (!stats && (ReceiptCode == FleetMessage.ReceiptBaseGone || ReceiptCode == FleetMessage.ReceiptUnknownBase))
            {
                baseRefused = true;
                refusedBase = updateBase;
            }
            else if (ReceiptCode == FleetMessage.ReceiptReplayed)
            {
                // Sequence numbers never go back; the next message of this kind is above the aggregator's last accepted one.
                if (stats) { if (ReceiptLastAccepted > statsSequence) statsSequence = ReceiptLastAccepted; }
                else if (ReceiptLastAccepted > sequence) sequence = ReceiptLastAccepted;
            }
            return true;
        }

        private static bool SameTag(byte[] message, int at, byte[] tag)
        {
            int difference = 0;
            for (int i = 0; i < tag.Length; i++) difference |= message[at + i] ^ tag[i];
            return difference == 0;
        }
    }
}
