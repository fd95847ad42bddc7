using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// Every packages.config names only the package versions recorded (with their upstream source) in
    /// build/nano-api/README.md, "Package versions named in packages.config"; every .nfproj HintPath agrees;
    /// the board apps are split so that only the ESP32 ones carry nanoFramework.Hardware.Esp32.
    /// </summary>
    public class PackageVersionTests
    {
        /// <summary>package id → (version, upstream packages.config) from the README's table.</summary>
        internal static Dictionary<string, (string Version, string Source)> Record()
        {
            string[] lines = File.ReadAllLines(Path.Combine(Repo.NanoApi, "README.md"));
            int start = Array.FindIndex(lines, l => l.StartsWith("## Package versions named in packages.config"));
            Assert.True(start >= 0, "build/nano-api/README.md has no 'Package versions named in packages.config' section");
            var record = new Dictionary<string, (string, string)>();
            foreach (string line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ")))
            {
                string[] cells = line.Split('|').Select(c => c.Trim()).ToArray();
                if (cells.Length < 5 || !Regex.IsMatch(cells[1], @"^(nanoFramework|UnitsNet)\.") ) continue;
                Assert.False(record.ContainsKey(cells[1]), cells[1] + " is recorded twice");
                Assert.Matches(@"^\d+\.\d+\.\d+$", cells[2]);
                Assert.False(string.IsNullOrWhiteSpace(cells[3]), cells[1] + ": no upstream source recorded");
                record[cells[1]] = (cells[2], cells[3]);
            }
            Assert.True(record.Count >= 10, "the version table has only " + record.Count + " rows");
            return record;
        }

        public static IEnumerable<object[]> Configs() =>
            Repo.Files(Repo.Root, "packages.config").OrderBy(p => p, StringComparer.Ordinal).Select(p => new object[] { Repo.Relative(p) });

        [Fact]
        public void The_record_names_its_upstream_commit()
        {
            string readme = File.ReadAllText(Path.Combine(Repo.NanoApi, "README.md"));
            Assert.Contains("nanoframework/Samples", readme);
            Assert.Matches("commit \\*\\*[0-9a-f]{40}\\*\\*", readme);
        }

        [Theory]
        [MemberData(nameof(Configs))]
        public void Every_packages_config_names_recorded_versions_only(string config)
        {
            var record = Record();
            foreach (XElement package in XDocument.Load(Repo.Path_(config)).Root.Elements("package"))
            {
                string id = (string)package.Attribute("id"), version = (string)package.Attribute("version");
                Assert.True(record.ContainsKey(id), config + ": " + id + " is not in build/nano-api/README.md's version table: record it with its upstream source");
                Assert.True(record[id].Version == version, config + ": " + id + " " + version + ", but the record says " + record[id].Version + " (" + record[id].Source + ")");
                Assert.Equal("netnano1.0", (string)package.Attribute("targetFramework"));
            }
        }

        [Fact]
        public void Every_recorded_package_is_used_and_every_hint_path_agrees()
        {
            var record = Record();
            var used = new HashSet<string>();
            foreach (string config in Repo.Files(Repo.Root, "packages.config"))
                foreach (XElement package in XDocument.Load(config).Root.Elements("package")) used.Add((string)package.Attribute("id"));
            Assert.Empty(record.Keys.Where(id => !used.Contains(id)));
            foreach (string nfproj in Repo.NanoProjects())
                foreach (Match hint in Regex.Matches(File.ReadAllText(nfproj), @"packages\\([A-Za-z0-9.]+?)\.(\d+\.\d+\.\d+)\\"))
                {
                    string id = hint.Groups[1].Value;
                    Assert.True(record.ContainsKey(id), Repo.Relative(nfproj) + ": HintPath into " + id + ", which is not recorded");
                    Assert.True(record[id].Version == hint.Groups[2].Value, Repo.Relative(nfproj) + ": HintPath " + hint.Value + " but the record says " + record[id].Version);
                }
        }

        [Fact]
        public void Only_the_esp32_projects_carry_the_esp32_package_and_no_board_code_selects_a_board_with_if()
        {
            var withEsp32 = Repo.Files(Repo.Root, "packages.config")
                .Where(c => File.ReadAllText(c).Contains("\"nanoFramework.Hardware.Esp32\""))
                .Select(c => Repo.Relative(Path.GetDirectoryName(c))).OrderBy(d => d, StringComparer.Ordinal).ToArray();
            Assert.Equal(new[] { "firmware/TinTin.Firmware.Esp32", "sensors/Bme280/samples/Bme280.Sample" }, withEsp32);
            Assert.True(File.Exists(Repo.Path_("firmware", "TinTin.Firmware.Stm32", "TinTin.Firmware.Stm32.nfproj")));
            foreach (string nfproj in Repo.NanoProjects())
                foreach (string source in Directory.GetFiles(Path.GetDirectoryName(nfproj), "*.cs", SearchOption.AllDirectories)
                             .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/")))
                    Assert.DoesNotMatch(@"#if\s+BOARD_", File.ReadAllText(source));
        }

        [Fact]
        public void NFUnitTest_follows_the_upstream_template_of_its_TestFramework()
        {
            string nfproj = File.ReadAllText(Repo.Path_("tests", "NFUnitTest", "NFUnitTest.nfproj"));
            string version = Record()["nanoFramework.TestFramework"].Version;
            Assert.Contains("nanoFramework.TestFramework." + version + "\\lib\\nanoFramework.TestFramework.dll", nfproj);
            Assert.Contains("<Reference Include=\"nanoFramework.UnitTestLauncher, Version=0.0.0.0, Culture=neutral, PublicKeyToken=c07d481e9758c731\">", nfproj);
            Assert.Contains("<ProjectCapability Include=\"TestContainer\" />", nfproj);
            Assert.Contains("<TestProjectType>UnitTest</TestProjectType>", nfproj);
            Assert.Contains("<TargetFrameworkVersion>v4.0</TargetFrameworkVersion>", nfproj);
            Assert.DoesNotContain("nanoFramework.TestFramework.targets", nfproj); // upstream dropped the import (Samples a6dcd621)
            Assert.DoesNotContain("EnsureNuGetPackageBuildImports", nfproj);
        }

        [Fact]
        public void The_board_solution_builds_and_deploys_every_board_project()
        {
            string sln = File.ReadAllText(Repo.Path_("TinTinNano.Boards.sln"));
            var projects = Regex.Matches(sln, "^Project\\(\"\\{11A8DD76-328B-46DF-9F39-F559912D0360\\}\"\\) = \"[^\"]*\", \"([^\"]+)\", \"\\{([^}]+)\\}\"", RegexOptions.Multiline)
                .ToDictionary(m => m.Groups[1].Value.Replace('\\', '/'), m => m.Groups[2].Value);
            Assert.Equal(Repo.NanoProjects().Select(Repo.Relative).OrderBy(p => p, StringComparer.Ordinal), projects.Keys.OrderBy(p => p, StringComparer.Ordinal));
            Assert.DoesNotMatch("\\.csproj\"", sln); // only board projects: nothing here for `dotnet build` to pick up by mistake
            foreach (var (path, guid) in projects)
            {
                bool app = File.ReadAllText(Repo.Path_(path)).Contains("<OutputType>Exe</OutputType>");
                foreach (string configuration in new[] { "Debug", "Release" })
                {
                    Assert.Contains("{" + guid + "}." + configuration + "|Any CPU.Build.0 = " + configuration + "|Any CPU", sln);
                    Assert.Equal(app, sln.Contains("{" + guid + "}." + configuration + "|Any CPU.Deploy.0 = " + configuration + "|Any CPU"));
                }
            }
        }
    }
}
