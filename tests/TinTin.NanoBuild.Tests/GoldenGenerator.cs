using System;
using System.Collections;
using System.Globalization;
using System.Linq;
using System.Text;
using TinTin.NFUnitTest;

namespace TinTin.NanoBuild.Tests
{
    /// <summary>
    /// Writes tests/NFUnitTest/GoldenVectors.cs: for fixed seeds, the inputs and labels of
    /// <see cref="GoldenScenario"/> and every section the host engine records when running it.
    /// Inputs come from a fixed xorshift32 stream, not System.Random, so they never depend on the runtime.
    /// </summary>
    public static class GoldenGenerator
    {
        public static readonly uint[] Seeds = { 1u, 20240607u, 0xC0FFEEu };
        /// <summary>Seeds of the continual-training scenario on the default firmware model.</summary>
        public static readonly uint[] ContinualSeeds = { 7u, 20261201u, 7u };
        /// <summary>Per continual case: the look-ahead fill on (GoldenScenario.RunContinual(seed, model, true)).</summary>
        public static readonly bool[] ContinualLookAhead = { false, false, true };
        /// <summary>Seed of the fan-in rate-scaling scenario (GoldenScenario.RunFanIn).</summary>
        public const uint FanInSeed = 20261203u;
        /// <summary>Seed of the window-history scenario (GoldenScenario.RunWindowContinual; case 0 a lagged MLP, case 1 a Conv1D).</summary>
        public const uint WindowSeed = 20261202u;
        public const string RegenerateCommand = "TINTIN_UPDATE_GOLDENS=1 dotnet test tests/TinTin.NanoBuild.Tests --filter FullyQualifiedName~GoldenVectorFileTests";

        public static (sbyte[] inputs, int[] exponents, int[] labels) Inputs(uint seed)
        {
            uint state = seed * 2654435761u + 0x9E3779B9u;
            if (state == 0) state = 1;
            uint Next() { state ^= state << 13; state ^= state >> 17; state ^= state << 5; return state; }
            int width = GoldenScenario.Sizes[0], count = GoldenScenario.SampleCount;
            var inputs = new sbyte[count * width];
            var exponents = new int[count];
            var labels = new int[count];
            int classes = GoldenScenario.Sizes[GoldenScenario.Sizes.Length - 1];
            for (int s = 0; s < count; s++)
            {
                for (int i = 0; i < width; i++) inputs[s * width + i] = (sbyte)((int)(Next() % 201) - 100);
                exponents[s] = -7 + (int)(Next() % 3);   // -7..-5: inputs of magnitude up to ~0.8..3
                labels[s] = (int)(Next() % (uint)classes);
            }
            return (inputs, exponents, labels);
        }

