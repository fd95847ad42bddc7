using System;
using TinTin.Core;

namespace TinTin.Fleet
{
    /// <summary>
    /// The fleet's messages, little-endian, each ending in an HMAC-SHA256 tag:
    /// <code>
    ///  0  u32  magic "TTFL"
    ///  4  u8   format version (1)
    ///  5  u8   kind: 1 update (board → aggregator), 2 merged model (aggregator → boards),
    ///          3 input statistics (board → aggregator), 4 receipt (aggregator → one board)
    ///  6  u16  flags: 0, or (merged only) 1 = addressed: the model is for one board, whose id
    ///          follows the layers (ASCII letters, digits, '-', '_', then its length: u8 1..64)
    ///  8  u32  model version: update = the merged version the board's model started from
    ///          (0 = its default model); merged = this model's version, above every earlier one
    /// 12  u32  shape fingerprint (ParameterSet.Fingerprint): a board takes no model of another shape
    /// 16  u32  update: the board's message sequence number; merged: contributing boards
    /// 20  u32  labelled samples (update: the board's; merged: the contributors' total)
    /// 24  u32  update: labelled samples predicted right before their label arrived; merged: 0
    /// 28  u32  total payload bytes, header and tag included (must equal the message length)
    /// 32  u16  parameter layer count, then per parameter layer: u16 channels, u16 row length,
    ///     update: i8 int8-weight exponent, i8 bias exponent, u16 channels sent, then per channel
    ///             u16 index, i8 weights[row], i32 bias   (only the channels the board trained)
    ///     merged: i8 master exponent, i8 bias exponent, i16 masters[channels·row], i32 biases[channels]
    ///     (addressed merged: then the recipient board's id and its length, u8)
    ///  .. 32 B HMAC-SHA256 of every byte before it: update and statistics with the board's own key,
    ///     merged with the fleet key.
    /// The statistics message (kind 3, <see cref="StatsBytes"/>: 90 B for 6 features and 2 classes) reuses the header:
    ///  8 the board's base version, 12 the shape fingerprint, 16 its statistics sequence number
    ///  (grows: an old one replayed is refused), 20 samples the means are over, 24 labelled samples;
    /// 32  u16  features F, i8 input exponent, u8 0, then i16 mean[F]: each feature's mean of the
    ///          normalised int8 input over every sample so far, in 1/256 of an int8 unit
    ///          (sum · 256 / samples, truncated);
    ///     then u16 classes C (the model's), u32 labelled[C]: the samples labelled with each class so far (their sum
    ///          is at most the samples at 20).
    /// The receipt (kind 4, <see cref="ReceiptBytes"/>: 83 B for the id "board1") answers one update or statistics message,
    /// signed with the fleet key and always addressed (flags 1) to the board whose topic the message came on:
    ///  8 the aggregator's newest version, 12 the fleet model's shape fingerprint, 16 the answered message's sequence
    ///  number (as its header says; 0 when it has none), 20 the aggregator's last accepted sequence number of that kind
    ///  from this board (0: none), 24 0;
    /// 32  u8 answered kind (1 update, 3 statistics), u8 outcome (Receipt*: 0 accepted, else why refused), u16 0,
    /// 36  8 B the first 8 bytes of the answered message's HMAC tag (zeros when it is too short to have one): a board acts
    ///     only on a receipt for the message it sent last, so an old receipt replayed, or one for a message forged on its
    ///     topic, is refused;
    /// 44  the recipient board's id, then its length (u8 1..64).
    /// </code>
    /// Every length is checked before a byte is read, and the tag before any content is trusted.
    /// </summary>
    public static class FleetMessage
    {
        public const uint Magic = 0x4C465454; // bytes 'T','T','F','L'
        public const int FormatVersion = 1;
        public const int KindUpdate = 1;
        public const int KindMerged = 2;
        public const int KindStats = 3;
        public const int KindReceipt = 4;
        /// <summary>Receipt outcomes (byte 33): accepted, or why the aggregator refused the message.</summary>
        public const int ReceiptAccepted = 0;
        /// <summary>The update leaves channels out and its base is a version the aggregator published but no longer keeps.</summary>
        public const int ReceiptBaseGone = 1;
        /// <summary>The update's base is a version this aggregator never published (above its newest).</summary>
        public const int ReceiptUnknownBase = 2;
        /// <summary>The sequence number is not above the last one the aggregator accepted from the board (at 20).</summary>
        public const int ReceiptReplayed = 3;
        /// <summary>The message does not read (cut, padded, another shape or format, bad content).</summary>
        public const int ReceiptMalformed = 4;
        /// <summary>The message fails its HMAC check with the board's key (a board holding another key than the aggregator's config).</summary>
        public const int ReceiptBadTag = 5;
        /// <summary>The message is over the aggregator's size limit.</summary>
        public const int ReceiptTooLarge = 6;
        /// <summary>Highest outcome code this build knows.</summary>
        public const int ReceiptLastCode = 6;
        /// <summary>Offsets of a receipt's answered kind and outcome bytes (right after the header): a transport may sort or log a receipt by them before anything is verified.</summary>
        public const int ReceiptKindAt = HeaderBytes, ReceiptOutcomeAt = HeaderBytes + 1;
        /// <summary>Bytes of the answered message's tag a receipt echoes.</summary>
        public const int ReceiptTagBytes = 8;
        /// <summary>Offset of a receipt's recipient id (after the answered kind, outcome, reserved u16 and the tag echo).</summary>
        public const int ReceiptIdAt = HeaderBytes + 4 + ReceiptTagBytes;
        /// <summary>Longest receipt (a 64-byte board id): a board refuses a longer one before reading it.</summary>
        public const int MaxReceiptBytes = ReceiptIdAt + MaxBoardIdBytes + 1 + HmacSha256.TagBytes;
        /// <summary>Merged-model flag: addressed to one board (its id after the layers, inside the signed bytes).</summary>
        public const int FlagAddressed = 1;
        /// <summary>Longest board id an addressed model carries (FleetProvisioning's board_id limit).</summary>
        public const int MaxBoardIdBytes = 64;
        public const int HeaderBytes = 32;
        /// <summary>Offset of the kind byte (KindUpdate … KindReceipt).</summary>
        public const int KindAt = 5;

