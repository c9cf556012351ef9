namespace Switch.Routing;

/// <summary>
/// An immutable snapshot of the route table. Look-ups are allocation-free: for each prefix length present (longest
/// first) the PAN's leading digits are read as a number and binary-searched in that length's sorted keys; the routes of
/// one prefix are kept in rank order (priority, then name) and the first whose conditions hold wins. A transaction
/// keeps the snapshot it started with (<see cref="RouteTableHolder"/>), so a reload never changes its answer midway.
/// </summary>
public sealed class RouteTable
{
    /// <summary>The table with no routes (before the first load).</summary>
    public static RouteTable Empty { get; } = new([], new(StringComparer.Ordinal), new(StringComparer.Ordinal), 0);

    private readonly Level[] _levels;

    // ISO 20022 routes by their exact key (BIC of 8 or 11 characters; member id), each key's routes in rank order.
    private readonly Dictionary<string, Route[]> _byBic;
    private readonly Dictionary<string, Route[]> _byMemberId;

    private RouteTable(Level[] levels, Dictionary<string, Route[]> byBic, Dictionary<string, Route[]> byMemberId, long version)
    {
        _levels = levels;
        _byBic = byBic;
        _byMemberId = byMemberId;
        Version = version;
        Routes = [.. levels.SelectMany(l => l.Routes).Concat(byBic.Values.SelectMany(r => r)).Concat(byMemberId.Values.SelectMany(r => r))
            .OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>The store's change counter this snapshot was read at (0 for <see cref="Empty"/>).</summary>
    public long Version { get; }

    /// <summary>Every route, sorted by name.</summary>
    public IReadOnlyList<Route> Routes { get; }

    /// <summary>Builds a snapshot; names must be unique.</summary>
    public static RouteTable Build(IEnumerable<Route> routes, long version)
    {
        var byName = new HashSet<string>(StringComparer.Ordinal);
        var byLength = new SortedDictionary<int, List<Route>>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
        var byBic = new Dictionary<string, List<Route>>(StringComparer.Ordinal);
        var byMemberId = new Dictionary<string, List<Route>>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            if (!byName.Add(route.Name)) throw new RoutingException($"route '{route.Name}' appears twice");
            var (index, key) = route.KeyKind switch
            {
                RouteKeyKind.Bic => (byBic, route.Bic!),
                RouteKeyKind.MemberId => (byMemberId, route.MemberId!),
                _ => ((Dictionary<string, List<Route>>?)null, ""),
            };
            if (index is not null)
            {
                if (!index.TryGetValue(key, out var keyed)) index[key] = keyed = [];
                keyed.Add(route);
                continue;
            }
            if (!byLength.TryGetValue(route.BinPrefix.Length, out var list)) byLength[route.BinPrefix.Length] = list = [];
            list.Add(route);
        }
        return new RouteTable([.. byLength.Select(kv => Level.Build(kv.Key, kv.Value))], Ranked(byBic), Ranked(byMemberId), version);
    }

    private static Dictionary<string, Route[]> Ranked(Dictionary<string, List<Route>> index)
    {
        var ranked = new Dictionary<string, Route[]>(index.Count, StringComparer.Ordinal);
        foreach (var (key, list) in index)
        {
            list.Sort(Route.CompareRank);
            ranked[key] = [.. list];
        }
        return ranked;
    }

    /// <summary>
    /// The ISO 20022 route of a creditor agent, or null. Tried in order: BIC routes of the full 11-character BIC (a BIC
    /// of 8 is its XXX branch), then of its first 8 characters (every branch), then member-id routes; within a key by
    /// priority, then name; the first whose currency condition holds wins. BIN routes are never considered.
    /// </summary>
    public Route? LookupAgent(in AgentRouteRequest request)
    {
        foreach (var routes in AgentCandidates(request))
            foreach (var route in routes)
                if (route.FailedCondition(request) is null) return route;
        return null;
    }

    /// <summary>The agent look-up in words: every candidate in the order tried, and why each lost.</summary>
    public RouteExplanation ExplainAgent(in AgentRouteRequest request)
    {
        var candidates = new List<RouteCandidate>();
        Route? winner = null;
        foreach (var routes in AgentCandidates(request))
        {
            foreach (var route in routes)
            {
                string? failed = route.FailedCondition(request);
                if (failed is null && winner is null)
                {
                    winner = route;
                    candidates.Add(new RouteCandidate(route, true, $"matched: the most specific key ({route.KeyText}) whose conditions hold, first by priority"));
                    continue;
                }
                candidates.Add(new RouteCandidate(route, false, failed ?? AgentLostTo(route, winner!)));
            }
        }
        return new RouteExplanation(winner, candidates, Version);
    }

    /// <summary>The candidate key groups of an agent request, most specific first (few: a list per call is fine off the card path).</summary>
    private List<Route[]> AgentCandidates(in AgentRouteRequest request)
    {
        var groups = new List<Route[]>(3);
        if (request.Bic is { Length: 8 or 11 } bic)
        {
            string full = bic.Length == 8 ? bic + "XXX" : bic;
            if (_byBic.TryGetValue(full, out var exact)) groups.Add(exact);
            if (_byBic.TryGetValue(bic[..8], out var institution)) groups.Add(institution);
        }
        if (!string.IsNullOrEmpty(request.MemberId) && _byMemberId.TryGetValue(request.MemberId, out var members)) groups.Add(members);
        return groups;
    }

    private static string AgentLostTo(Route loser, Route winner)
    {
        if (loser.Key != winner.Key || loser.KeyKind != winner.KeyKind)
            return $"less specific key ({loser.KeyText}) than the matched route {winner.Name} ({winner.KeyText})";
        if (loser.Priority != winner.Priority)
            return $"same key, priority {loser.Priority} comes after {winner.Name}'s {winner.Priority}";
        return $"same key and priority {loser.Priority} as {winner.Name}, which comes first by name";
    }

    /// <summary>The winning route, or null when none applies. Allocation-free.</summary>
    public Route? Lookup(in RouteRequest request)
    {
        ReadOnlySpan<char> pan = request.Pan;
        foreach (var level in _levels)
        {
            if (!TryPrefix(pan, level.Length, out long key)) continue;
            int index = Array.BinarySearch(level.Keys, key);
            if (index < 0) continue;
            for (int i = level.Starts[index]; i < level.Starts[index + 1]; i++)
            {
                Route route = level.Routes[i];
                if (route.Accepts(request)) return route;
            }
        }
        return null;
    }

    /// <summary>The look-up in words: every route whose prefix the PAN starts with, in the order tried, and why each lost.</summary>
    public RouteExplanation Explain(in RouteRequest request)
    {
        var candidates = new List<RouteCandidate>();
        Route? winner = null;
        foreach (var level in _levels)
        {
            if (!TryPrefix(request.Pan, level.Length, out long key)) continue;
            int index = Array.BinarySearch(level.Keys, key);
            if (index < 0) continue;
            for (int i = level.Starts[index]; i < level.Starts[index + 1]; i++)
            {
                Route route = level.Routes[i];
                string? failed = route.FailedCondition(request);
                if (failed is null && winner is null)
                {
                    winner = route;
                    candidates.Add(new RouteCandidate(route, true, $"matched: the longest prefix ({level.Length} digits) whose conditions hold, first by priority"));
                    continue;
                }
                candidates.Add(new RouteCandidate(route, false, failed ?? LostTo(route, winner!)));
            }
        }
        return new RouteExplanation(winner, candidates, Version);
    }

    private static string LostTo(Route loser, Route winner)
    {
        if (loser.BinPrefix.Length < winner.BinPrefix.Length)
            return $"shorter prefix ({loser.BinPrefix.Length} digits) than the matched route {winner.Name} ({winner.BinPrefix.Length} digits)";
        if (loser.Priority != winner.Priority)
            return $"same prefix, priority {loser.Priority} comes after {winner.Name}'s {winner.Priority}";
        return $"same prefix and priority {loser.Priority} as {winner.Name}, which comes first by name";
    }

    /// <summary>
    /// Warnings for adding or changing <paramref name="route"/> in this table: routes it shadows or that shadow it
    /// (one prefix starts the other), and routes with the same prefix whose conditions can hold for the same message.
    /// </summary>
    public IReadOnlyList<string> OverlapWarnings(Route route)
    {
        var warnings = new List<string>();
        foreach (var other in Routes)
        {
            if (other.Name == route.Name) continue;
            string? warning = Overlap(route, other);
            if (warning is not null) warnings.Add(warning);
        }
        return warnings;
    }

    private static string? Overlap(Route route, Route other)
    {
        if (!ConditionsCanBothHold(route, other)) return null;
        if (route.KeyKind != RouteKeyKind.Bin || other.KeyKind != RouteKeyKind.Bin) return AgentOverlap(route, other);
        string a = route.BinPrefix, b = other.BinPrefix;
        if (a == b)
        {
            if (route.Priority == other.Priority)
                return $"overlaps route {other.Name}: same BIN prefix {a} and priority {route.Priority}; the tie goes to {(string.CompareOrdinal(route.Name, other.Name) < 0 ? route.Name : other.Name)} by name";
            return $"overlaps route {other.Name}: same BIN prefix {a}; priority decides ({route.Name} {route.Priority}, {other.Name} {other.Priority})";
        }
        if (a.StartsWith(b, StringComparison.Ordinal))
            return $"overlaps route {other.Name} (BIN {b}): PANs starting {a} now go to {route.Destination} instead of {other.Destination} (longer prefix wins)";
        if (b.StartsWith(a, StringComparison.Ordinal))
            return $"overlaps route {other.Name} (BIN {b}): the longer prefix keeps PANs starting {b} at {other.Destination}";
        return null;
    }

    /// <summary>Overlaps of ISO 20022 routes: the same key, or a BIC of 8 and a branch of it (never with a BIN route).</summary>
    private static string? AgentOverlap(Route route, Route other)
    {
        if (route.KeyKind != other.KeyKind) return null;
        string a = route.Key, b = other.Key;
        if (a == b)
        {
            if (route.Priority == other.Priority)
                return $"overlaps route {other.Name}: same {other.KeyText} and priority {route.Priority}; the tie goes to {(string.CompareOrdinal(route.Name, other.Name) < 0 ? route.Name : other.Name)} by name";
            return $"overlaps route {other.Name}: same {other.KeyText}; priority decides ({route.Name} {route.Priority}, {other.Name} {other.Priority})";
        }
        if (route.KeyKind != RouteKeyKind.Bic) return null;
        if (a.Length == 11 && b.Length == 8 && a.StartsWith(b, StringComparison.Ordinal))
            return $"overlaps route {other.Name} (BIC {b}): branch {a} now goes to {route.Destination} instead of {other.Destination} (the 11-character BIC wins)";
        if (a.Length == 8 && b.Length == 11 && b.StartsWith(a, StringComparison.Ordinal))
            return $"overlaps route {other.Name} (BIC {b}): the 11-character BIC keeps branch {b} at {other.Destination}";
        return null;
    }

    /// <summary>False when a condition makes the two routes disjoint (different classes, currencies or processing codes).</summary>
    private static bool ConditionsCanBothHold(Route x, Route y)
    {
        if (x.MtiClass is { } cx && y.MtiClass is { } cy && cx != cy) return false;
        if (x.Currency is { } kx && y.Currency is { } ky && kx != ky) return false;
        if (x.ProcessingCode is { } px && y.ProcessingCode is { } py
            && !px.StartsWith(py, StringComparison.Ordinal) && !py.StartsWith(px, StringComparison.Ordinal)) return false;
        return true;
    }

    /// <summary>The PAN's first <paramref name="length"/> digits as a number; false when it is shorter or they are not digits.</summary>
    private static bool TryPrefix(ReadOnlySpan<char> pan, int length, out long value)
    {
        value = 0;
        if (pan.Length < length) return false;
        for (int i = 0; i < length; i++)
        {
            int d = pan[i] - '0';
            if ((uint)d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }

    /// <summary>All routes of one prefix length: sorted distinct keys, and for key i its routes at Routes[Starts[i]..Starts[i+1]] in rank order.</summary>
    private sealed class Level
    {
        public required int Length { get; init; }
        public required long[] Keys { get; init; }
        public required int[] Starts { get; init; }
        public required Route[] Routes { get; init; }

        public static Level Build(int length, List<Route> routes)
        {
            routes.Sort((a, b) =>
            {
                int byKey = a.PrefixValue.CompareTo(b.PrefixValue);
                return byKey != 0 ? byKey : Route.CompareRank(a, b);
            });
            var keys = new List<long>();
            var starts = new List<int>();
            for (int i = 0; i < routes.Count; i++)
            {
                if (i == 0 || routes[i].PrefixValue != routes[i - 1].PrefixValue)
                {
                    keys.Add(routes[i].PrefixValue);
                    starts.Add(i);
                }
            }
            starts.Add(routes.Count);
            return new Level { Length = length, Keys = [.. keys], Starts = [.. starts], Routes = [.. routes] };
        }
    }
}

/// <summary>One route the PAN's prefix selected, whether it won, and why (a failed condition, a longer prefix, a higher priority).</summary>
public sealed record RouteCandidate(Route Route, bool Matched, string Reason);

/// <summary>The answer of <see cref="RouteTable.Explain"/>: the matched route (or none) and every candidate considered, in the order tried.</summary>
public sealed record RouteExplanation(Route? Matched, IReadOnlyList<RouteCandidate> Candidates, long TableVersion);

/// <summary>
/// The current route table, swapped atomically when a reload completes. Readers take <see cref="Current"/> once per
/// transaction and use that snapshot throughout, so a change never re-routes a transaction already in flight.
/// </summary>
public sealed class RouteTableHolder
{
    private RouteTable _current = RouteTable.Empty;

    /// <summary>The newest snapshot (a volatile read: a reader on another core sees a fully built table).</summary>
    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>Publishes <paramref name="table"/> unless a newer version is already current; true when it was published.</summary>
    public bool TryPublish(RouteTable table)
    {
        while (true)
        {
            RouteTable seen = Volatile.Read(ref _current);
            if (table.Version < seen.Version) return false;
            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, table, seen), seen)) return true;
        }
    }
}
