using System;
using System.IO;

namespace TinTin.Sensors.Tests
{
    internal static class Repo
    {
        public static readonly string Root = Find();

        public static string Path(params string[] parts) => System.IO.Path.Combine(Root, System.IO.Path.Combine(parts));

        public static string Occupancy(string file) => Path("data", "occupancy", file);

        private static string Find()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(System.IO.Path.Combine(dir.FullName, "DEVELOPERS.md"))) dir = dir.Parent;
            if (dir == null) throw new InvalidOperationException("repository root (with DEVELOPERS.md) not found above " + AppContext.BaseDirectory);
            return dir.FullName;
        }
    }
}
