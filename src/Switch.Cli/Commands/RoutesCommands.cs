using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switch.Cli.Hosting;
using Switch.Common.Configuration;
using Switch.Common.IO;
using Switch.Common.Masking;
using Switch.Postgres;
using Switch.Routing;
using Switch.Routing.Postgres;

namespace Switch.Cli.Commands;

/// <summary>
/// <c>switch routes add|update|remove|list|test</c>: the operators' route table in Postgres. Every change is audited
/// and reaches running switches within a second (LISTEN/NOTIFY); with Postgres down changes are refused (F12).
/// </summary>
public static class RoutesCommands
{
    /// <summary>How long one verb may take in all (connect, migrate, change).</summary>
    private static readonly TimeSpan VerbTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Builds the <c>routes</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("routes", "Manage the route table (Postgres): BIN routes for cards, BIC and member-id routes for ISO 20022 payments; add, update, remove, list, and test which route a PAN or creditor agent takes.");
        group.Subcommands.Add(Add());
        group.Subcommands.Add(Update());
        group.Subcommands.Add(Remove());
        group.Subcommands.Add(List());
        group.Subcommands.Add(Test());
        return group;
    }

    private static Option<string> ConfigOption() => new("--config")
    {
        Description = $"Configuration file with the \"postgres\" section and the connectors (default {RunCommand.DefaultConfigPath}).",
        DefaultValueFactory = _ => RunCommand.DefaultConfigPath,
    };

    private static Option<string> OperatorOption() => new("--operator")
    {
        Description = "Who makes the change, for the audit trail (default: the login name).",
        DefaultValueFactory = _ => Environment.UserName,
    };

    /// <summary>The options add and update share; update's are all optional and accept "none" to remove an optional part.</summary>
    private sealed class RouteOptions
    {
        public Option<string> Name { get; } = new("--name") { Description = "Route name (letters, digits, . - _; at most 64).", Required = true };
        public Option<string> Bin { get; } = new("--bin") { Description = "BIN prefix, 6 to 11 digits (the longest matching prefix wins)." };
        public Option<string> Bic { get; } = new("--bic") { Description = "ISO 20022 route: the creditor agent's BIC, 8 characters (every branch) or 11 (one branch)." };
        public Option<string> MemberId { get; } = new("--member-id") { Description = "ISO 20022 route: the creditor agent's clearing-system member id (1 to 35 letters or digits)." };
        public Option<string> Destination { get; } = new("--destination") { Description = "on-us, stand-in or a connector name from the configuration." };
        public Option<string> Priority { get; } = new("--priority") { Description = $"{RouteRules.PriorityMin} (first) to {RouteRules.PriorityMax}; decides among equal prefixes (default {RouteRules.PriorityDefault})." };
        public Option<string> Failover { get; } = new("--failover") { Description = "Destination when the first is unavailable." };
        public Option<string> MtiClass { get; } = new("--mti-class") { Description = "Only 01 (authorization), 02 (financial) or 04 (reversal) messages." };
        public Option<string> ProcessingCode { get; } = new("--processing-code") { Description = "Only this processing code: 2 digits (transaction type) or 6 (all of DE3)." };
        public Option<string> Currency { get; } = new("--currency") { Description = "Only this ISO 4217 numeric currency (3 digits)." };
        public Option<string> Operator { get; } = OperatorOption();
        public Option<string> Config { get; } = ConfigOption();

        public void AddTo(Command cmd)
        {
            foreach (Option o in new Option[] { Name, Bin, Bic, MemberId, Destination, Priority, Failover, MtiClass, ProcessingCode, Currency, Operator, Config })
                cmd.Options.Add(o);
        }
    }

    private static Command Add()
    {
        var o = new RouteOptions();
        o.Destination.Required = true;
        var cmd = new Command("add", "Add a route keyed by --bin (ISO 8583 cards) or by --bic or --member-id (ISO 20022 creditor agents); unknown destinations are refused, overlaps are warned about.");
        o.AddTo(cmd);
        cmd.SetAction(r => Execute(async ct =>
        {
            Route route = NewRoute(r, o);
            string who = r.GetValue(o.Operator)!;
            RouteRules.RequireOperator(who);
            var settings = RoutingConfigFile.Load(r.GetValue(o.Config)!);
            return await WithStoreAsync(settings, true, async store =>
                PrintChange(await store.AddAsync(route, who, settings.Destinations, ct).ConfigureAwait(false)), ct).ConfigureAwait(false);
        }));
        return cmd;
    }

    /// <summary>The route of <c>routes add</c>: exactly one key; MTI class and processing code only with --bin.</summary>
    private static Route NewRoute(ParseResult r, RouteOptions o)
    {
        string? bin = r.GetValue(o.Bin), bic = r.GetValue(o.Bic), memberId = r.GetValue(o.MemberId);
        int keys = (bin is null ? 0 : 1) + (bic is null ? 0 : 1) + (memberId is null ? 0 : 1);
        if (keys != 1) throw new CliException("routes add: give one route key: --bin, --bic or --member-id");
        int priority = r.GetValue(o.Priority) is { } p ? RouteRules.ParsePriority(p) : RouteRules.PriorityDefault;
        string? mtiClass = r.GetValue(o.MtiClass), processingCode = r.GetValue(o.ProcessingCode);
        if (bin is not null)
        {
            return RouteRules.Create(r.GetValue(o.Name)!, bin, r.GetValue(o.Destination)!, priority, r.GetValue(o.Failover),
                mtiClass is null ? null : RouteRules.ParseMtiClass(mtiClass), processingCode, r.GetValue(o.Currency));
        }
        if (mtiClass is not null) throw new CliException("--mti-class: applies to BIN routes only");
        if (processingCode is not null) throw new CliException("--processing-code: applies to BIN routes only");
        return RouteRules.CreateAgent(r.GetValue(o.Name)!, bic is not null ? RouteKeyKind.Bic : RouteKeyKind.MemberId, bic ?? memberId!,
            r.GetValue(o.Destination)!, priority, r.GetValue(o.Failover), r.GetValue(o.Currency));
    }

    private static Command Update()
    {
        var o = new RouteOptions();
        var cmd = new Command("update", "Change parts of a route (the options given); 'none' removes --failover, --mti-class, --processing-code or --currency.");
        o.AddTo(cmd);
        cmd.SetAction(r => Execute(async ct =>
        {
            var patch = new RoutePatch(r.GetValue(o.Bin), r.GetValue(o.Destination), r.GetValue(o.Priority) is { } p ? RouteRules.ParsePriority(p) : null, r.GetValue(o.Failover),
                r.GetValue(o.MtiClass), r.GetValue(o.ProcessingCode), r.GetValue(o.Currency), r.GetValue(o.Bic), r.GetValue(o.MemberId));
            if (patch.IsEmpty) throw new CliException("routes update: give at least one of --bin, --destination, --priority, --failover, --mti-class, --processing-code, --currency");
            string name = r.GetValue(o.Name)!, who = r.GetValue(o.Operator)!;
            RouteRules.RequireName("--name", name);
            RouteRules.RequireOperator(who);
            var settings = RoutingConfigFile.Load(r.GetValue(o.Config)!);
            return await WithStoreAsync(settings, true, async store =>
                PrintChange(await store.UpdateAsync(name, patch, who, settings.Destinations, ct).ConfigureAwait(false)), ct).ConfigureAwait(false);
        }));
        return cmd;
    }

    private static Command Remove()
    {
        var name = new Option<string>("--name") { Description = "Route to remove.", Required = true };
        var who = OperatorOption();
        var config = ConfigOption();
        var cmd = new Command("remove", "Remove a route (audited).") { name, who, config };
        cmd.SetAction(r => Execute(async ct =>
        {
            string routeName = r.GetValue(name)!, operatorName = r.GetValue(who)!;
            RouteRules.RequireName("--name", routeName);
            RouteRules.RequireOperator(operatorName);
            var settings = RoutingConfigFile.Load(r.GetValue(config)!);
            return await WithStoreAsync(settings, true, async store =>
                PrintChange(await store.RemoveAsync(routeName, operatorName, ct).ConfigureAwait(false)), ct).ConfigureAwait(false);
        }));
        return cmd;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table." };
        var config = ConfigOption();
        var cmd = new Command("list", "List the routes: name, BIN prefix, destination, priority, failover, conditions, last change.") { json, config };
        cmd.SetAction(r => Execute(async ct =>
        {
            var settings = RoutingConfigFile.Load(r.GetValue(config)!);
            return await WithStoreAsync(settings, false, async store =>
            {
                var routes = await store.ListAsync(ct).ConfigureAwait(false);
                Console.Out.Write(r.GetValue(json) ? ListJson(routes) + "\n" : ListTable(routes));
                return 0;
            }, ct).ConfigureAwait(false);
        }));
        return cmd;
    }

    private static Command Test()
    {
        // Any number of tokens is accepted here and counted below: the parser's own error would echo a stray PAN in clear.
        var pan = new Argument<string[]>("PAN") { Description = "Card number, 12 to 19 digits (printed masked).", Arity = ArgumentArity.ZeroOrMore };
        var amount = new Option<string>("--amount") { Description = "Amount in minor units (shown; no route condition uses it)." };
        var mti = new Option<string>("--mti") { Description = "Message type, e.g. 0100 or 0200 (its class meets --mti-class conditions)." };
        var processingCode = new Option<string>("--processing-code") { Description = "DE3, 6 digits (or 2)." };
        var currency = new Option<string>("--currency") { Description = "DE49, ISO 4217 numeric." };
        var bic = new Option<string>("--bic") { Description = "Instead of a PAN: the creditor agent's BIC (8 or 11 characters) of an ISO 20022 payment." };
        var memberId = new Option<string>("--member-id") { Description = "Instead of (or with) --bic: the creditor agent's clearing-system member id." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var config = ConfigOption();
        var cmd = new Command("test", "Show which route and destination a PAN (or an ISO 20022 creditor agent: --bic, --member-id) takes, and why: every candidate and why it lost.")
        {
            pan, amount, mti, processingCode, currency, bic, memberId, json, config,
        };
        cmd.SetAction(r => Execute(async ct =>
        {
            string[] pans = r.GetValue(pan) ?? [];
            if (r.GetValue(bic) is not null || r.GetValue(memberId) is not null)
            {
                if (pans.Length != 0) throw new CliException("routes test: give a PAN or --bic/--member-id, not both");
                var agent = AgentQuery.From(r.GetValue(bic), r.GetValue(memberId), r.GetValue(currency), r.GetValue(amount));
                var agentSettings = RoutingConfigFile.Load(r.GetValue(config)!);
                return await WithStoreAsync(agentSettings, false, async store =>
                {
                    RouteTable table = await store.LoadAsync(ct).ConfigureAwait(false);
                    var explanation = table.ExplainAgent(agent.Request);
                    Console.Out.Write(r.GetValue(json) ? AgentJson(agent, table, explanation) + "\n" : AgentText(agent, table, explanation));
                    return 0;
                }, ct).ConfigureAwait(false);
            }
            if (pans.Length != 1) throw new CliException($"routes test: give exactly one PAN (got {pans.Length})");
            var query = TestQuery.From(pans[0], r.GetValue(amount), r.GetValue(mti), r.GetValue(processingCode), r.GetValue(currency));
            var settings = RoutingConfigFile.Load(r.GetValue(config)!);
            return await WithStoreAsync(settings, false, async store =>
            {
                RouteTable table = await store.LoadAsync(ct).ConfigureAwait(false);
                var explanation = table.Explain(query.Request());
                Console.Out.Write(r.GetValue(json) ? TestJson(query, table, explanation) + "\n" : TestText(query, table, explanation));
                return 0;
            }, ct).ConfigureAwait(false);
        }));
        return cmd;
    }

    /// <summary>The validated input of <c>routes test</c>; the PAN is kept only for the look-up and printed masked.</summary>
    private sealed record TestQuery(string Pan, long? Amount, string? Mti, string? ProcessingCode, string? Currency)
    {
        public static TestQuery From(string? pan, string? amount, string? mti, string? processingCode, string? currency)
        {
            RouteRules.RequirePan(pan);
            if (mti is not null) RouteRules.ParseMti(mti);
            if (processingCode is not null) RouteRules.RequireProcessingCode(processingCode);
            if (currency is not null) RouteRules.RequireCurrency("--currency", currency);
            return new TestQuery(pan!, amount is null ? null : RouteRules.ParseAmount(amount), mti, processingCode, currency);
        }

        public RouteRequest Request() => new(Pan, Mti is null ? null : RouteRules.ParseMti(Mti), ProcessingCode, Currency);

        public string Masked => PanMask.Mask(Pan);

        public bool Luhn => RouteRules.LuhnValid(Pan);

        // The generated ToString would print the clear PAN.
        public override string ToString() => $"routes test {Masked}";
    }

    /// <summary>The validated input of <c>routes test --bic/--member-id</c>.</summary>
    private sealed record AgentQuery(AgentRouteRequest Request, long? Amount)
    {
        public static AgentQuery From(string? bic, string? memberId, string? currency, string? amount)
        {
            if (bic is not null) RouteRules.RequireBic("--bic", bic);
            if (memberId is not null) RouteRules.RequireMemberId("--member-id", memberId);
            if (currency is not null) RouteRules.RequireCurrency("--currency", currency);
            return new AgentQuery(new AgentRouteRequest(bic, memberId, currency), amount is null ? null : RouteRules.ParseAmount(amount));
        }
    }

    private static string AgentText(AgentQuery q, RouteTable table, RouteExplanation e)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"agent:      BIC {q.Request.Bic ?? "-"}, member id {q.Request.MemberId ?? "-"}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"request:    currency {q.Request.Currency ?? "-"}, amount {(q.Amount is { } a ? a.ToString(CultureInfo.InvariantCulture) : "-")}");
        AppendExplanation(sb, table, e, "no BIC or member-id route matches this agent", r => r.KeyText, r => $"{r.KeyText,-21}");
        return sb.ToString();
    }

    /// <summary>What `routes test` prints after the request lines, for BIN and agent routes alike: table, match, candidates.</summary>
    private static void AppendExplanation(StringBuilder sb, RouteTable table, RouteExplanation e, string noMatch, Func<Route, string> key, Func<Route, string> keyColumn)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"table:      version {table.Version}, {table.Routes.Count} routes");
        if (e.Matched is { } m)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"route:      {m.Name} ({key(m)}, priority {m.Priority})");
            sb.AppendLine(CultureInfo.InvariantCulture, $"destination: {m.Destination}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"failover:   {m.Failover ?? "none"}");
        }
        else
        {
            sb.AppendLine($"route:      none ({noMatch})");
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"candidates: {e.Candidates.Count}");
        foreach (var c in e.Candidates)
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {(c.Matched ? "*" : "-")} {c.Route.Name,-24} {keyColumn(c.Route)} priority {c.Route.Priority,3}  {c.Route.Destination,-16} {c.Reason}");
    }

    private static string AgentJson(AgentQuery q, RouteTable table, RouteExplanation e) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["bic"] = q.Request.Bic,
        ["member_id"] = q.Request.MemberId,
        ["currency"] = q.Request.Currency,
        ["amount"] = q.Amount,
        ["table_version"] = table.Version,
        ["route"] = e.Matched is { } m ? RouteJson.ToDictionary(m) : null,
        ["destination"] = e.Matched?.Destination,
        ["failover"] = e.Matched?.Failover,
        ["candidates"] = e.Candidates.Select(c => new Dictionary<string, object?>
        {
            ["route"] = RouteJson.ToDictionary(c.Route),
            ["matched"] = c.Matched,
            ["reason"] = c.Reason,
        }).ToList(),
    });

    private static string TestText(TestQuery q, RouteTable table, RouteExplanation e)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"PAN:        {q.Masked} ({(q.Luhn ? "Luhn check passes" : "fails the Luhn check")})");
        sb.AppendLine(CultureInfo.InvariantCulture, $"request:    mti {q.Mti ?? "-"}, processing code {q.ProcessingCode ?? "-"}, currency {q.Currency ?? "-"}, amount {(q.Amount is { } a ? a.ToString(CultureInfo.InvariantCulture) : "-")}");
        AppendExplanation(sb, table, e, "no route's prefix and conditions match this request", r => $"BIN {r.BinPrefix}", r => $"BIN {r.BinPrefix,-11}");
        return sb.ToString();
    }

    private static string TestJson(TestQuery q, RouteTable table, RouteExplanation e) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["pan"] = q.Masked,
        ["luhn_valid"] = q.Luhn,
        ["mti"] = q.Mti,
        ["processing_code"] = q.ProcessingCode,
        ["currency"] = q.Currency,
        ["amount"] = q.Amount,
        ["table_version"] = table.Version,
        ["route"] = e.Matched is { } m ? RouteJson.ToDictionary(m) : null,
        ["destination"] = e.Matched?.Destination,
        ["failover"] = e.Matched?.Failover,
        ["candidates"] = e.Candidates.Select(c => new Dictionary<string, object?>
        {
            ["route"] = RouteJson.ToDictionary(c.Route),
            ["matched"] = c.Matched,
            ["reason"] = c.Reason,
        }).ToList(),
    });

    private static string ListJson(IReadOnlyList<StoredRoute> routes) => JsonSerializer.Serialize(routes.Select(s =>
    {
        var d = RouteJson.ToDictionary(s.Route);
        d["updated_at"] = s.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        d["updated_by"] = s.UpdatedBy;
        return d;
    }).ToList());

    private static string ListTable(IReadOnlyList<StoredRoute> routes)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"NAME",-24} {"BIN",-11} {"DESTINATION",-16} {"PRIO",4} {"FAILOVER",-16} {"MTI",-3} {"PC",-6} {"CCY",-3} UPDATED");
        foreach (var s in routes)
        {
            Route x = s.Route;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{x.Name,-24} {(x.KeyKind == RouteKeyKind.Bin ? x.BinPrefix : x.KeyKind == RouteKeyKind.Bic ? "bic:" + x.Bic : "mmb:" + x.MemberId),-11} {x.Destination,-16} {x.Priority,4} {x.Failover ?? "-",-16} {x.MtiClassText ?? "-",-3} {x.ProcessingCode ?? "-",-6} {x.Currency ?? "-",-3} {s.UpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z by {s.UpdatedBy}");
        }
        return sb.ToString();
    }

    /// <summary>Prints a committed change as JSON on stdout, and each overlap warning as one "warning:" line on stderr.</summary>
    private static int PrintChange(RouteChange change)
    {
        foreach (string w in change.Warnings) Console.Error.WriteLine($"warning: {w}");
        Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["action"] = change.Action,
            ["version"] = change.Version,
            ["before"] = change.Before is null ? null : RouteJson.ToDictionary(change.Before),
            ["after"] = change.After is null ? null : RouteJson.ToDictionary(change.After),
            ["warnings"] = change.Warnings,
        }));
        return 0;
    }

    /// <summary>Runs <paramref name="work"/> against the configured store; changes first bring the schema up to date.</summary>
    private static async Task<int> WithStoreAsync(RoutingSettings settings, bool changes, Func<RouteStore, Task<int>> work, CancellationToken ct)
    {
        await using var dataSource = settings.Postgres.CreateDataSource();
        var store = new RouteStore(dataSource, settings.Postgres.Describe(), settings.Routing);
        if (changes) await store.MigrateAsync(ct).ConfigureAwait(false);
        return await work(store).ConfigureAwait(false);
    }

    /// <summary>Runs one verb with a time limit; routing and configuration refusals become the one-line error.</summary>
    private static int Execute(Func<CancellationToken, Task<int>> work)
    {
        using var timeout = new CancellationTokenSource(VerbTimeout);
        try
        {
            return work(timeout.Token).GetAwaiter().GetResult();
        }
        catch (RoutingException ex)
        {
            throw new CliException(ex.Message);
        }
        catch (ConfigException ex)
        {
            throw new CliException(ex.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new CliException($"routes: gave up after {VerbTimeout.TotalSeconds:0} s");
        }
    }
}