        /// <summary>The kind byte of message[0..length) as it arrived (unverified: for routing only), 0 when it is too short to have one.</summary>
        public static int KindOf(byte[] message, int length)
        {
            return message != null && length > KindAt && message.Length > KindAt ? message[KindAt] : 0;
        }
        /// <summary>Default limit for either message; boards and the aggregator refuse larger ones.</summary>
        public const int DefaultMaxBytes = 16384;

        /// <summary>Largest update a board with this shape can send (every channel trained).</summary>
        public static int MaxUpdateBytes(ParameterSet shape)
        {
            int size = HeaderBytes + 2;
            for (int l = 0; l < shape.LayerCount; l++) size += 8 + shape.Channels[l] * (2 + shape.RowLength[l] + 4);
            return size + HmacSha256.TagBytes;
        }

        public static int MergedBytes(ParameterSet shape)
        {
            int size = HeaderBytes + 2;
            for (int l = 0; l < shape.LayerCount; l++) size += 6 + 2 * shape.Master[l].Length + 4 * shape.Channels[l];
            return size + HmacSha256.TagBytes;
        }

        /// <summary>An addressed merged model: the merged bytes plus the recipient's id and its length byte.</summary>
        public static int AddressedMergedBytes(ParameterSet shape, int idBytes) { return MergedBytes(shape) + 1 + idBytes; }

        /// <summary>A receipt addressed to a board id of this many bytes.</summary>
        public static int ReceiptBytes(int idBytes) { return ReceiptIdAt + idBytes + 1 + HmacSha256.TagBytes; }

