namespace TinTin.Fleet
{
    /// <summary>
    /// The fleet's MQTT topics, one definition for the board's transport and the host's broker, aggregator and
    /// access rules (docs/FLEET.md "Message flow").
    /// </summary>
    public static class FleetTopics
    {
        /// <summary>A board publishes its updates and input statistics here (only its own: the broker enforces it).</summary>
        public static string Update(string fleet, string boardId) { return "tintin/" + fleet + "/boards/" + boardId + "/update"; }

        /// <summary>The aggregator publishes each fleet-wide merged model here, retained, so a joining board gets the latest.</summary>
        public static string Model(string fleet) { return "tintin/" + fleet + "/model"; }

        /// <summary>A board's own merged model (the similarity-weighted merge), retained; only that board may subscribe.</summary>
        public static string BoardModel(string fleet, string boardId) { return "tintin/" + fleet + "/boards/" + boardId + "/model"; }

        /// <summary>The aggregator's receipts for a board's updates and statistics (FleetMessage kind 4), not retained; only that board may subscribe.</summary>
        public static string Receipt(string fleet, string boardId) { return "tintin/" + fleet + "/boards/" + boardId + "/receipt"; }

        /// <summary>Where every board's topics start (the aggregator subscribes to the update topics below it).</summary>
        public static string BoardsPrefix(string fleet) { return "tintin/" + fleet + "/boards/"; }
    }
}
