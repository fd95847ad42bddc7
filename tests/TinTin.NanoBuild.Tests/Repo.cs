using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TinTin.NanoBuild.Tests
{
    public static class Repo
    {
        static readonly Lazy<string> root = new Lazy<string>(() =>
        {
            string dir = AppContext.BaseDirectory;
            while (dir != null && !File.Exists(Path.Combine(dir, "TinTinNano.sln"))) dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("TinTinNano.sln not found above " + AppContext.BaseDirectory);
        });

        public static string Root => root.Value;
        public static string Path_(params string[] parts) => Path.Combine(new[] { Root }.Concat(parts).ToArray());
        public static string NanoRef => Path.Combine(Root, "build", "nano-ref");
        public static string NanoApi => Path.Combine(Root, "build", "nano-api");

        static readonly HashSet<string> SkippedDirs = new HashSet<string> { "bin", "obj", ".git", "node_modules", "packages", "TestResults" };

        /// <summary>Files under dir with the pattern, skipping build output and hidden folders.</summary>
        public static IEnumerable<string> Files(string dir, string pattern)
        {
            foreach (string f in Directory.GetFiles(dir, pattern)) yield return f;
            foreach (string d in Directory.GetDirectories(dir))
            {
                string name = Path.GetFileName(d);
                if (SkippedDirs.Contains(name) || name.StartsWith(".")) continue;
                foreach (string f in Files(d, pattern)) yield return f;
            }
        }

        public static IEnumerable<string> NanoProjects() => Files(Root, "*.nfproj").OrderBy(p => p, StringComparer.Ordinal);

        /// <summary>
        /// Board projects the nano check cannot compile yet, with the reason. Listed in the solution but
        /// without a nano check in CI. NanoCheckCoverageTests fails as soon as a reason no longer holds.
        /// </summary>
        public static readonly Dictionary<string, string> Unchecked = new Dictionary<string, string>
        {
        };

        public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');
    }
}
