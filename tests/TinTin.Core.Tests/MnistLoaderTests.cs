using System;
using System.IO;
using System.IO.Compression;
using TinTin.Reference;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// The streaming IDX loader: the values the engine gets (pixel/2 at exponent −7, labels) equal a plain
    /// decode of the whole file; plain and .gz read alike; truncated or malformed files are refused with the
    /// file and the field named.
    /// </summary>
    public sealed class MnistLoaderTests : IDisposable
    {
        private readonly string folder = Directory.CreateTempSubdirectory("tintin-idx-").FullName;

        public void Dispose() => Directory.Delete(folder, true);

        private static byte[] Header(int magic, params int[] dimensions)
        {
            var bytes = new byte[4 + 4 * dimensions.Length];
            void Put(int at, int v) { bytes[at] = (byte)(v >> 24); bytes[at + 1] = (byte)(v >> 16); bytes[at + 2] = (byte)(v >> 8); bytes[at + 3] = (byte)v; }
            Put(0, magic);
            for (int d = 0; d < dimensions.Length; d++) Put(4 + 4 * d, dimensions[d]);
            return bytes;
        }

        private static byte[] Concat(byte[] a, byte[] b)
        {
            var c = new byte[a.Length + b.Length];
            a.CopyTo(c, 0); b.CopyTo(c, a.Length);
            return c;
        }

        private string Write(string name, byte[] content, bool gzip = false)
        {
            string path = Path.Combine(folder, name + (gzip ? ".gz" : ""));
            if (!gzip) { File.WriteAllBytes(path, content); return path; }
            using var file = File.Create(path);
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(content);
            return path;
        }

        /// <summary>count images of rows×columns with every byte value 0..255 appearing, and labels 0..9.</summary>
        private (string Images, string Labels, byte[] Pixels, byte[] LabelBytes) Files(int count, int rows, int columns, bool gzip)
        {
            var pixels = new byte[count * rows * columns];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 + i / 7);
            var labels = new byte[count];
            for (int i = 0; i < count; i++) labels[i] = (byte)(i * 3 % 10);
            return (Write("images", Concat(Header(2051, count, rows, columns), pixels), gzip),
                    Write("labels", Concat(Header(2049, count), labels), gzip), pixels, labels);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Streams_pixel_halves_and_labels_of_plain_and_gzip_files(bool gzip)
        {
            var (images, labels, pixels, labelBytes) = Files(9, 5, 4, gzip);
            ImageSet set = ImageSet.Load(images, labels);
            Assert.Equal((9, 5, 4, 20), (set.Count, set.Rows, set.Columns, set.PixelCount));
            Assert.Equal(-7, set.Data.Exponent);
            Assert.Equal(10, set.Data.ClassCount);
            for (int i = 0; i < 9; i++)
            {
                Assert.Equal(labelBytes[i], set.Data.Labels[i]);
                for (int p = 0; p < 20; p++) Assert.Equal(pixels[i * 20 + p] >> 1, set.Data.Inputs[i][p]);
            }
            ImageSet limited = ImageSet.Load(images, labels, 4);
            Assert.Equal(4, limited.Count);
            Assert.Equal(set.Data.Inputs[3], limited.Data.Inputs[3]);
        }

        [Fact]
        public void Reads_the_shipped_MNIST_as_a_whole_file_decode_does()
        {
            string mnist = RepositoryPaths.Find("data", "mnist");
            string imagesPath = Path.Combine(mnist, "t10k-images-idx3-ubyte.gz"), labelsPath = Path.Combine(mnist, "t10k-labels-idx1-ubyte.gz");
            ImageSet set = ImageSet.Load(imagesPath, labelsPath, 300);
            byte[] images = Decompress(imagesPath), labels = Decompress(labelsPath);
            Assert.Equal((28, 28, 300), (set.Rows, set.Columns, set.Count));
            for (int i = 0; i < 300; i++)
            {
                Assert.Equal(labels[8 + i], set.Data.Labels[i]);
                for (int p = 0; p < 784; p++) Assert.Equal(images[16 + i * 784 + p] >> 1, set.Data.Inputs[i][p]);
            }
        }

        private static byte[] Decompress(string path)
        {
            using var zip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var memory = new MemoryStream();
            zip.CopyTo(memory);
            return memory.ToArray();
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void A_truncated_image_file_names_the_file_and_the_item_where_it_ends(bool gzip)
        {
            var (_, labels, pixels, _) = Files(6, 3, 3, false);
            byte[] content = Concat(Header(2051, 6, 3, 3), pixels);
            string images = Write("short-images", content.AsSpan(0, content.Length - 5).ToArray(), gzip);
            var error = Assert.Throws<InvalidDataException>(() => ImageSet.Load(images, labels));
            Assert.Contains(images, error.Message);
            Assert.Contains("truncated", error.Message);
            Assert.Contains("item 5 of the 6", error.Message);
        }

        [Fact]
        public void A_truncated_header_names_the_field()
        {
            var (_, labels, _, _) = Files(2, 2, 2, false);
            string images = Write("stub", Header(2051, 2, 2).AsSpan(0, 10).ToArray());
            var error = Assert.Throws<InvalidDataException>(() => ImageSet.Load(images, labels));
            Assert.Contains(images, error.Message);
            Assert.Contains("rows", error.Message);
        }

        [Fact]
        public void Truncated_labels_name_the_label_file()
        {
            var (images, _, _, _) = Files(5, 2, 2, false);
            string labels = Write("few-labels", Concat(Header(2049, 5), new byte[] { 1, 2 }));
            var error = Assert.Throws<InvalidDataException>(() => ImageSet.Load(images, labels));
            Assert.Contains(labels, error.Message);
            Assert.Contains("item 2 of the 5", error.Message);
        }

        [Fact]
        public void Swapped_files_are_refused_by_their_magic_number()
        {
            var (images, labels, _, _) = Files(3, 2, 2, false);
            var error = Assert.Throws<InvalidDataException>(() => ImageSet.Load(labels, images));
            Assert.Contains(labels, error.Message);
            Assert.Contains("magic number 2049", error.Message);
        }

        [Fact]
        public void Counts_that_differ_and_labels_outside_the_classes_are_refused()
        {
            var (images, _, _, _) = Files(4, 2, 2, false);
            string three = Write("three-labels", Concat(Header(2049, 3), new byte[] { 1, 2, 3 }));
            Assert.Contains("has 4 images but", Assert.Throws<InvalidDataException>(() => ImageSet.Load(images, three)).Message);
            string bad = Write("bad-labels", Concat(Header(2049, 4), new byte[] { 1, 2, 10, 3 }));
            var error = Assert.Throws<InvalidDataException>(() => ImageSet.Load(images, bad));
            Assert.Contains(bad, error.Message);
            Assert.Contains("label 10 of item 2", error.Message);
        }

        [Fact]
        public void A_file_that_is_not_gzip_but_named_gz_is_refused_with_its_name()
        {
            var (_, labels, _, _) = Files(2, 2, 2, false);
            string images = Write("fake-images", Concat(Header(2051, 2, 2, 2), new byte[8]));
            File.Move(images, images + ".gz");
            var error = Assert.Throws<InvalidDataException>(() => ImageSet.Load(images + ".gz", labels));
            Assert.Contains(images + ".gz", error.Message);
        }
    }
}
