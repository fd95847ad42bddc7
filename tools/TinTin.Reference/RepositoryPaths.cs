using System;
using System.IO;

namespace TinTin.Reference
{
    /// <summary>Finds files of the repository from wherever a tool or test runs (the working
    /// directory or the executable, upwards to the folder holding TinTinNano.sln).</summary>
    public static class RepositoryPaths
    {
        public static string Root()
        {
            foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            {
                var dir = new DirectoryInfo(start);
                while (dir != null)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "TinTinNano.sln"))) return dir.FullName;
                    dir = dir.Parent;
                }
            }
            throw new DirectoryNotFoundException("cannot find the repository root (a folder with TinTinNano.sln) above " + AppContext.BaseDirectory);
        }

        public static string Find(params string[] parts) => Path.Combine(Root(), Path.Combine(parts));

        public static string Data(params string[] parts)
        {
            string path = Path.Combine(Root(), "data", Path.Combine(parts));
            if (!File.Exists(path)) throw new FileNotFoundException("data file not found: " + path, path);
            return path;
        }
    }
}
