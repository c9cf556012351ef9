using Switch.Iso8583.Vocabulary;

namespace Switch.Routing;

/// <summary>What a route is keyed by: a BIN prefix (ISO 8583 cards) or an ISO 20022 agent (BIC, clearing-system member id).</summary>
public enum RouteKeyKind
{
    /// <summary>A PAN prefix of 6 to 11 digits (<see cref="Route.BinPrefix"/>).</summary>
    Bin,

    /// <summary>A creditor agent's BIC, 8 characters (every branch) or 11 (one branch) (<see cref="Route.Bic"/>).</summary>
    Bic,

    /// <summary>A creditor agent's clearing-system member id (<see cref="Route.MemberId"/>).</summary>
    MemberId,
}

/// <summary>
/// One operator-managed route: PANs starting with <see cref="BinPrefix"/> go to <see cref="Destination"/> when the
/// optional conditions hold. Longest prefix wins; among equal prefixes the lowest <see cref="Priority"/> number wins
/// (then the name, so the order is always the same). Built only through <see cref="RouteRules.Create"/>. An ISO 20022
/// route is keyed by the creditor agent's BIC or clearing-system member id instead (<see cref="KeyKind"/>, built through
/// <see cref="RouteRules.CreateAgent"/>); its <see cref="BinPrefix"/> is empty and BIN look-ups never see it.
/// </summary>
public sealed record Route
{
    internal Route(string name, RouteKeyKind kind, string key, string destination, int priority, string? failover, string? currency)
    {
        Name = name;
        KeyKind = kind;
        BinPrefix = "";
        Bic = kind == RouteKeyKind.Bic ? key : null;
        MemberId = kind == RouteKeyKind.MemberId ? key : null;
        Destination = destination;
        Priority = priority;
        Failover = failover;
        Currency = currency;
    }

