using Switch.Iso8583.Vocabulary;

namespace Switch.Routing.Tests;

/// <summary>Short helpers for building routes, requests and the reference answer tests compare the table with.</summary>
internal static class TestRoutes
{
    public static readonly KnownDestinations Known = new(["issuer-a", "issuer-b", "issuer-c"]);

    public static Route R(string name, string bin, string destination = "issuer-a", int priority = 100, string? failover = null,
        MtiClass? mti = null, string? pc = null, string? ccy = null) =>
        RouteRules.Create(name, bin, destination, priority, failover, mti, pc, ccy);

    public static RouteTable Table(params Route[] routes) => RouteTable.Build(routes, 1);

    public static Route? Find(RouteTable table, string pan, MtiClass? mti = MtiClass.Authorization, string pc = "000000", string ccy = "978") =>
        table.Lookup(new RouteRequest(pan, mti, pc, ccy));

    /// <summary>The answer by brute force over every route: longest matching prefix, then priority, then name.</summary>
    public static Route? Reference(IEnumerable<Route> routes, string pan, MtiClass? mti, string pc, string ccy) =>
        routes.Where(r => pan.StartsWith(r.BinPrefix, StringComparison.Ordinal)
                && (r.MtiClass is null || r.MtiClass == mti)
                && (r.ProcessingCode is null || pc.StartsWith(r.ProcessingCode, StringComparison.Ordinal))
                && (r.Currency is null || r.Currency == ccy))
            .OrderByDescending(r => r.BinPrefix.Length).ThenBy(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal)
            .FirstOrDefault();
}