        /// <summary>The short name of a receipt outcome (protocol token).</summary>
        public static string ReceiptCodeName(int code)
        {
            switch (code)
            {
                case ReceiptAccepted: return "accepted";
                case ReceiptBaseGone: return "base_gone";
                case ReceiptUnknownBase: return "unknown_base";
                case ReceiptReplayed: return "replayed";
                case ReceiptMalformed: return "malformed";
                case ReceiptBadTag: return "bad_tag";
                case ReceiptTooLarge: return "too_large";
                default: return "code" + code;
            }
        }

        /// <summary>
        /// Writes the aggregator's receipt for a board's message (answered[0..answeredLength): the update or statistics as
        /// it arrived, authentic or not): its kind, sequence number and the first bytes of its tag as the message carries
        /// them, the outcome, the board's last accepted sequence number of that kind and the aggregator's newest version,
        /// addressed to recipient (ASCII id bytes) and signed with the fleet key. Returns the message length.
        /// </summary>
        public static int WriteReceipt(byte[] buffer, byte[] answered, int answeredLength, int outcome, uint lastAccepted, uint newestVersion,
            uint fingerprint, byte[] recipient, HmacSha256 fleetKey)
        {
            if (recipient == null || recipient.Length < 1 || recipient.Length > MaxBoardIdBytes) throw new ArgumentException("a receipt's recipient board id has 1.." + MaxBoardIdBytes + " bytes");
            if (outcome < 0 || outcome > ReceiptLastCode) throw new ArgumentException("unknown receipt outcome " + outcome);
            int need = ReceiptBytes(recipient.Length);
            if (buffer == null || buffer.Length < need) throw new ArgumentException("a receipt buffer needs " + need + " bytes");
            if (answered == null) answeredLength = 0;
            else if (answeredLength > answered.Length) answeredLength = answered.Length;
            int kind = KindOf(answered, answeredLength) == KindStats ? KindStats : KindUpdate;
            uint sequence = answeredLength >= 20 ? LittleEndian.GetU32(answered, 16) : 0;
            int at = WriteHeader(buffer, KindReceipt, newestVersion, fingerprint, sequence, lastAccepted, 0);
            LittleEndian.PutU16(buffer, 6, FlagAddressed);
            buffer[at++] = (byte)kind;
            buffer[at++] = (byte)outcome;
            at = LittleEndian.PutU16(buffer, at, 0);
            bool tagged = answeredLength >= HeaderBytes + HmacSha256.TagBytes;
            int tagAt = answeredLength - HmacSha256.TagBytes;
            for (int i = 0; i < ReceiptTagBytes; i++) buffer[at++] = tagged ? answered[tagAt + i] : (byte)0;
            for (int i = 0; i < recipient.Length; i++) buffer[at++] = recipient[i];
            buffer[at++] = (byte)recipient.Length;
            return Seal(buffer, at, fleetKey);
        }

        /// <summary>A statistics message of this many input features and classes.</summary>
        public static int StatsBytes(int features, int classes) { return StatsClassesAt(features) + 2 + 4 * classes + HmacSha256.TagBytes; }

        /// <summary>Offset of the statistics message's class count (u16), after the means.</summary>
        public static int StatsClassesAt(int features) { return HeaderBytes + 4 + 2 * features; }

