using System;
using System.IO;

namespace TinTin.Reference
{
    /// <summary>
    /// Finds files of the repository from wherever a tool or test runs (the working directory or the
    /// executable, upwards to the folder holding TinTinNano.sln). Data files also come from the copy packed
    /// beside the executable (the `tintin` dotnet tool carries data/occupancy), so the installed tool works
    /// outside a checkout.
    /// </summary>
    public static class RepositoryPaths
    {
        /// <summary>The repository root, or null when neither the executable nor the working directory is inside one.</summary>
        public static string TryRoot()
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
            return null;
        }

        public static string Root() => TryRoot()
            ?? throw new DirectoryNotFoundException("cannot find the repository root (a folder with TinTinNano.sln) above " + AppContext.BaseDirectory);

        public static string Find(params string[] parts) => Path.Combine(Root(), Path.Combine(parts));

        /// <summary>The packed copy of data/ beside the executable (the dotnet tool's content).</summary>
        public static string PackagedData => Path.Combine(AppContext.BaseDirectory, "data");

        /// <summary>A data file: the repository's data/ when inside a checkout, else the packed copy.</summary>
        public static string Data(params string[] parts)
        {
            string relative = Path.Combine(parts);
            string root = TryRoot();
            string path = root != null ? Path.Combine(root, "data", relative) : Path.Combine(PackagedData, relative);
            if (!File.Exists(path))
                throw new FileNotFoundException("data file not found: " + path
                    + (root == null ? " (not inside a TinTinNano checkout, and this data is not packed with the tool)" : ""), path);
            return path;
        }

        /// <summary>A data folder, found as <see cref="Data"/> finds files.</summary>
        public static string DataFolder(params string[] parts)
        {
            string relative = Path.Combine(parts);
            string root = TryRoot();
            string path = root != null ? Path.Combine(root, "data", relative) : Path.Combine(PackagedData, relative);
            if (!Directory.Exists(path))
                throw new DirectoryNotFoundException("data folder not found: " + path
                    + (root == null ? " (not inside a TinTinNano checkout, and this data is not packed with the tool)" : ""));
            return path;
        }
    }
}
