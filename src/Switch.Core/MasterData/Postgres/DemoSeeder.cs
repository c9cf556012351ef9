using System.Runtime.CompilerServices;
using Npgsql;
using Switch.Core.Keys;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Routing;
using Switch.Routing.Postgres;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;

namespace Switch.Core.MasterData.Postgres;

/// <summary>What importing the demo keys did: keys stored now, keys found already there with the same KCV.</summary>
public sealed record DemoKeysResult(IReadOnlyList<string> Imported, IReadOnlyList<string> Kept, IReadOnlyList<string> PanKeysCreated);

/// <summary>What one route of the demo data set needed: "added", "updated" or "kept".</summary>
public sealed record DemoRouteResult(string Name, string Action);

/// <summary>What <c>db seed demo</c> did, area by area.</summary>
public sealed record DemoSeedResult(DemoKeysResult Keys, MasterDataWrite MasterData, int GeneratedCards, IReadOnlyList<DemoRouteResult> Routes);

/// <summary>
/// Writes THE DEMO DATA SET (TEST DATA, <see cref="DemoDataSet"/>) into the key store and Postgres: the demo keys
/// (a key already stored with the same KCV is kept; a different key under a demo name is refused), the journal's PAN
/// keys when absent, terminals, the on-us BIN profile, cards A–F with their accounts, the remote issuer profile, the
/// routes demo-on-us and demo-issuer, and optionally generated load-test cards (<see cref="GeneratedCards"/>). Every
/// write is an upsert, so seeding twice changes nothing but the master data version. <see cref="ResetEvents"/> are the
/// journaled adjustments of <c>--reset</c>.
/// </summary>
public sealed class DemoSeeder(NpgsqlDataSource dataSource, string describe, RoutingOptions routing)
{
    /// <summary>The operator name on every row and audit entry the seed writes.</summary>
    public const string Operator = "db seed demo";

    /// <summary>Name of the route of the on-us demo BIN.</summary>
    public const string OnUsRoute = "demo-on-us";

    /// <summary>Name of the route of the remote demo BIN.</summary>
    public const string IssuerRoute = "demo-issuer";

    /// <summary>The two demo routes: 476173 → on-us; 541333 → issuer-sim, failover stand-in.</summary>
    public static IReadOnlyList<Route> Routes =>
    [
        RouteRules.Create(OnUsRoute, DemoDataSet.All.OnUsBin, KnownDestinations.OnUs),
        RouteRules.Create(IssuerRoute, DemoDataSet.All.RemoteBin, DemoDataSet.All.IssuerConnector, failover: KnownDestinations.StandIn),
    ];

    /// <summary>
    /// Imports the demo keys into <paramref name="store"/> under <paramref name="lmk"/> and creates the PAN keys the
    /// store lacks. Refuses (before storing anything) a demo name that holds a different key.
    /// </summary>
    public static DemoKeysResult ImportKeys(FileKeyStore store, Lmk lmk, PanKeyOptions panKeys)
    {
        var existing = store.List().ToDictionary(k => k.Name, StringComparer.Ordinal);
        foreach (DemoKey key in DemoDataSet.All.Keys)
        {
            if (existing.TryGetValue(key.Name, out var stored) && (stored.Kcv != key.Kcv || stored.Type != FileKeyStore.ParseType(key.Type)))
                throw new DemoSeedException($"key '{key.Name}' in {store.Directory} is a {stored.Type} with KCV {stored.Kcv}, not the demo {key.Type.ToUpperInvariant()} with KCV {key.Kcv}; " +
                    "remove it (`./switch keys remove`) or use another key store");
        }
        var imported = new List<string>();
        var kept = new List<string>();
        var import = new KeyImport(lmk, store);
        foreach (DemoKey key in DemoDataSet.All.Keys)
        {
            if (existing.ContainsKey(key.Name))
            {
                kept.Add(key.Name);
                continue;
            }
            byte[] clear = Convert.FromHexString(key.ClearHex);
            try
            {
                import.FromComponents(key.Name, FileKeyStore.ParseType(key.Type), KeyAlgorithm.Tdes, [clear], key.Kcv);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(clear);
            }
            imported.Add(key.Name);
        }
        return new DemoKeysResult(imported, kept, PanKeys.CreateMissing(store, lmk, panKeys));
    }