        /// <summary>
        /// Writes a board's input statistics: per feature sum · 256 / samples (the mean in 1/256 of an int8 unit,
        /// truncated, saturated to i16), then the labelled samples of each class. Returns the message length.
        /// </summary>
        public static int WriteStats(byte[] buffer, long[] inputSums, uint samples, uint[] classLabelled, int inputExponent, uint baseVersion,
            uint fingerprint, uint sequence, uint labelled, HmacSha256 boardKey)
        {
            int features = inputSums.Length;
            int classes = classLabelled.Length;
            int need = StatsBytes(features, classes);
            if (buffer == null || buffer.Length < need) throw new ArgumentException("a statistics buffer needs " + need + " bytes");
            int at = WriteHeader(buffer, KindStats, baseVersion, fingerprint, sequence, samples, labelled);
            at = LittleEndian.PutU16(buffer, at, features);
            buffer[at++] = (byte)(sbyte)inputExponent;
            buffer[at++] = 0;
            for (int i = 0; i < features; i++)
            {
                long mean = samples == 0 ? 0 : inputSums[i] * 256 / samples;
                if (mean > short.MaxValue) mean = short.MaxValue;
                if (mean < short.MinValue) mean = short.MinValue;
                at = LittleEndian.PutU16(buffer, at, (ushort)(short)mean);
            }
            at = LittleEndian.PutU16(buffer, at, classes);
            for (int c = 0; c < classes; c++) at = LittleEndian.PutU32(buffer, at, classLabelled[c]);
            return Seal(buffer, at, boardKey);
        }

        /// <summary>
        /// Writes a board's update: the int8 weights and biases of every channel whose parameters
        /// differ from baseline (the model it last took from the fleet, or its default). Returns the
        /// message length.
        /// </summary>
        public static int WriteUpdate(byte[] buffer, Network network, ParameterSet baseline, uint baseVersion, uint sequence,
            uint labelled, uint correct, HmacSha256 boardKey)
        {
            return WriteUpdate(buffer, network, baseline, baseVersion, sequence, labelled, correct, false, boardKey);
        }

        /// <summary>
        /// As above; everyChannel sends every channel whatever the baseline holds: a board whose baseline is not the
        /// merged version's own rows (FleetMember after a boot from a checkpoint) must not let the aggregator fill any
        /// channel from its copy of that version.
        /// </summary>
        public static int WriteUpdate(byte[] buffer, Network network, ParameterSet baseline, uint baseVersion, uint sequence,
            uint labelled, uint correct, bool everyChannel, HmacSha256 boardKey)
        {
            int need = MaxUpdateBytes(baseline);
            if (buffer == null || buffer.Length < need) throw new ArgumentException("an update buffer needs " + need + " bytes");
            int at = WriteHeader(buffer, KindUpdate, baseVersion, baseline.Fingerprint(), sequence, labelled, correct);
            at = LittleEndian.PutU16(buffer, at, baseline.LayerCount);
            int index = 0;
            for (int l = 0; l < network.Layers.Length; l++)
            {
                ParameterLayer p = network.Layers[l] as ParameterLayer;
                if (p == null) continue;
                int row = p.RowLength;
                at = LittleEndian.PutU16(buffer, at, p.Channels);
                at = LittleEndian.PutU16(buffer, at, row);
                buffer[at++] = (byte)(sbyte)p.WeightExponent;
                buffer[at++] = (byte)(sbyte)p.BiasExponent;
                int countAt = at;
                at += 2;
                int sent = 0;
                bool sendAll = everyChannel || // a rescaled layer: every row differs
                    p.MasterExponent != baseline.MasterExponent[index] || p.BiasExponent != baseline.BiasExponent[index];
                short[] master = p.MasterWeights;
                short[] old = baseline.Master[index];
                int[] oldBias = baseline.Bias[index];
                for (int c = 0; c < p.Channels; c++)
                {
                    bool changed = sendAll || p.Bias[c] != oldBias[c];
                    int start = c * row;
                    for (int i = start; i < start + row && !changed; i++) changed = master[i] != old[i];
                    if (!changed) continue;
                    at = LittleEndian.PutU16(buffer, at, c);
                    sbyte[] w = p.Weights;
                    for (int i = start; i < start + row; i++) buffer[at++] = (byte)w[i];
                    at = LittleEndian.PutU32(buffer, at, (uint)p.Bias[c]);
                    sent++;
                }
                LittleEndian.PutU16(buffer, countAt, sent);
                index++;
            }
            return Seal(buffer, at, boardKey);
        }

