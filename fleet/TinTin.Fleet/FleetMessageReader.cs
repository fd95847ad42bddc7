using System;
using TinTin.Core;

namespace TinTin.Fleet
{
    /// <summary>
    /// Checks and reads fleet messages (<see cref="FleetMessage"/>): size limit, header, length,
    /// HMAC tag, shape, then content. A failed read returns false with <see cref="Error"/> saying
    /// what is wrong and leaves the destination untouched (content is read only after every check).
    /// </summary>
    public sealed class FleetMessageReader
    {
        private readonly int maxBytes;

        public string Error;
        public int Kind;
        public uint Version;
        public uint Fingerprint;
        public uint Sequence;
        public uint Labelled;
        public uint Correct;
        /// <summary>After CheckFrame of a merged model: addressed to one board (its id at RecipientAt, RecipientLength bytes).</summary>
        public bool Addressed;
        /// <summary>The last ReadStats refused an authentic statistics message of the older format, without class counts (before session 8).</summary>
        public bool OlderStatsFormat;
        public int RecipientAt, RecipientLength;
        /// <summary>After ReadReceipt: the answered message's kind (1 update, 3 statistics), the outcome (FleetMessage.Receipt*), where the echoed tag bytes start.</summary>
        public int ReceiptKind, ReceiptCode, ReceiptTagAt;
        /// <summary>After a failed read: the receipt outcome that names the failure (too large, bad tag, else malformed).</summary>
        public int FailOutcome = FleetMessage.ReceiptMalformed;

        public FleetMessageReader(int maxBytes)
        {
            if (maxBytes < FleetMessage.HeaderBytes + HmacSha256.TagBytes) throw new ArgumentException("a fleet message limit below the header and tag size");
            this.maxBytes = maxBytes;
        }

        /// <summary>Header, length, limit and tag. True when the message is authentic and of the expected kind.</summary>
        public bool CheckFrame(byte[] data, int length, int expectedKind, HmacSha256 key)
        {
            Error = null;
            FailOutcome = FleetMessage.ReceiptMalformed;
            if (data == null || length <= 0) return Fail("empty fleet message");
            if (length > data.Length) length = data.Length;
            if (length > maxBytes) return FailWith(FleetMessage.ReceiptTooLarge, "fleet message of " + length + " bytes is over the " + maxBytes + "-byte limit");
            if (length < FleetMessage.HeaderBytes + 2 + HmacSha256.TagBytes) return Fail("fleet message truncated: " + length + " bytes is shorter than header and tag");
            if (LittleEndian.GetU32(data, 0) != FleetMessage.Magic) return Fail("not a fleet message (no \"TTFL\" magic)");
            if (data[4] != FleetMessage.FormatVersion) return Fail("unsupported fleet message format " + data[4] + "; this build reads " + FleetMessage.FormatVersion);
            Kind = data[FleetMessage.KindAt];
            if (Kind != expectedKind) return Fail("fleet message kind " + Kind + " where " + expectedKind + " was expected");
            int flags = LittleEndian.GetU16(data, 6);
            Addressed = false;
            RecipientAt = 0;
            RecipientLength = 0;
            if (flags != 0 && !(flags == FleetMessage.FlagAddressed && (Kind == FleetMessage.KindMerged || Kind == FleetMessage.KindReceipt))) return Fail("unknown fleet message flags");
            uint total = LittleEndian.GetU32(data, 28);
            if (total != (uint)length) return Fail("fleet message truncated or padded: header says " + total + " bytes, " + length + " arrived");
            int signed = length - HmacSha256.TagBytes;
            if (!key.Verify(data, 0, signed, data, signed)) return FailWith(FleetMessage.ReceiptBadTag, "fleet message fails its HMAC check (wrong key, forged or corrupted)");
            Version = LittleEndian.GetU32(data, 8);
            Fingerprint = LittleEndian.GetU32(data, 12);
            Sequence = LittleEndian.GetU32(data, 16);
            Labelled = LittleEndian.GetU32(data, 20);
            Correct = LittleEndian.GetU32(data, 24);
            if (flags == FleetMessage.FlagAddressed)
            {
                // The recipient's id ends the signed bytes: the id, then its length (u8, 1..64).
                int n = data[signed - 1];
                if (n < 1 || n > FleetMessage.MaxBoardIdBytes || signed - 1 - n < FleetMessage.HeaderBytes + 2)
                    return Fail("addressed merged model carries no valid recipient id (length " + n + ")");
                Addressed = true;
                RecipientAt = signed - 1 - n;
                RecipientLength = n;
            }
            return true;
        }

