using System;

namespace TinTin.Core
{
    /// <summary>Why a model blob was rejected.</summary>
    public sealed class ModelFormatException : Exception
    {
        public ModelFormatException(string message) : base(message) { }
    }
}
