namespace Switch.Routing;

/// <summary>The destinations a route may name: <c>on-us</c>, <c>stand-in</c> and the connectors of the network configuration.</summary>
public sealed class KnownDestinations
{
    /// <summary>The on-us authorizer (cards this switch's bank issues).</summary>
    public const string OnUs = "on-us";

    /// <summary>Stand-in processing on the issuer's behalf.</summary>
    public const string StandIn = "stand-in";

    private readonly HashSet<string> _names;

    /// <summary>The built-in destinations plus <paramref name="connectorNames"/>.</summary>
    public KnownDestinations(IEnumerable<string> connectorNames)
    {
        _names = new HashSet<string>(StringComparer.Ordinal) { OnUs, StandIn };
        foreach (string name in connectorNames) _names.Add(name);
    }

    /// <summary>Every known name, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _names.Order(StringComparer.Ordinal)];

    /// <summary>True for a name a route may use.</summary>
    public bool IsKnown(string name) => _names.Contains(name);

    /// <summary>Refuses a route whose destination or failover is not known, naming the option and the known names.</summary>
    public void Require(Route route)
    {
        Require("--destination", route.Destination);
        if (route.Failover is { } failover) Require("--failover", failover);
    }

    private void Require(string option, string name)
    {
        if (!IsKnown(name))
            throw new RoutingException($"{option}: unknown destination '{name}'; known: {string.Join(", ", Names)}");
    }
}
