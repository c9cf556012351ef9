namespace Switch.Routing;

/// <summary>
/// What <c>routes update</c> changes: each part given replaces the route's, null keeps it; for the optional parts
/// (failover and the conditions) the word <c>none</c> removes them. The merged route is validated like a new one.
/// </summary>
public sealed record RoutePatch(
    string? Bin = null,
    string? Destination = null,
    int? Priority = null,
    string? Failover = null,
    string? MtiClass = null,
    string? ProcessingCode = null,
    string? Currency = null,
    string? Bic = null,
    string? MemberId = null)
{
    /// <summary>The word that removes an optional part.</summary>
    public const string None = "none";

    /// <summary>True when nothing would change.</summary>
    public bool IsEmpty => this == new RoutePatch();

    /// <summary>
    /// The route after the patch; throws <see cref="RoutingException"/> naming the first bad option. A key given
    /// (<c>--bin</c>, <c>--bic</c> or <c>--member-id</c>, at most one) replaces the route's key, of whatever kind.
    /// </summary>
    public Route ApplyTo(Route current)
    {
        int keys = (Bin is null ? 0 : 1) + (Bic is null ? 0 : 1) + (MemberId is null ? 0 : 1);
        if (keys > 1) throw new RoutingException("--bin, --bic, --member-id: give one route key, not several");
        RouteKeyKind kind = Bin is not null ? RouteKeyKind.Bin : Bic is not null ? RouteKeyKind.Bic : MemberId is not null ? RouteKeyKind.MemberId : current.KeyKind;
        if (kind == RouteKeyKind.Bin) return ApplyToBin(current);
        string? mtiClass = MtiClass is null ? current.MtiClassText : MtiClass == None ? null : MtiClass;
        if (mtiClass is not null) throw new RoutingException("--mti-class: applies to BIN routes only; give --mti-class none");
        string? processingCode = Optional(ProcessingCode, current.ProcessingCode);
        if (processingCode is not null) throw new RoutingException("--processing-code: applies to BIN routes only; give --processing-code none");
        string key = Bic ?? MemberId ?? current.Key;
        return RouteRules.CreateAgent(current.Name, kind, key, Destination ?? current.Destination, Priority ?? current.Priority,
            Optional(Failover, current.Failover), Optional(Currency, current.Currency));
    }

    private Route ApplyToBin(Route current) => RouteRules.Create(
        current.Name,
        Bin ?? current.BinPrefix,
        Destination ?? current.Destination,
        Priority ?? current.Priority,
        Optional(Failover, current.Failover),
        MtiClass is null ? current.MtiClass : MtiClass == None ? null : RouteRules.ParseMtiClass(MtiClass),
        Optional(ProcessingCode, current.ProcessingCode),
        Optional(Currency, current.Currency));

    private static string? Optional(string? given, string? current) => given is null ? current : given == None ? null : given;
}
