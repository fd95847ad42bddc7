namespace TinTin.Core
{
    /// <summary>Short names of the <see cref="MemoryCategory"/> values for reports (nanoFramework's Enum.ToString gives numbers).</summary>
    public static class MemoryCategoryNames
    {
        public static string Name(MemoryCategory category)
        {
            switch (category)
            {
                case MemoryCategory.Weights: return "weights";
                case MemoryCategory.MasterWeights: return "master";
                case MemoryCategory.Activations: return "activations";
                case MemoryCategory.ActivationGradients: return "activation-grads";
                case MemoryCategory.Gradients: return "gradients";
                case MemoryCategory.OptimizerState: return "optimizer";
                default: return "scratch";
            }
        }
    }
}
