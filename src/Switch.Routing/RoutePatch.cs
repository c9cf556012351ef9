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
    string? Currency = null)
{
    /// <summary>The word that removes an optional part.</summary>
    public const string None = "none";

    /// <summary>True when nothing would change.</summary>
    public bool IsEmpty => this == new RoutePatch();

    /// <summary>The route after the patch; throws <see cref="RoutingException"/> naming the first bad option.</summary>
    public Route ApplyTo(Route current) => RouteRules.Create(
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
