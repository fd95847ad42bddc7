namespace TinTin.Core
{
    /// <summary>Layer type codes, as stored in model files (one byte; never renumber a stored code).</summary>
    public enum LayerKind : byte
    {
        Dense = 1,
        Relu = 2,
        Conv1D = 3,
        GlobalMaxPool = 4,
    }
}
