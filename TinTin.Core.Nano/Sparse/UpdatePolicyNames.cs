namespace TinTin.Core
{
    /// <summary>The names of the <see cref="UpdatePolicy"/> values as the tools print and parse them.</summary>
    public static class UpdatePolicyNames
    {
        public static string Name(UpdatePolicy policy)
        {
            switch (policy)
            {
                case UpdatePolicy.None: return "none";
                case UpdatePolicy.Sparse: return "sparse";
                case UpdatePolicy.Full: return "full";
                case UpdatePolicy.LastLayer: return "last-layer";
                case UpdatePolicy.BiasOnly: return "bias-only";
                default: return "unknown";
            }
        }

        /// <summary>The policy for a name (as <see cref="Name"/> prints it); false when there is none.</summary>
        public static bool TryParse(string name, out UpdatePolicy policy)
        {
            for (int p = (int)UpdatePolicy.None; p <= (int)UpdatePolicy.BiasOnly; p++)
            {
                if (Name((UpdatePolicy)p) != name) continue;
                policy = (UpdatePolicy)p;
                return true;
            }
            policy = UpdatePolicy.None;
            return false;
        }
    }
}