        /// <summary>
        /// Checks an aggregator's receipt (size, frame, HMAC with the fleet key, layout, answered kind, outcome) and reads its
        /// fields (Version: the aggregator's newest version, Sequence: the answered message's, Labelled: the aggregator's last
        /// accepted sequence of that kind, ReceiptKind, ReceiptCode, ReceiptTagAt). The caller checks the recipient (IsFor)
        /// and that the receipt answers the message it sent last.
        /// </summary>
        public bool ReadReceipt(byte[] data, int length, HmacSha256 fleetKey)
        {
            if (data != null && length > data.Length) length = data.Length;
            if (length > FleetMessage.MaxReceiptBytes) return Fail("receipt of " + length + " bytes is over the " + FleetMessage.MaxReceiptBytes + "-byte limit");
            if (!CheckFrame(data, length, FleetMessage.KindReceipt, fleetKey)) return false;
            if (!Addressed) return Fail("receipt is not addressed to a board");
            if (RecipientAt != FleetMessage.ReceiptIdAt) return Fail("receipt is " + length + " bytes, its " + RecipientLength + "-byte board id needs " + FleetMessage.ReceiptBytes(RecipientLength));
            int at = FleetMessage.ReceiptKindAt;
            int kind = data[at], code = data[FleetMessage.ReceiptOutcomeAt];
            if (kind != FleetMessage.KindUpdate && kind != FleetMessage.KindStats) return Fail("receipt answers a message of kind " + kind + ", not an update or statistics");
            if (code > FleetMessage.ReceiptLastCode) return Fail("receipt has unknown outcome " + code);
            if (data[at + 2] != 0 || data[at + 3] != 0 || Correct != 0) return Fail("receipt has non-zero reserved bytes");
            ReceiptKind = kind;
            ReceiptCode = code;
            ReceiptTagAt = at + 4;
            return true;
        }

        /// <summary>After CheckFrame: whether an addressed message's recipient is this id (ASCII bytes); true for an unaddressed one.</summary>
        public bool IsFor(byte[] data, byte[] boardId)
        {
            if (!Addressed) return true;
            if (boardId == null || boardId.Length != RecipientLength) return false;
            for (int i = 0; i < RecipientLength; i++) if (data[RecipientAt + i] != boardId[i]) return false;
            return true;
        }

        /// <summary>The recipient id of an addressed message (error messages only: allocates).</summary>
        public string RecipientText(byte[] data)
        {
            if (!Addressed) return "";
            char[] text = new char[RecipientLength];
            for (int i = 0; i < RecipientLength; i++) { byte b = data[RecipientAt + i]; text[i] = b >= 32 && b < 127 ? (char)b : '?'; }
            return new string(text);
        }

