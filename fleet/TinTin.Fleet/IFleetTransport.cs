namespace TinTin.Fleet
{
    /// <summary>
    /// How a board talks to the fleet: publish its update, receive merged models and the aggregator's receipts. The board uses
    /// the nanoFramework MQTT client behind it; tests use an in-memory fake or the in-process broker.
    /// Implementations must not call back into the board from another thread: received messages
    /// wait in <see cref="TryReceive"/> until the board's loop asks at a safe point.
    /// </summary>
    public interface IFleetTransport
    {
        /// <summary>Connects with the board's own credentials; false when the broker is unreachable.</summary>
        bool Connect();

        void Disconnect();

        bool IsConnected { get; }

        /// <summary>Publishes message[0..length) on the board's update topic (updates and input statistics: the kind byte tells them apart); false when not sent.</summary>
        bool PublishUpdate(byte[] message, int length);

        /// <summary>
        /// Copies the oldest received message into buffer and returns its length, 0 when none, -1 when it did not fit (dropped):
        /// a merged model (fleet-wide, or addressed to this board on its own model topic) or a receipt from the aggregator (its
        /// receipt topic, FleetTopics.Receipt); the kind byte tells them apart.
        /// </summary>
        int TryReceive(byte[] buffer);
    }
}
