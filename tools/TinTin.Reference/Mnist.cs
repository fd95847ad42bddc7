using System;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace TinTin.Reference
{
    /// <summary>
    /// MNIST-format IDX images and labels (MNIST, Fashion-MNIST, or any set in that format), plain or
    /// gzip-compressed, streamed straight into the engine's int8 inputs: one copy of the data in memory
    /// (pixel/2, 0..127, at exponent −7 so 255 ↦ ≈1.0), no whole-file buffers.
    /// </summary>
    public sealed class ImageSet
    {
        public const int ImageMagic = 2051;  // 0x00000803: unsigned bytes, 3 dimensions
        public const int LabelMagic = 2049;  // 0x00000801: unsigned bytes, 1 dimension
        public const int ClassCount = 10;
        public const int InputExponent = -7;

        public int Count => Data.Count;
        public int Rows { get; }
        public int Columns { get; }
        public int PixelCount => Rows * Columns;
        /// <summary>The images as int8 engine inputs [Count][Rows·Columns] with their labels.</summary>
        public QDataset Data { get; }

        private ImageSet(QDataset data, int rows, int columns)
        {
            Data = data; Rows = rows; Columns = columns;
        }

        /// <summary>Loads e.g. train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz); limit ≤ 0 loads all.</summary>
        public static ImageSet Load(string imagesPath, string labelsPath, int limit = 0)
        {
            using ImageReader reader = Open(imagesPath, labelsPath, limit);
            var inputs = new sbyte[reader.Count][];
            var labelValues = new int[reader.Count];
            for (int i = 0; i < reader.Count; i++)
            {
                // Pinned heap: allocated once, never promoted or compacted, so the 47 MB of images are never copied by the GC.
                inputs[i] = GC.AllocateArray<sbyte>(reader.PixelCount, pinned: true);
                labelValues[i] = reader.ReadNext(inputs[i]);
            }
            return new ImageSet(new QDataset(inputs, InputExponent, labelValues, ClassCount), reader.Rows, reader.Columns);
        }

        /// <summary>
        /// Opens an image/label file pair to read one image at a time into a buffer the caller reuses (evaluation
        /// streams the test set instead of holding it); the header and every label are checked here, as Load does.
        /// </summary>
        public static ImageReader Open(string imagesPath, string labelsPath, int limit = 0) => new ImageReader(imagesPath, labelsPath, limit);

        /// <summary>The standard training files in a folder (train- images/labels, .gz or not).</summary>
        public static ImageSet LoadTrain(string folder, int limit = 0) =>
            Load(Find(folder, "train-images-idx3-ubyte"), Find(folder, "train-labels-idx1-ubyte"), limit);

        /// <summary>The standard test files in a folder (t10k- images/labels, .gz or not), opened for streaming.</summary>
        public static ImageReader OpenTest(string folder, int limit = 0) =>
            Open(Find(folder, "t10k-images-idx3-ubyte"), Find(folder, "t10k-labels-idx1-ubyte"), limit);

        /// <summary>An IDX image/label pair read front to back: ReadNext fills an int8 input (pixel/2) and returns its label.</summary>
        public sealed class ImageReader : IDisposable
        {
            private readonly IdxStream images;
            private readonly byte[] labelBytes;  // [Count]
            private int next;

            public int Count { get; }
            public int Rows { get; }
            public int Columns { get; }
            public int PixelCount => Rows * Columns;

            internal ImageReader(string imagesPath, string labelsPath, int limit)
            {
                images = new IdxStream(imagesPath, "MNIST image file");
                try
                {
                    using var labels = new IdxStream(labelsPath, "MNIST label file");
                    images.ExpectMagic(ImageMagic, "IDX image file (unsigned bytes, 3 dimensions)");
                    labels.ExpectMagic(LabelMagic, "IDX label file (unsigned bytes, 1 dimension)");
                    int count = images.ReadDimension("image count");
                    int rows = images.ReadDimension("rows"), columns = images.ReadDimension("columns");
                    int labelCount = labels.ReadDimension("label count");
                    if (labelCount != count)
                        throw new InvalidDataException($"{imagesPath} has {count} images but {labelsPath} has {labelCount} labels");
                    if (rows == 0 || columns == 0 || (long)rows * columns > 1 << 20)
                        throw new InvalidDataException($"{imagesPath}: image size {rows}×{columns} (header fields rows, columns) is not 1..{1 << 20} pixels");
                    if ((long)count * rows * columns > InputFiles.MaxDecompressedBytes)
                        throw new InvalidDataException($"{imagesPath}: {count} images of {rows}×{columns} are more than {InputFiles.MaxDecompressedBytes} bytes");
                    if (limit > 0 && limit < count) count = limit;
                    labelBytes = new byte[count];
                    labels.ReadExactly(labelBytes, "labels", 0, 1, count);
                    for (int i = 0; i < count; i++)
                        if (labelBytes[i] >= ClassCount)
                            throw new InvalidDataException($"{labelsPath}: label {labelBytes[i]} of item {i} is not a class 0..{ClassCount - 1}");
                    Count = count; Rows = rows; Columns = columns;
                }
                catch
                {
                    images.Dispose();
                    throw;
                }
            }

            /// <summary>Reads the next image into input [PixelCount] as pixel/2 (0..127, exponent −7) and returns its label.</summary>
            public int ReadNext(sbyte[] input)
            {
                if (next >= Count) throw new InvalidOperationException($"all {Count} images have been read");
                if (input.Length != PixelCount) throw new ArgumentException($"input holds {input.Length} values, an image {PixelCount}");
                Span<byte> raw = MemoryMarshal.AsBytes(input.AsSpan());
                images.ReadExactly(raw, "images", next, PixelCount, Count);
                for (int p = 0; p < raw.Length; p++) raw[p] >>= 1;  // 0..255 → 0..127, in place
                return labelBytes[next++];
            }

            public void Dispose() => images.Dispose();
        }

        /// <summary>The standard four files in a folder (train-/t10k- images/labels, .gz or not).</summary>
        public static (ImageSet Train, ImageSet Test) LoadFolder(string folder, int trainLimit = 0, int testLimit = 0)
        {
            return (LoadTrain(folder, trainLimit),
                    Load(Find(folder, "t10k-images-idx3-ubyte"), Find(folder, "t10k-labels-idx1-ubyte"), testLimit));
        }

        /// <summary>Whether folder holds MNIST-format training images (train-images-idx3-ubyte, .gz or not).</summary>
        public static bool IsImageFolder(string folder) => Directory.Exists(folder) && TryFind(folder, "train-images-idx3-ubyte") != null;

        private static string Find(string folder, string stem)
        {
            return TryFind(folder, stem) ?? throw new FileNotFoundException($"{folder}: no {stem} file (plain or .gz)");
        }

        private static string TryFind(string folder, string stem)
        {
            foreach (string candidate in new[] { stem, stem + ".gz", stem.Replace("-idx", ".idx"), stem.Replace("-idx", ".idx") + ".gz" })
            {
                string path = System.IO.Path.Combine(folder, candidate);
                if (File.Exists(path)) return path;
            }
            return null;
        }

        /// <summary>An IDX file read front to back (through gzip when it ends in .gz); errors name the file and the field.</summary>
        private sealed class IdxStream : IDisposable
        {
            private readonly string path;
            private readonly Stream stream;
            private readonly byte[] word = new byte[4];

            public IdxStream(string path, string what)
            {
                this.path = path;
                Stream file = InputFiles.OpenInput(path, InputFiles.MaxDataBytes, what);
                stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            }

            public void ExpectMagic(int magic, string description)
            {
                int found = ReadInt32("magic number");
                if (found != magic)
                    throw new InvalidDataException($"{path}: magic number {found} (0x{found:X8}) in the header, expected {magic} (0x{magic:X8}): not an {description}");
            }

            public int ReadDimension(string field)
            {
                int value = ReadInt32(field);
                if (value < 0) throw new InvalidDataException($"{path}: header field {field} is {value}");
                return value;
            }

            private int ReadInt32(string field)
            {
                int got = Fill(word);
                if (got < word.Length) throw new InvalidDataException($"{path}: truncated in the header: field {field} has {got} of 4 bytes");
                return (word[0] << 24) | (word[1] << 16) | (word[2] << 8) | word[3];
            }

            /// <summary>Reads buffer.Length bytes (items of itemSize from firstItem on), or says at which item the file ends.</summary>
            public void ReadExactly(Span<byte> buffer, string field, int firstItem, int itemSize, int count)
            {
                int got = Fill(buffer);
                if (got < buffer.Length)
                    throw new InvalidDataException($"{path}: truncated: the {field} end at item {firstItem + got / itemSize} of the {count} the header declares");
            }

            private int Fill(Span<byte> buffer)
            {
                int total = 0;
                try
                {
                    while (total < buffer.Length)
                    {
                        int n = stream.Read(buffer.Slice(total));
                        if (n == 0) break;
                        total += n;
                    }
                }
                catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not valid gzip data ({e.Message})", e); }
                return total;
            }

            public void Dispose() => stream.Dispose();
        }
    }
}