    /// <summary>
    /// Refuses a configuration whose connectors lack the demo issuer: the route store would refuse demo-issuer anyway,
    /// and checking first means nothing is written.
    /// </summary>
    public static void RequireDestinations(KnownDestinations known)
    {
        foreach (Route route in Routes)
        {
            foreach (string? name in new[] { route.Destination, route.Failover })
            {
                if (name is not null && !known.IsKnown(name))
                    throw new DemoSeedException($"route {route.Name} needs the connector '{name}', which network.connectors of the configuration does not have (known: {string.Join(", ", known.Names)})");
            }
        }
    }

    /// <summary>
    /// Applies the master data and routing schemas, upserts the demo master data plus <paramref name="generatedCards"/>
    /// generated cards in one transaction, and adds or updates the demo routes. Keys must be in the store already
    /// (<see cref="ImportKeys"/>): PANs are hashed and encrypted under the journal's keys, PVVs of generated cards computed under the demo PVK.
    /// </summary>
    public async Task<(MasterDataWrite Write, IReadOnlyList<DemoRouteResult> Routes)> WriteAsync(
        FileKeyStore store, Lmk lmk, PanKeyOptions panKeys, KnownDestinations known, int generatedCards, CancellationToken ct)
    {
        if (generatedCards is < 0 or > GeneratedCards.CountMax)
            throw new DemoSeedException($"--cards: {generatedCards} is out of range; expected 0 to {GeneratedCards.CountMax}");
        RequireDestinations(known);
        var masterData = new MasterDataStore(dataSource, describe);
        await masterData.MigrateAsync(ct).ConfigureAwait(false);
        MasterDataWrite write;
        using (PanProtector protector = PanKeys.Load(store, lmk, panKeys))
        {
            await using var tooling = new ComposedSecurityModule(new SoftwareCipherEngine(), lmk);
            SecureKey? pvk = generatedCards == 0 ? null : await tooling.LoadStoredKeyAsync(store.Get(DemoDataSet.OnUsProfile.PvkRef), ct).ConfigureAwait(false);
            var changes = new MasterDataChanges(DemoDataSet.Terminals, [DemoDataSet.OnUsProfile], [DemoDataSet.RemoteIssuer],
                Accounts(generatedCards), Cards(protector, tooling, pvk, generatedCards, ct));
            write = await masterData.UpsertAsync(changes, Operator, ct).ConfigureAwait(false);
        }
        var routeResults = await WriteRoutesAsync(known, ct).ConfigureAwait(false);
        return (write, routeResults);
    }

    /// <summary>
    /// The journaled adjustments of <c>--reset</c>, all in one transaction id: one <see cref="LegKind.StateReset"/> per
    /// demo account (AccountId, currency, opening balance as the amount) and one per demo terminal (TerminalId, no
    /// account: its duplicate-detection memory is forgotten).
    /// </summary>
    public static IReadOnlyList<JournalEvent> ResetEvents(DateTime nowUtc)
    {
        string transactionId = $"demo-reset-{nowUtc:yyyyMMddHHmmssfffffff}";
        var events = new List<JournalEvent>();
        foreach (DemoCard card in DemoDataSet.Cards)
        {
            events.Add(new JournalEvent
            {
                Kind = LegKind.StateReset,
                TransactionId = transactionId,
                TimeUtc = nowUtc,
                AccountId = card.Account,
                AmountMinor = card.OpeningBalanceMinor,
                CurrencyNumeric = DemoDataSet.Currency,
                Detail = "db seed demo --reset: account back to its opening balance; holds, daily totals and PIN tries cleared",
            });
        }
        foreach (TerminalProfile terminal in DemoDataSet.Terminals)
        {
            events.Add(new JournalEvent
            {
                Kind = LegKind.StateReset,
                TransactionId = transactionId,
                TimeUtc = nowUtc,
                TerminalId = terminal.TerminalId,
                MerchantId = terminal.MerchantId,
                Detail = "db seed demo --reset: duplicate-detection memory of the terminal forgotten",
            });
        }
        return events;
    }