        /// <summary>Writes a merged model; returns the message length.</summary>
        public static int WriteMerged(byte[] buffer, ParameterSet merged, uint version, uint boards, uint labelled, HmacSha256 fleetKey)
        {
            return WriteMerged(buffer, merged, version, boards, labelled, null, fleetKey);
        }

        /// <summary>
        /// Writes a merged model; with recipient (ASCII board id bytes, 1..MaxBoardIdBytes) an addressed one, which only
        /// that board takes. Returns the message length.
        /// </summary>
        public static int WriteMerged(byte[] buffer, ParameterSet merged, uint version, uint boards, uint labelled, byte[] recipient, HmacSha256 fleetKey)
        {
            if (recipient != null && (recipient.Length < 1 || recipient.Length > MaxBoardIdBytes)) throw new ArgumentException("a recipient board id has 1.." + MaxBoardIdBytes + " bytes");
            int need = recipient == null ? MergedBytes(merged) : AddressedMergedBytes(merged, recipient.Length);
            if (buffer == null || buffer.Length < need) throw new ArgumentException("a merged-model buffer needs " + need + " bytes");
            int at = WriteHeader(buffer, KindMerged, version, merged.Fingerprint(), boards, labelled, 0);
            at = LittleEndian.PutU16(buffer, at, merged.LayerCount);
            for (int l = 0; l < merged.LayerCount; l++)
            {
                at = LittleEndian.PutU16(buffer, at, merged.Channels[l]);
                at = LittleEndian.PutU16(buffer, at, merged.RowLength[l]);
                buffer[at++] = (byte)(sbyte)merged.MasterExponent[l];
                buffer[at++] = (byte)(sbyte)merged.BiasExponent[l];
                short[] master = merged.Master[l];
                for (int i = 0; i < master.Length; i++) at = LittleEndian.PutU16(buffer, at, (ushort)master[i]);
                int[] bias = merged.Bias[l];
                for (int c = 0; c < bias.Length; c++) at = LittleEndian.PutU32(buffer, at, (uint)bias[c]);
            }
            if (recipient != null)
            {
                LittleEndian.PutU16(buffer, 6, FlagAddressed);
                for (int i = 0; i < recipient.Length; i++) buffer[at++] = recipient[i];
                buffer[at++] = (byte)recipient.Length;
            }
            return Seal(buffer, at, fleetKey);
        }

        /// <summary>A board id as the bytes an addressed model carries: ASCII letters, digits, '-' and '_', 1..MaxBoardIdBytes; null otherwise.</summary>
        public static byte[] BoardIdBytes(string id)
        {
            if (id == null || id.Length < 1 || id.Length > MaxBoardIdBytes) return null;
            byte[] bytes = new byte[id.Length];
            for (int i = 0; i < id.Length; i++)
            {
                char c = id[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!ok) return null;
                bytes[i] = (byte)c;
            }
            return bytes;
        }

        private static int WriteHeader(byte[] buffer, int kind, uint version, uint fingerprint, uint sequence, uint labelled, uint correct)
        {
            int at = LittleEndian.PutU32(buffer, 0, Magic);
            buffer[at++] = FormatVersion;
            buffer[at++] = (byte)kind;
            at = LittleEndian.PutU16(buffer, at, 0);
            at = LittleEndian.PutU32(buffer, at, version);
            at = LittleEndian.PutU32(buffer, at, fingerprint);
            at = LittleEndian.PutU32(buffer, at, sequence);
            at = LittleEndian.PutU32(buffer, at, labelled);
            at = LittleEndian.PutU32(buffer, at, correct);
            return at + 4; // total length, filled in by Seal
        }

        private static int Seal(byte[] buffer, int at, HmacSha256 key)
        {
            int total = at + HmacSha256.TagBytes;
            LittleEndian.PutU32(buffer, 28, (uint)total);
            key.Compute(buffer, 0, at, buffer, at);
            return total;
        }
    }
}
