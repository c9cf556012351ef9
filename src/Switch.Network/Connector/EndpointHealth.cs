namespace Switch.Network.Connector;

/// <summary>What routing reads about a connector's endpoint(s).</summary>
public enum EndpointHealth
{
    /// <summary>No connection is open.</summary>
    Down,

    /// <summary>Connected, but not signed on (not yet usable when sign-on is required; usable when it is not).</summary>
    Up,

    /// <summary>Every connection is open, signed on (when required) and answering echo tests.</summary>
    SignedOn,

    /// <summary>Some connections are usable, others are down or failing echo tests.</summary>
    Degraded,
}

/// <summary>State of one connection of a connector.</summary>
public enum ChannelState
{
    /// <summary>Not connected; waiting to reconnect.</summary>
    Down,

    /// <summary>TCP (and TLS) connect in progress.</summary>
    Connecting,

    /// <summary>Connected; sign-on pending or not required.</summary>
    Connected,

    /// <summary>Connected and signed on.</summary>
    SignedOn,
}