    /// <summary>Appends <see cref="ResetEvents"/> and waits until they are durable; returns how many were written.</summary>
    public static async Task<int> AppendResetAsync(IJournal journal, DateTime nowUtc, CancellationToken ct)
    {
        var events = ResetEvents(nowUtc);
        await journal.AppendAsync(events, ct).ConfigureAwait(false);
        return events.Count;
    }

    private static IEnumerable<AccountRecord> Accounts(int generated)
    {
        foreach (DemoCard card in DemoDataSet.Cards) yield return new AccountRecord(card.Account, DemoDataSet.Currency, card.OpeningBalanceMinor);
        for (int i = 0; i < generated; i++) yield return new AccountRecord(GeneratedCards.AccountId(i), DemoDataSet.Currency, GeneratedCards.OpeningBalanceMinor);
    }

    private static async IAsyncEnumerable<CardRow> Cards(PanProtector protector, ISecurityTooling tooling, SecureKey? pvk, int generated, [EnumeratorCancellation] CancellationToken ct)
    {
        var all = DemoDataSet.All;
        foreach (DemoCard c in DemoDataSet.Cards)
        {
            yield return Row(protector, c.Pan, c.Account, c.Expiry, c.Pvv, c.Status, c.PerTransactionLimitMinor, c.DailyLimitMinor, all);
        }
        for (int i = 0; i < generated; i++)
        {
            string pan = GeneratedCards.Pan(i);
            string pvv = await tooling.GeneratePvvAsync(pvk!, pan, GeneratedCards.Pin, all.Pvki, ct).ConfigureAwait(false);
            yield return Row(protector, pan, GeneratedCards.AccountId(i), GeneratedCards.Expiry, pvv, CardStatus.Active,
                GeneratedCards.PerTransactionLimitMinor, GeneratedCards.DailyLimitMinor, all);
        }
    }

    private static CardRow Row(PanProtector protector, string pan, string account, string expiry, string pvv, CardStatus status, long perTxn, long daily, DemoData all) =>
        new(new CardRecord(Convert.ToHexStringLower(protector.Hash(pan)), PanProtector.Mask(pan), account, expiry, all.ServiceCode, all.Pvki, pvv, status, perTxn, daily),
            protector.Encrypt(pan));

    private async Task<IReadOnlyList<DemoRouteResult>> WriteRoutesAsync(KnownDestinations known, CancellationToken ct)
    {
        var routes = new RouteStore(dataSource, describe, routing);
        try
        {
            await routes.MigrateAsync(ct).ConfigureAwait(false);
            var stored = (await routes.ListAsync(ct).ConfigureAwait(false)).ToDictionary(s => s.Route.Name, s => s.Route, StringComparer.Ordinal);
            var results = new List<DemoRouteResult>();
            foreach (Route route in Routes)
            {
                if (!stored.TryGetValue(route.Name, out var before))
                {
                    await routes.AddAsync(route, Operator, known, ct).ConfigureAwait(false);
                    results.Add(new DemoRouteResult(route.Name, "added"));
                }
                else if (before != route)
                {
                    await routes.UpdateAsync(route.Name, PatchTo(route), Operator, known, ct).ConfigureAwait(false);
                    results.Add(new DemoRouteResult(route.Name, "updated"));
                }
                else results.Add(new DemoRouteResult(route.Name, "kept"));
            }
            return results;
        }
        catch (RoutingUnavailableException ex)
        {
            throw new MasterDataUnavailableException(ex.Message, ex.Cause ?? ex);
        }
        catch (RoutingException ex)
        {
            throw new DemoSeedException(ex.Message);
        }
    }

    private static RoutePatch PatchTo(Route r) => new(r.BinPrefix, r.Destination, r.Priority, r.Failover ?? RoutePatch.None,
        r.MtiClassText ?? RoutePatch.None, r.ProcessingCode ?? RoutePatch.None, r.Currency ?? RoutePatch.None);
}

/// <summary>The demo seed refused: a conflicting key, a missing connector, a bad option. The message is for the operator.</summary>
public sealed class DemoSeedException(string message) : Exception(message);
