namespace TinTin.Core
{
    /// <summary>The names of the <see cref="TrainingStateMode"/> values as the tools print and parse them.</summary>
    public static class TrainingStateModeNames
    {
        /// <summary>Every mode, leanest last.</summary>
        public static readonly TrainingStateMode[] All = { TrainingStateMode.GradientArena, TrainingStateMode.FusedMaster, TrainingStateMode.FusedInt8Residue, TrainingStateMode.FusedInt8 };

        /// <summary>The names of <see cref="All"/>, for messages: "arena, fused, int8r, int8".</summary>
        public const string List = "arena, fused, int8r, int8";

        public static string Name(TrainingStateMode mode)
        {
            switch (mode)
            {
                case TrainingStateMode.GradientArena: return "arena";
                case TrainingStateMode.FusedMaster: return "fused";
                case TrainingStateMode.FusedInt8Residue: return "int8r";
                case TrainingStateMode.FusedInt8: return "int8";
                default: return "unknown";
            }
        }

        /// <summary>One line on what the mode keeps, for tables.</summary>
        public static string Describe(TrainingStateMode mode)
        {
            switch (mode)
            {
                case TrainingStateMode.GradientArena: return "int8 weights + int16 master + int32 gradient arena";
                case TrainingStateMode.FusedMaster: return "int8 weights + int16 master, update fused into backward";
                case TrainingStateMode.FusedInt8Residue: return "int8 weights + 4-bit residue (12-bit master), update fused into backward";
                case TrainingStateMode.FusedInt8: return "int8 weights only, update fused into backward";
                default: return "unknown";
            }
        }

        /// <summary>The mode for a name (as <see cref="Name"/> prints it); false when there is none.</summary>
        public static bool TryParse(string name, out TrainingStateMode mode)
        {
            for (int m = 0; m < All.Length; m++)
            {
                if (Name(All[m]) != name) continue;
                mode = All[m];
                return true;
            }
            mode = TrainingStateMode.GradientArena;
            return false;
        }
    }
}
