using System;
using System.IO;
using System.IO.Compression;

namespace TinTin.Reference
{
    /// <summary>MNIST-format IDX images and labels (MNIST, Fashion-MNIST), plain or gzip-compressed.</summary>
    public sealed class ImageSet
    {
        public int Count { get; }
        public int Rows { get; }
        public int Columns { get; }
        /// <summary>[Count][Rows·Columns] pixel bytes 0..255.</summary>
        public byte[][] Images { get; }
        public byte[] Labels { get; }
        public int PixelCount => Rows * Columns;

        private ImageSet(byte[][] images, byte[] labels, int rows, int columns)
        {
            Images = images; Labels = labels; Rows = rows; Columns = columns; Count = labels.Length;
        }

        /// <summary>Loads e.g. train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz); limit ≤ 0 loads all.</summary>
        public static ImageSet Load(string imagesPath, string labelsPath, int limit = 0)
        {
            byte[] images = ReadAll(imagesPath);
            byte[] labels = ReadAll(labelsPath);
            if (images.Length < 16 || BigEndian(images, 0) != 2051)
                throw new InvalidDataException($"{imagesPath}: not an IDX image file (magic 2051 expected)");
            if (labels.Length < 8 || BigEndian(labels, 0) != 2049)
                throw new InvalidDataException($"{labelsPath}: not an IDX label file (magic 2049 expected)");
            int count = BigEndian(images, 4), rows = BigEndian(images, 8), columns = BigEndian(images, 12);
            if (BigEndian(labels, 4) != count)
                throw new InvalidDataException($"{imagesPath} has {count} images but {labelsPath} has {BigEndian(labels, 4)} labels");
            if (images.Length < 16L + (long)count * rows * columns || labels.Length < 8 + count)
                throw new InvalidDataException($"{imagesPath}: truncated");
            if (limit > 0 && limit < count) count = limit;
            var set = new byte[count][];
            var labelSet = new byte[count];
            int pixels = rows * columns;
            for (int i = 0; i < count; i++)
            {
                set[i] = new byte[pixels];
                Buffer.BlockCopy(images, 16 + i * pixels, set[i], 0, pixels);
                labelSet[i] = labels[8 + i];
                if (labelSet[i] > 9) throw new InvalidDataException($"{labelsPath}: label {labelSet[i]} at {i} is not a digit class");
            }
            return new ImageSet(set, labelSet, rows, columns);
        }

        /// <summary>The standard four files in a folder (train-/t10k- images/labels, .gz or not).</summary>
        public static (ImageSet Train, ImageSet Test) LoadFolder(string folder, int trainLimit = 0, int testLimit = 0)
        {
            return (Load(Find(folder, "train-images-idx3-ubyte"), Find(folder, "train-labels-idx1-ubyte"), trainLimit),
                    Load(Find(folder, "t10k-images-idx3-ubyte"), Find(folder, "t10k-labels-idx1-ubyte"), testLimit));
        }

        private static string Find(string folder, string stem)
        {
            foreach (string candidate in new[] { stem, stem + ".gz", stem.Replace("-idx", ".idx"), stem.Replace("-idx", ".idx") + ".gz" })
            {
                string path = System.IO.Path.Combine(folder, candidate);
                if (File.Exists(path)) return path;
            }
            throw new FileNotFoundException($"{folder}: no {stem} file (plain or .gz)");
        }

        private static byte[] ReadAll(string path)
        {
            using var file = InputFiles.OpenInput(path, InputFiles.MaxDataBytes, "MNIST file");
            using var memory = new MemoryStream();
            Stream source = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using (source)
            {
                var chunk = new byte[81920];
                int n;
                while ((n = source.Read(chunk, 0, chunk.Length)) > 0)
                {
                    if (memory.Length + n > InputFiles.MaxDecompressedBytes)
                        throw new InvalidDataException($"{path}: more than {InputFiles.MaxDecompressedBytes} bytes once decompressed");
                    memory.Write(chunk, 0, n);
                }
            }
            return memory.ToArray();
        }

        private static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
    }
}
