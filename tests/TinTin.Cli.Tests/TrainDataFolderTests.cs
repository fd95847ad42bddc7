using System.IO;
using System.Linq;
using System.Text.Json;
using System.IO.Compression;
using TinTin.Cli;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>`train --data DIR` on any MNIST-format folder (here tiny made-up sets, plain and .gz): the title names the folder.</summary>
    public class TrainDataFolderTests
    {
        private static void WriteIdx(string path, int magic, int[] dimensions, byte[] body)
        {
            using Stream file = File.Create(path);
            using Stream output = path.EndsWith(".gz") ? new GZipStream(file, CompressionLevel.Fastest) : file;
            foreach (int v in System.Linq.Enumerable.Prepend(dimensions, magic))
                output.Write(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
            output.Write(body);
        }

        /// <summary>count 4×4 images: class c lights pixel c (and a dim pixel 15), so the classes are learnable.</summary>
        private static void WriteSet(string folder, string prefix, int count, bool gzip)
        {
            var pixels = new byte[count * 16];
            var labels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = (byte)(i % 3);
                pixels[i * 16 + labels[i]] = 250;
                pixels[i * 16 + 15] = (byte)(i * 7);
            }
            string z = gzip ? ".gz" : "";
            WriteIdx(Path.Combine(folder, prefix + "-images-idx3-ubyte" + z), 2051, new[] { count, 4, 4 }, pixels);
            WriteIdx(Path.Combine(folder, prefix + "-labels-idx1-ubyte" + z), 2049, new[] { count }, labels);
        }

        [Fact]
        public void Train_takes_any_MNIST_format_folder_and_names_it()
        {
            using var temp = new TempFolder();
            string folder = temp.File("fashionlike");
            Directory.CreateDirectory(folder);
            WriteSet(folder, "train", 60, true);
            WriteSet(folder, "t10k", 30, false);
            CliResult result = CliRunner.Run("train", "--data", folder, "--hidden", "8", "--epochs", "2", "--lr-halve-every", "1", "--momentum", "1/2", "--json");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(result.Out);
            JsonElement root = json.RootElement;
            Assert.Contains("fashionlike", root.GetProperty("data").GetString());
            Assert.Equal(new[] { 16, 8, 10 }, root.GetProperty("layer_sizes").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(60, root.GetProperty("train_samples").GetInt32());
            Assert.Equal(30, root.GetProperty("test_samples").GetInt32());
            Assert.Contains("fashionlike", result.Error);           // the table's title, on standard error with --json
            Assert.Contains("CPU seconds per training epoch", result.Error);
        }

        [Fact]
        public void Train_on_an_image_set_runs_the_arena_mode_unless_asked_for_more()
        {
            using var temp = new TempFolder();
            WriteSet(temp.Path, "train", 40, false);
            WriteSet(temp.Path, "t10k", 20, false);
            string[] Modes(params string[] extra)
            {
                CliResult result = CliRunner.Run(new[] { "train", "mnist", "--data", temp.Path, "--hidden", "4", "--epochs", "1", "--integer-only", "--json" }.Concat(extra).ToArray());
                Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
                using var json = System.Text.Json.JsonDocument.Parse(result.Out);
                return json.RootElement.GetProperty("engines").EnumerateArray().Select(e => e.GetProperty("mode").GetString()).ToArray();
            }
            Assert.Equal(new[] { "arena" }, Modes());
            Assert.Equal(new[] { "arena", "fused", "int8r", "int8" }, Modes("--mode", "all"));
            Assert.Equal(new[] { "int8r" }, Modes("--mode", "int8r"));
        }

        [Fact]
        public void A_truncated_MNIST_format_file_is_an_input_error_naming_it()
        {
            using var temp = new TempFolder();
            WriteSet(temp.Path, "train", 20, false);
            WriteSet(temp.Path, "t10k", 10, false);
            string images = temp.File("t10k-images-idx3-ubyte");
            byte[] content = File.ReadAllBytes(images);
            File.WriteAllBytes(images, content[..^20]);
            CliResult result = CliRunner.Run("train", "mnist", "--data", temp.Path, "--hidden", "4", "--epochs", "1");
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains("t10k-images-idx3-ubyte", result.Error);
            Assert.Contains("truncated", result.Error);
        }

        [Fact]
        public void Bad_schedule_options_are_usage_errors()
        {
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("train", "--momentum", "3/2").ExitCode);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("train", "--momentum", "half").ExitCode);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("train", "--lr-halve-every", "-1").ExitCode);
        }
    }
}
