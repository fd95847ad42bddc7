using System;
using System.IO;

namespace TinTin.Experiments
{
    /// <summary>`dotnet run --project tools/TinTin.Experiments -- [options]`; no options: the occupancy defaults.</summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length > 0 && (args[0] == "--help" || args[0] == "-h"))
            {
                Console.WriteLine(ExperimentOptions.Usage);
                return 0;
            }
            try
            {
                ExperimentOptions options;
                if (Array.IndexOf(args, "--train") < 0 && Array.IndexOf(args, "--data") < 0)
                {
                    string folder = FindOccupancyFolder();
                    string[] withData = new string[args.Length + 4];
                    withData[0] = "--train"; withData[1] = Path.Combine(folder, "datatraining.txt");
                    withData[2] = "--stream"; withData[3] = Path.Combine(folder, "datatest2.txt");
                    Array.Copy(args, 0, withData, 4, args.Length);
                    options = ExperimentOptions.Parse(withData);
                }
                else options = ExperimentOptions.Parse(args);
                if (options.Selections != null) SelectionStudy.Run(options, Console.Out);
                else PrequentialExperiment.Run(options, Console.Out);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException || e is IOException || e is InvalidDataException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                Console.Error.WriteLine(ExperimentOptions.Usage);
                return 2;
            }
        }

        /// <summary>data/occupancy of this repository.</summary>
        public static string FindOccupancyFolder() => TinTin.Reference.RepositoryPaths.DataFolder("occupancy");
    }
}