    internal Route(string name, string binPrefix, string destination, int priority, string? failover,
        MtiClass? mtiClass, string? processingCode, string? currency)
    {
        Name = name;
        BinPrefix = binPrefix;
        Destination = destination;
        Priority = priority;
        Failover = failover;
        MtiClass = mtiClass;
        ProcessingCode = processingCode;
        Currency = currency;
        PrefixValue = long.Parse(binPrefix, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The operator's name for the route (the key of the table).</summary>
    public string Name { get; }

    /// <summary>6 to 11 digits the PAN starts with; empty for a BIC or member-id route.</summary>
    public string BinPrefix { get; }

    /// <summary>What the route is keyed by (<see cref="RouteKeyKind.Bin"/> for every route built by <see cref="RouteRules.Create"/>).</summary>
    public RouteKeyKind KeyKind { get; } = RouteKeyKind.Bin;

    /// <summary>The creditor agent's BIC (8 or 11 characters) of a BIC route; null otherwise.</summary>
    public string? Bic { get; }

    /// <summary>The creditor agent's clearing-system member id of a member-id route; null otherwise.</summary>
    public string? MemberId { get; }

    /// <summary>The key as the CLI writes it: the BIN prefix, the BIC or the member id.</summary>
    public string Key => KeyKind switch { RouteKeyKind.Bic => Bic!, RouteKeyKind.MemberId => MemberId!, _ => BinPrefix };

    /// <summary>The key with its kind, for messages: "BIN 411111", "BIC DEUTDEFF", "member id 021000021".</summary>
    public string KeyText => KeyKind switch { RouteKeyKind.Bic => "BIC " + Bic, RouteKeyKind.MemberId => "member id " + MemberId, _ => "BIN " + BinPrefix };

    /// <summary><c>on-us</c>, <c>stand-in</c> or a connector name.</summary>
    public string Destination { get; }

    /// <summary>1 (first) to 999; decides among routes with the same prefix.</summary>
    public int Priority { get; }

    /// <summary>Where to send when the destination is unavailable; null for none.</summary>
    public string? Failover { get; }

    /// <summary>Only messages of this class (authorization, financial, reversal); null for any.</summary>
    public MtiClass? MtiClass { get; }

    /// <summary>Only this processing code: 2 digits match DE3's transaction type, 6 digits all of DE3; null for any.</summary>
    public string? ProcessingCode { get; }

    /// <summary>Only this ISO 4217 numeric currency (DE49); null for any.</summary>
    public string? Currency { get; }

    /// <summary>The prefix as a number, compared against the PAN's first <c>BinPrefix.Length</c> digits.</summary>
    internal long PrefixValue { get; }

    /// <summary>True when the route has any condition besides its prefix.</summary>
    public bool HasConditions => MtiClass is not null || ProcessingCode is not null || Currency is not null;

    /// <summary>The MTI class as the CLI writes it (01, 02, 04), or null.</summary>
    public string? MtiClassText => MtiClass is { } c ? RouteRules.MtiClassText(c) : null;

    /// <summary>The first condition the request fails, in words; null when all hold. Allocation-free when all hold.</summary>
    internal string? FailedCondition(in RouteRequest request)
    {
        if (MtiClass is { } wanted && request.MtiClass != wanted)
            return $"mti-class {RouteRules.MtiClassText(wanted)} required, request is {(request.MtiClass is { } c ? RouteRules.MtiClassText(c) : "not given")}";
        if (ProcessingCode is { } pc && !request.ProcessingCode.StartsWith(pc, StringComparison.Ordinal))
            return $"processing code {pc} required, request is {(request.ProcessingCode.IsEmpty ? "not given" : request.ProcessingCode.ToString())}";
        if (Currency is { } ccy && !request.Currency.SequenceEqual(ccy))
            return $"currency {ccy} required, request is {(request.Currency.IsEmpty ? "not given" : request.Currency.ToString())}";
        return null;
    }

    /// <summary>The currency condition of an agent route in words; null when it holds.</summary>
    internal string? FailedCondition(in AgentRouteRequest request) =>
        Currency is { } ccy && !request.CurrencySpan.SequenceEqual(ccy)
            ? $"currency {ccy} required, request is {(string.IsNullOrEmpty(request.Currency) ? "not given" : request.Currency)}"
            : null;

    /// <summary>True when the conditions hold for the request.</summary>
    internal bool Accepts(in RouteRequest request) =>
        (MtiClass is not { } wanted || request.MtiClass == wanted)
        && (ProcessingCode is not { } pc || request.ProcessingCode.StartsWith(pc, StringComparison.Ordinal))
        && (Currency is not { } ccy || request.Currency.SequenceEqual(ccy));

    /// <summary>The order among routes with the same prefix: priority, then name.</summary>
    internal static int CompareRank(Route a, Route b)
    {
        int byPriority = a.Priority.CompareTo(b.Priority);
        return byPriority != 0 ? byPriority : string.CompareOrdinal(a.Name, b.Name);
    }
}

/// <summary>
/// What a route is chosen for: the PAN's digits and the message's MTI class, processing code (DE3) and currency (DE49).
/// Empty spans and a null class mean "not known", which fails a route's condition on them.
/// </summary>
public readonly ref struct RouteRequest
{
    /// <summary>A request with every part given.</summary>
    public RouteRequest(ReadOnlySpan<char> pan, MtiClass? mtiClass, ReadOnlySpan<char> processingCode, ReadOnlySpan<char> currency)
    {
        Pan = pan;
        MtiClass = mtiClass;
        ProcessingCode = processingCode;
        Currency = currency;
    }

    /// <summary>The card number's digits (DE2).</summary>
    public ReadOnlySpan<char> Pan { get; }

    /// <summary>The MTI's class (second digit), or null.</summary>
    public MtiClass? MtiClass { get; }

    /// <summary>DE3, normally 6 digits; empty when absent.</summary>
    public ReadOnlySpan<char> ProcessingCode { get; }

    /// <summary>DE49 as 3 digits; empty when absent.</summary>
    public ReadOnlySpan<char> Currency { get; }
}

/// <summary>
/// What an ISO 20022 route is chosen for: the creditor agent's BIC (8 or 11 characters) and clearing-system member id,
/// and the ISO 4217 numeric currency of the amount. Null or empty parts are "not known".
/// </summary>
public readonly record struct AgentRouteRequest(string? Bic, string? MemberId, string? Currency)
{
    /// <summary>The currency as a span for the route's condition (empty when not known).</summary>
    internal ReadOnlySpan<char> CurrencySpan => Currency.AsSpan();
}
