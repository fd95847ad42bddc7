namespace TinTin.Core
{
    /// <summary>Where a remembered sample stands with its label (<see cref="HistoryRing"/>).</summary>
    public enum LabelState : byte
    {
        /// <summary>No label yet.</summary>
        Unlabelled = 0,
        /// <summary>Labelled, waiting for an update to learn it.</summary>
        Pending = 1,
        /// <summary>Learned by an update (and offered to the replay buffer).</summary>
        Used = 2,
    }
}