/// <summary>What the routes verbs need from the configuration: Postgres, the routing limits, the known destinations.</summary>
internal sealed record RoutingSettings(PostgresOptions Postgres, RoutingOptions Routing, KnownDestinations Destinations);

/// <summary>
/// The routes verbs' view of config/switch.json, through the host's loader: the "postgres" and "routing" sections and
/// the connector names of "network.connectors". Missing sections take their defaults (the development database).
/// </summary>
internal static class RoutingConfigFile
{
    public static RoutingSettings Load(string path)
    {
        var host = HostConfiguration.Load(path, Environment.GetEnvironmentVariables());
        try
        {
            var postgres = host.Contains("postgres") ? PostgresOptions.FromSection(host.Section("postgres")) : PostgresOptions.Development;
            var routing = host.Contains("routing") ? RoutingOptions.FromSection(host.Section("routing")) : new RoutingOptions();
            // ISO 20022 endpoints (section "iso20022", endpoints[].name) are destinations too, for BIC and member-id routes.
            var names = ConnectorNames(host.Section("network"));
            names.AddRange(NamesOf(host.Section("iso20022"), "endpoints", "an ISO 20022 endpoint"));
            return new RoutingSettings(postgres, routing, new KnownDestinations(names));
        }
        catch (ConfigException ex)
        {
            throw host.Attribute(ex);
        }
    }

    /// <summary>
    /// The connector names of the network section: the destinations a route may name. Only the names are read here;
    /// `switch run` validates the connectors themselves.
    /// </summary>
    private static List<string> ConnectorNames(ConfigSection network) => NamesOf(network, "connectors", "a connector");

    /// <summary>The names of the array <paramref name="key"/> of a section (only the names: `switch run` validates the rest).</summary>
    private static List<string> NamesOf(ConfigSection section, string key, string what)
    {
        var names = new List<string>();
        if (section.Json.ValueKind != JsonValueKind.Object || !section.Json.TryGetProperty(key, out var items)) return names;
        if (items.ValueKind != JsonValueKind.Array) throw section.Error(key, "is not an array");
        int i = 0;
        foreach (var connector in items.EnumerateArray())
        {
            if (connector.ValueKind != JsonValueKind.Object || !connector.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                throw section.Error($"{key}[{i}].name", $"is missing; {what} needs a name");
            names.Add(name.GetString()!);
            i++;
        }
        return names;
    }
}
