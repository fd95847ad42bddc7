using System;

namespace TinTin.Core
{
    /// <summary>A network with the input normaliser it was prepared with.</summary>
    public sealed class Model
    {
        public readonly Network Network;
        /// <summary>Null when the model takes ready int8 inputs (e.g. images).</summary>
        public readonly InputNormalizer Normalizer;

        public Model(Network network, InputNormalizer normalizer)
        {
            if (network == null) throw new ArgumentException("a model needs a network");
            if (normalizer != null && normalizer.FeatureCount != network.InputLength)
                throw new ArgumentException("normaliser has " + normalizer.FeatureCount + " features but the network takes " + network.InputLength);
            Network = network;
            Normalizer = normalizer;
        }
    }
}