        public static string Generate()
        {
            var sb = new StringBuilder();
            var kinds = new StringBuilder();
            var names = new StringBuilder();
            var cases = new StringBuilder();
            var values = new System.Collections.Generic.List<int[]>();
            var inputs = new StringBuilder();
            var exps = new StringBuilder();
            var labels = new StringBuilder();
            int sections = 0;
            for (int c = 0; c < Seeds.Length; c++)
            {
                var (x, e, y) = Inputs(Seeds[c]);
                inputs.Append("            new sbyte[] { ").Append(Join(x.Select(v => (int)v))).Append(" },\n");
                exps.Append("            new int[] { ").Append(Join(e)).Append(" },\n");
                labels.Append("            new int[] { ").Append(Join(y)).Append(" },\n");
                ArrayList trace = GoldenScenario.Run(Seeds[c], x, e, y);
                foreach (GoldenSection s in trace)
                {
                    kinds.Append("            \"").Append(s.Kind).Append("\",\n");
                    names.Append("            \"").Append(s.Name).Append("\",\n");
                    cases.Append(c).Append(sections % 32 == 31 ? ",\n            " : ", ");
                    values.Add(s.Values);
                    sections++;
                }
            }
            var roundingNames = new StringBuilder();
            var roundingValues = new System.Collections.Generic.List<int[]>();
            foreach (GoldenSection s in GoldenScenario.RunRounding())
            {
                roundingNames.Append("            \"").Append(s.Name).Append("\",\n");
                roundingValues.Add(s.Values);
            }
            var modeNames = new StringBuilder();
            var modeValues = new System.Collections.Generic.List<int[]>();
            var (x0, e0, y0) = Inputs(Seeds[0]);
            foreach (GoldenSection s in GoldenScenario.RunTrainingModes(Seeds[0], x0, e0, y0))
            {
                modeNames.Append("            \"").Append(s.Name).Append("\",\n");
                modeValues.Add(s.Values);
            }
            var continualCases = new StringBuilder();
            var continualNames = new StringBuilder();
            var continualValues = new System.Collections.Generic.List<int[]>();
            int continualSections = 0;
            byte[] model = TinTin.Firmware.DefaultModel.Bytes();
            for (int c = 0; c < ContinualSeeds.Length; c++)
                foreach (GoldenSection s in GoldenScenario.RunContinual(ContinualSeeds[c], model, ContinualLookAhead[c]))
                {
                    continualCases.Append(c).Append(continualSections % 32 == 31 ? ",\n            " : ", ");
                    continualNames.Append("            \"").Append(s.Name).Append("\",\n");
                    continualValues.Add(s.Values);
                    continualSections++;
                }
            var fanInNames = new StringBuilder();
            var fanInValues = new System.Collections.Generic.List<int[]>();
            foreach (GoldenSection s in GoldenScenario.RunFanIn(FanInSeed, new TinTin.Core.ContinualConfig().ScaleRateByFanIn))
            {
                fanInNames.Append("            \"").Append(s.Name).Append("\",\n");
                fanInValues.Add(s.Values);
            }
            var windowCases = new StringBuilder();
            var windowNames = new StringBuilder();
            var windowValues = new System.Collections.Generic.List<int[]>();
            int windowSections = 0;
            for (int c = 0; c < 2; c++)
                foreach (GoldenSection s in GoldenScenario.RunWindowContinual(WindowSeed, c == 1, true))
                {
                    windowCases.Append(c).Append(windowSections % 32 == 31 ? ",\n            " : ", ");
                    windowNames.Append("            \"").Append(s.Name).Append("\",\n");
                    windowValues.Add(s.Values);
                    windowSections++;
                }
            sb.Append("// <auto-generated>\n");
            sb.Append("// Golden vectors for the on-device tests, computed on the host by tests/TinTin.NanoBuild.Tests\n");
            sb.Append("// (GoldenGenerator) from GoldenScenario.cs and the engine in TinTin.Core.Nano. Do not edit:\n");
            sb.Append("// regenerate with\n//   ").Append(RegenerateCommand).Append("\n");
            sb.Append("// </auto-generated>\n");
            sb.Append("namespace TinTin.NFUnitTest\n{\n");
            sb.Append("    public static class GoldenVectors\n    {\n");
            sb.Append("        public static readonly uint[] Seeds = new uint[] { ").Append(string.Join(", ", Seeds.Select(s => s.ToString(CultureInfo.InvariantCulture) + "u"))).Append(" };\n\n");
            sb.Append("        /// <summary>[case] SampleCount rows of Sizes[0] int8 inputs.</summary>\n");
            sb.Append("        public static readonly sbyte[][] Inputs = new sbyte[][]\n        {\n").Append(inputs).Append("        };\n\n");
            sb.Append("        public static readonly int[][] InputExponents = new int[][]\n        {\n").Append(exps).Append("        };\n\n");
            sb.Append("        public static readonly int[][] Labels = new int[][]\n        {\n").Append(labels).Append("        };\n\n");
            sb.Append("        /// <summary>").Append(sections).Append(" sections, case after case, in the order GoldenScenario.Run records them.</summary>\n");
            sb.Append("        public static readonly int[] SectionCases = new int[]\n        {\n            ").Append(cases.ToString().TrimEnd(' ', '\n')).Append("\n        };\n\n");
            sb.Append("        public static readonly string[] SectionKinds = new string[]\n        {\n").Append(kinds).Append("        };\n\n");
            sb.Append("        public static readonly string[] SectionNames = new string[]\n        {\n").Append(names).Append("        };\n\n");
            sb.Append(Table("SectionValues", values)).Append("\n");
            sb.Append("        /// <summary>GoldenScenario.RunRounding, in order.</summary>\n");
            sb.Append("        public static readonly string[] RoundingSectionNames = new string[]\n        {\n").Append(roundingNames).Append("        };\n\n");
            sb.Append(Table("RoundingSectionValues", roundingValues)).Append("\n");
            sb.Append("        /// <summary>GoldenScenario.RunTrainingModes on the inputs of case 0, in order.</summary>\n");
            sb.Append("        public static readonly string[] TrainingModeSectionNames = new string[]\n        {\n").Append(modeNames).Append("        };\n\n");
            sb.Append(Table("TrainingModeSectionValues", modeValues)).Append("\n");
            sb.Append("        /// <summary>GoldenScenario.RunContinual on TinTin.Firmware.DefaultModel, one case per seed (ContinualLookAhead: with the look-ahead fill).</summary>\n");
            sb.Append("        public static readonly uint[] ContinualSeeds = new uint[] { ").Append(string.Join(", ", ContinualSeeds.Select(s => s.ToString(CultureInfo.InvariantCulture) + "u"))).Append(" };\n\n");
            sb.Append("        public static readonly bool[] ContinualLookAhead = new bool[] { ").Append(string.Join(", ", ContinualLookAhead.Select(b => b ? "true" : "false"))).Append(" };\n\n");
            sb.Append("        public static readonly int[] ContinualSectionCases = new int[]\n        {\n            ").Append(continualCases.ToString().TrimEnd(' ', '\n')).Append("\n        };\n\n");
            sb.Append("        public static readonly string[] ContinualSectionNames = new string[]\n        {\n").Append(continualNames).Append("        };\n\n");
            sb.Append(Table("ContinualSectionValues", continualValues)).Append("\n");
            sb.Append("        /// <summary>GoldenScenario.RunFanIn with the default ContinualConfig.ScaleRateByFanIn, in order.</summary>\n");
            sb.Append("        public const uint FanInSeed = ").Append(FanInSeed.ToString(CultureInfo.InvariantCulture)).Append("u;\n\n");
            sb.Append("        public static readonly string[] FanInSectionNames = new string[]\n        {\n").Append(fanInNames).Append("        };\n\n");
            sb.Append(Table("FanInSectionValues", fanInValues)).Append("\n");
            sb.Append("        /// <summary>GoldenScenario.RunWindowContinual with the history kept as rows: case 0 a lagged MLP, case 1 a Conv1D.</summary>\n");
            sb.Append("        public const uint WindowSeed = ").Append(WindowSeed.ToString(CultureInfo.InvariantCulture)).Append("u;\n\n");
            sb.Append("        public static readonly int[] WindowSectionCases = new int[]\n        {\n            ").Append(windowCases.ToString().TrimEnd(' ', '\n')).Append("\n        };\n\n");
            sb.Append("        public static readonly string[] WindowSectionNames = new string[]\n        {\n").Append(windowNames).Append("        };\n\n");
            sb.Append(Table("WindowSectionValues", windowValues)).Append("\n");
            sb.Append("        /// <summary>\n");
            sb.Append("        /// Cuts flat into consecutive arrays of the given lengths. Each table is two constant arrays, not one\n");
            sb.Append("        /// per section: the compiler stores every constant array in a static field of one hidden type, and a\n");
            sb.Append("        /// nanoFramework type holds at most 255 static fields (beyond that nanoCLR crashes loading the assembly).\n");
            sb.Append("        /// </summary>\n");
            sb.Append("        static int[][] Split(int[] lengths, int[] flat)\n        {\n");
            sb.Append("            int[][] table = new int[lengths.Length][];\n");
            sb.Append("            int at = 0;\n");
            sb.Append("            for (int i = 0; i < lengths.Length; i++)\n            {\n");
            sb.Append("                table[i] = new int[lengths[i]];\n");
            sb.Append("                System.Array.Copy(flat, at, table[i], 0, lengths[i]);\n");
            sb.Append("                at += lengths[i];\n            }\n");
            sb.Append("            return table;\n        }\n");
            sb.Append("    }\n}\n");
            return sb.ToString();
        }

        /// <summary>A jagged table as Split(lengths, flat values): one section's values per line.</summary>
        static string Table(string name, System.Collections.Generic.List<int[]> sections)
        {
            var sb = new StringBuilder();
            sb.Append("        public static readonly int[][] ").Append(name).Append(" = Split(new int[]\n        {\n            ");
            for (int i = 0; i < sections.Count; i++)
                sb.Append(sections[i].Length.ToString(CultureInfo.InvariantCulture)).Append(i == sections.Count - 1 ? "" : i % 32 == 31 ? ",\n            " : ", ");
            sb.Append("\n        }, new int[]\n        {\n");
            foreach (int[] v in sections) sb.Append("            ").Append(Join(v)).Append(",\n");
            sb.Append("        });\n");
            return sb.ToString();
        }

        static string Join(System.Collections.Generic.IEnumerable<int> v) => string.Join(", ", v.Select(i => i.ToString(CultureInfo.InvariantCulture)));
    }
}