        /// <summary>Reads an authentic merged model into destination when its shape matches.</summary>
        public bool ReadMerged(byte[] data, int length, HmacSha256 fleetKey, ParameterSet destination)
        {
            if (!CheckFrame(data, length, FleetMessage.KindMerged, fleetKey)) return false;
            if (length > data.Length) length = data.Length;
            if (Fingerprint != destination.Fingerprint()) return Fail("merged model has another shape (fingerprint " + Fingerprint + ", this model " + destination.Fingerprint() + ")");
            int expected = Addressed ? FleetMessage.AddressedMergedBytes(destination, RecipientLength) : FleetMessage.MergedBytes(destination);
            if (length != expected) return Fail("merged model is " + length + " bytes, this shape needs " + expected);
            int at = FleetMessage.HeaderBytes;
            if (LittleEndian.GetU16(data, at) != destination.LayerCount) return Fail("merged model layer count differs");
            at += 2;
            // Check everything before writing anything.
            int scan = at;
            for (int l = 0; l < destination.LayerCount; l++)
            {
                if (LittleEndian.GetU16(data, scan) != destination.Channels[l] || LittleEndian.GetU16(data, scan + 2) != destination.RowLength[l])
                    return Fail("merged model layer " + l + " has another shape");
                scan += 6;
                int n = destination.Master[l].Length;
                for (int i = 0; i < n; i++, scan += 2)
                    if (LittleEndian.GetU16(data, scan) == 0x8000) return Fail("merged model layer " + l + " weight " + i + " is out of range");
                scan += 4 * destination.Channels[l];
            }
            for (int l = 0; l < destination.LayerCount; l++)
            {
                at += 4;
                destination.MasterExponent[l] = (sbyte)data[at++];
                destination.BiasExponent[l] = (sbyte)data[at++];
                short[] master = destination.Master[l];
                for (int i = 0; i < master.Length; i++, at += 2) master[i] = (short)LittleEndian.GetU16(data, at);
                int[] bias = destination.Bias[l];
                for (int c = 0; c < bias.Length; c++, at += 4) bias[c] = (int)(long)LittleEndian.GetU32(data, at);
            }
            destination.DeriveInt8Shifts();
            return true;
        }

        /// <summary>
        /// Reads a board's authentic input statistics into destination when the shape fingerprint and the feature count
        /// match. The caller checks the sequence (replay).
        /// </summary>
        public bool ReadStats(byte[] data, int length, HmacSha256 boardKey, uint fingerprint, FleetStats destination)
        {
            OlderStatsFormat = false;
            if (!CheckFrame(data, length, FleetMessage.KindStats, boardKey)) return false;
            if (length > data.Length) length = data.Length;
            if (Fingerprint != fingerprint) return Fail("statistics of another model shape (fingerprint " + Fingerprint + ", fleet model " + fingerprint + ")");
            int end = length - HmacSha256.TagBytes;
            if (FleetMessage.HeaderBytes + 4 > end) return Fail("statistics message ends before its feature count");
            int features = LittleEndian.GetU16(data, FleetMessage.HeaderBytes);
            if (features != destination.Features) return Fail("statistics of " + features + " features, the fleet model has " + destination.Features);
            int classesAt = FleetMessage.StatsClassesAt(features);
            if (classesAt + 2 > end)
            {
                OlderStatsFormat = classesAt == end;
                return Fail("statistics message ends before its class counts (" + length + " bytes; a message without them is of an older format)");
            }
            int classes = LittleEndian.GetU16(data, classesAt);
            if (classes != destination.Classes) return Fail("statistics carry " + classes + " class counts, the fleet model has " + destination.Classes + " classes");
            if (length != FleetMessage.StatsBytes(features, classes)) return Fail("statistics message is " + length + " bytes, " + features + " features and " + classes + " classes need " + FleetMessage.StatsBytes(features, classes));
            if (data[FleetMessage.HeaderBytes + 3] != 0) return Fail("statistics message has a non-zero reserved byte");
            if (Labelled == 0) return Fail("statistics over 0 samples");
            long labelledSum = 0;
            for (int c = 0; c < classes; c++) labelledSum += LittleEndian.GetU32(data, classesAt + 2 + 4 * c);
            if (labelledSum > Labelled) return Fail("statistics count " + labelledSum + " labelled samples over the classes, more than their " + Labelled + " samples");
            int at = FleetMessage.HeaderBytes + 4;
            destination.InputExponent = (sbyte)data[FleetMessage.HeaderBytes + 2];
            for (int i = 0; i < features; i++, at += 2) destination.Mean256[i] = (short)LittleEndian.GetU16(data, at);
            at += 2;
            for (int c = 0; c < classes; c++, at += 4) destination.ClassLabelled[c] = LittleEndian.GetU32(data, at);
            destination.BaseVersion = Version;
            destination.Sequence = Sequence;
            destination.Samples = Labelled;
            destination.Labelled = Correct;
            return true;
        }

