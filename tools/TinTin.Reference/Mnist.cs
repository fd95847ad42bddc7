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
            using var images = new IdxStream(imagesPath, "MNIST image file");
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

            int pixels = rows * columns;
            var inputs = new sbyte[count][];
            var labelValues = new int[count];
            var labelBytes = new byte[count];
            labels.ReadExactly(labelBytes, "labels", 0, 1, count);
            for (int i = 0; i < count; i++)
            {
                if (labelBytes[i] >= ClassCount)
                    throw new InvalidDataException($"{labelsPath}: label {labelBytes[i]} of item {i} is not a class 0..{ClassCount - 1}");
                labelValues[i] = labelBytes[i];
                // Pinned heap: allocated once, never promoted or compacted, so the 47 MB of images are never copied by the GC.
                sbyte[] x = GC.AllocateArray<sbyte>(pixels, pinned: true);
                Span<byte> raw = MemoryMarshal.AsBytes(x.AsSpan());
                images.ReadExactly(raw, "images", i, pixels, count);
                for (int p = 0; p < raw.Length; p++) raw[p] >>= 1;  // 0..255 → 0..127, in place
                inputs[i] = x;
            }
            return new ImageSet(new QDataset(inputs, InputExponent, labelValues, ClassCount), rows, columns);
        }

        /// <summary>The standard four files in a folder (train-/t10k- images/labels, .gz or not).</summary>
        public static (ImageSet Train, ImageSet Test) LoadFolder(string folder, int trainLimit = 0, int testLimit = 0)
        {
            return (Load(Find(folder, "train-images-idx3-ubyte"), Find(folder, "train-labels-idx1-ubyte"), trainLimit),
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