        /// <summary>Reads an authentic board update into destination when its shape matches.</summary>
        public bool ReadUpdate(byte[] data, int length, HmacSha256 boardKey, FleetUpdate destination)
        {
            if (!CheckFrame(data, length, FleetMessage.KindUpdate, boardKey)) return false;
            if (length > data.Length) length = data.Length;
            ParameterSet shape = destination.Shape;
            if (Fingerprint != shape.Fingerprint()) return Fail("update has another shape (fingerprint " + Fingerprint + ", fleet model " + shape.Fingerprint() + ")");
            int end = length - HmacSha256.TagBytes;
            int at = FleetMessage.HeaderBytes;
            if (LittleEndian.GetU16(data, at) != shape.LayerCount) return Fail("update layer count differs");
            at += 2;
            // Pass 1 checks the layout, pass 2 copies.
            int scan = at;
            for (int l = 0; l < shape.LayerCount; l++)
            {
                if (scan + 8 > end) return Fail("update ends early in layer " + l);
                if (LittleEndian.GetU16(data, scan) != shape.Channels[l] || LittleEndian.GetU16(data, scan + 2) != shape.RowLength[l])
                    return Fail("update layer " + l + " has another shape");
                int sent = LittleEndian.GetU16(data, scan + 6);
                if (sent > shape.Channels[l]) return Fail("update layer " + l + " sends " + sent + " channels of " + shape.Channels[l]);
                scan += 8;
                int rowBytes = 2 + shape.RowLength[l] + 4;
                if (scan + sent * rowBytes > end) return Fail("update ends early in layer " + l);
                int previous = -1;
                for (int k = 0; k < sent; k++)
                {
                    int channel = LittleEndian.GetU16(data, scan + k * rowBytes);
                    if (channel <= previous || channel >= shape.Channels[l]) return Fail("update layer " + l + " channel indices are not increasing and in range");
                    previous = channel;
                    for (int i = 0; i < shape.RowLength[l]; i++)
                        if (data[scan + k * rowBytes + 2 + i] == 0x80) return Fail("update layer " + l + " has an int8 weight of -128");
                }
                scan += sent * rowBytes;
            }
            if (scan != end) return Fail("update has " + (end - scan) + " unexpected bytes");
            for (int l = 0; l < shape.LayerCount; l++)
            {
                int row = shape.RowLength[l];
                destination.WeightExponent[l] = (sbyte)data[at + 4];
                destination.BiasExponent[l] = (sbyte)data[at + 5];
                int sent = LittleEndian.GetU16(data, at + 6);
                at += 8;
                bool[] flags = destination.Sent[l];
                for (int c = 0; c < flags.Length; c++) flags[c] = false;
                for (int k = 0; k < sent; k++)
                {
                    int channel = LittleEndian.GetU16(data, at);
                    at += 2;
                    flags[channel] = true;
                    sbyte[] w = destination.Weights[l];
                    for (int i = 0; i < row; i++) w[channel * row + i] = (sbyte)data[at++];
                    destination.Bias[l][channel] = (int)(long)LittleEndian.GetU32(data, at);
                    at += 4;
                }
            }
            destination.BaseVersion = Version;
            destination.Sequence = Sequence;
            destination.Labelled = Labelled;
            destination.Correct = Correct;
            return true;
        }

        private bool FailWith(int outcome, string message)
        {
            FailOutcome = outcome;
            return Fail(message);
        }

        private bool Fail(string message)
        {
            Error = message;
            return false;
        }
    }
}
