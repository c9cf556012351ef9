using System.Net;
using System.Net.Sockets;
using Npgsql;
using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;
using Switch.Journal.Events;
using Switch.Routing;
using Switch.Security.Keys;

namespace Switch.Core.Tests.MasterData;

/// <summary>
/// `switch db seed demo` through the real executable against real Postgres, a real key store in a temporary directory
/// and a real journal spool: what it writes, that it is idempotent, its refusals, --reset and --cards.
/// </summary>
public sealed class DemoSeedTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly SeedEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private async Task ClearAsync()
    {
        // One database per class: each test starts from no master data and no routes.
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            DO $$ BEGIN
              IF to_regclass('md_card') IS NOT NULL THEN TRUNCATE md_card, md_account, md_terminal, md_onus_bin, md_issuer; END IF;
              IF to_regclass('route') IS NOT NULL THEN TRUNCATE route, route_audit; END IF;
            END $$
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Seeding_twice_is_idempotent_and_the_snapshot_has_cards_A_to_F_with_their_statuses_limits_and_hashes()
    {
        await ClearAsync();
        string config = _env.Config(db.ConnectionString);

        string first = CliRunner.AssertSuccess(SeedEnvironment.Seed(config));
        MasterDataSnapshot one = await db.SnapshotAsync();
        string second = CliRunner.AssertSuccess(SeedEnvironment.Seed(config));
        MasterDataSnapshot two = await db.SnapshotAsync();

        Assert.Contains("imported 6 (demo-tpk, demo-tak, demo-pvk, demo-cvk, demo-zpk-issuer-sim, demo-zpk-acquirer)", first, StringComparison.Ordinal);
        Assert.Contains("PAN keys created: journal-pan-hash, journal-pan-data", first, StringComparison.Ordinal);
        Assert.Contains("routes: demo-on-us added, demo-issuer added", first, StringComparison.Ordinal);
        Assert.Contains("imported 0, kept 6", second, StringComparison.Ordinal);
        Assert.Contains("PAN keys present", second, StringComparison.Ordinal);
        Assert.Contains("routes: demo-on-us kept, demo-issuer kept", second, StringComparison.Ordinal);
        foreach (string area in new[] { "keys:", "terminals:", "cards:", "accounts:", "routes:", "resets:" })
            Assert.Contains(second.Split('\n'), l => l.StartsWith(area, StringComparison.Ordinal));

        Assert.True(two.Version > one.Version);
        Assert.Equal(6, two.Cards.Count());
        Assert.Equal(6, two.Accounts.Count());
        Assert.Equal(3, two.Terminals.Count());
        Assert.Equal(one.Cards.Select(c => c.PanHashHex).Order(), two.Cards.Select(c => c.PanHashHex).Order());
        Assert.Equal(6L, await db.ScalarAsync<long>("SELECT count(*) FROM md_card"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM route_audit WHERE operator = 'db seed demo'"));
        Assert.Equal(6 + 2, new FileKeyStore(_env.KeyStore).List().Count);

        using var protector = _env.Protector();
        foreach (DemoCard card in DemoDataSet.Cards)
        {
            CardRecord found = two.Card(Convert.ToHexStringLower(protector.Hash(card.Pan))) ?? throw new Xunit.Sdk.XunitException($"{card} not found by its hash");
            Assert.Equal(card.Status, found.Status);
            Assert.Equal(card.Account, found.AccountId);
            Assert.Equal(card.Expiry, found.ExpiryYymm);
            Assert.Equal(card.Pvv, found.Pvv);
            Assert.Equal("101", found.ServiceCode);
            Assert.Equal(1, found.Pvki);
            Assert.Equal(card.PerTransactionLimitMinor, found.PerTransactionLimitMinor);
            Assert.Equal(card.DailyLimitMinor, found.DailyLimitMinor);
            Assert.Equal(Switch.Common.Masking.PanMask.Mask(card.Pan), found.PanMasked);
            Assert.Equal(card.OpeningBalanceMinor, two.Account(card.Account)!.OpeningBalanceMinor);
        }
        Assert.Equal(CardStatus.Lost, two.Card(Convert.ToHexStringLower(protector.Hash(DemoDataSet.Card('C').Pan)))!.Status);
        Assert.Equal(CardStatus.Stolen, two.Card(Convert.ToHexStringLower(protector.Hash(DemoDataSet.Card('D').Pan)))!.Status);
        Assert.Equal(100_000L, two.Account("DEMO-ACC-A")!.OpeningBalanceMinor);
        Assert.Equal(1_000L, two.Account("DEMO-ACC-B")!.OpeningBalanceMinor);
        Assert.True(two.Terminal("TERM0001")!.MacRequired);
        Assert.Equal("demo-tak", two.Terminal("TERM0001")!.TakRef);
        Assert.False(two.Terminal("TERM0002")!.MacRequired);
        Assert.Equal("demo-pvk", two.BinOf(DemoDataSet.Card('A').Pan)!.PvkRef);
        Assert.Equal(5_000L, two.Issuer("issuer-sim")!.StandInLimitMinor);

        // The stored encrypted PAN decrypts under the data key to the card's PAN (the one place the PAN exists, encrypted).
        byte[] encrypted = await db.ScalarAsync<byte[]>("SELECT pan_encrypted FROM md_card WHERE account_id = 'DEMO-ACC-A'");
        var clear = new char[19];
        int n = protector.Decrypt(encrypted, clear);
        Assert.True(DemoDataSet.Card('A').Pan.AsSpan().SequenceEqual(clear.AsSpan(0, n)));
    }

    [Fact]
    public async Task The_routes_go_to_on_us_and_to_issuer_sim_with_stand_in_failover()
    {
        await ClearAsync();
        CliRunner.AssertSuccess(SeedEnvironment.Seed(_env.Config(db.ConnectionString)));
        Assert.Equal("476173>on-us>", await db.ScalarAsync<string>("SELECT bin_prefix || '>' || destination || '>' || coalesce(failover, '') FROM route WHERE name = 'demo-on-us'"));
        Assert.Equal("541333>issuer-sim>stand-in", await db.ScalarAsync<string>("SELECT bin_prefix || '>' || destination || '>' || coalesce(failover, '') FROM route WHERE name = 'demo-issuer'"));
    }

    [Fact]
    public async Task A_different_key_under_a_demo_name_is_refused_and_nothing_is_written()
    {
        await ClearAsync();
        Directory.CreateDirectory(_env.KeyStore);
        using (Lmk lmk = Lmk.Create(_env.KeyStore))
        {
            byte[] other = Convert.FromHexString("11111111111111112222222222222222");
            new KeyImport(lmk, new FileKeyStore(_env.KeyStore)).FromComponents("demo-tpk", KeyType.Tpk, KeyAlgorithm.Tdes, [other], KeyImport.CheckValue(KeyAlgorithm.Tdes, other));
        }

        string line = CliRunner.AssertOneLineError(SeedEnvironment.Seed(_env.Config(db.ConnectionString)));

        Assert.Contains("demo-tpk", line, StringComparison.Ordinal);
        Assert.Contains("KCV 08D7B4", line, StringComparison.Ordinal);
        Assert.Single(new FileKeyStore(_env.KeyStore).List());
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM md_card"));
    }

    [Fact]
    public async Task Reset_journals_one_StateReset_per_demo_account_and_terminal_and_puts_card_statuses_back()
    {
        await ClearAsync();
        string config = _env.Config(db.ConnectionString);
        CliRunner.AssertSuccess(SeedEnvironment.Seed(config));
        using var protector = _env.Protector();
        string hashA = Convert.ToHexStringLower(protector.Hash(DemoDataSet.Card('A').Pan));
        await using (var dataSource = db.Options.CreateDataSource())
            await new MasterDataStore(dataSource, "test").SetCardStatusAsync(hashA, CardStatus.Lost, "test operator", CancellationToken.None);
        Assert.Equal(CardStatus.Lost, (await db.SnapshotAsync()).Card(hashA)!.Status);

        string output = CliRunner.AssertSuccess(SeedEnvironment.Seed(config, "--reset"));

        Assert.Contains("resets: 9 StateReset events journaled", output, StringComparison.Ordinal);
        Assert.Equal(CardStatus.Active, (await db.SnapshotAsync()).Card(hashA)!.Status);
        var records = new List<JournalRecord>();
        using (var journal = Switch.Journal.Journal.Open(_env.JournalOptions, Serilog.Core.Logger.None))
        {
            await foreach (var r in journal.ReadAsync(0, CancellationToken.None)) records.Add(r);
        }
        var resets = records.Where(r => r.Event.Kind == LegKind.StateReset).Select(r => r.Event).ToList();
        Assert.Equal(9, resets.Count);
        Assert.Equal(DemoDataSet.Cards.Select(c => c.Account).Order(), resets.Where(e => e.AccountId.Length > 0).Select(e => e.AccountId).Order());
        Assert.All(resets.Where(e => e.AccountId.Length > 0), e => Assert.Equal(DemoDataSet.Cards.Single(c => c.Account == e.AccountId).OpeningBalanceMinor, e.AmountMinor));
        var terminals = resets.Where(e => e.AccountId.Length == 0).ToList();
        Assert.Equal(["ATM00001", "TERM0001", "TERM0002"], terminals.Select(e => e.TerminalId).Order());
        Assert.Single(resets.Select(e => e.TransactionId).Distinct());
    }

    [Fact]
    public async Task Reset_is_refused_while_something_answers_on_the_admin_port()
    {
        await ClearAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;

        string line = CliRunner.AssertOneLineError(SeedEnvironment.Seed(_env.Config(db.ConnectionString, adminPort: port), "--reset"));

        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("stop the switch", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_env.Spool) && Directory.EnumerateFiles(_env.Spool).Any());
    }

    [Fact]
    public async Task Cards_1000_makes_1000_distinct_Luhn_valid_generated_cards_that_the_snapshot_finds()
    {
        await ClearAsync();
        string output = CliRunner.AssertSuccess(SeedEnvironment.Seed(_env.Config(db.ConnectionString), "--cards", "1000"));
        MasterDataSnapshot snapshot = await db.SnapshotAsync();

        Assert.Contains("cards: 1006 upserted (demo A-F and 1000 generated)", output, StringComparison.Ordinal);
        Assert.Equal(1006, snapshot.Cards.Count());
        Assert.Equal(1006, snapshot.Accounts.Count());
        using var protector = _env.Protector();
        var pans = Enumerable.Range(0, 1000).Select(GeneratedCards.Pan).ToList();
        Assert.Equal(1000, pans.Distinct().Count());
        Assert.All(pans, p => Assert.True(RouteRules.LuhnValid(p)));
        Assert.Empty(pans.Intersect(DemoDataSet.Cards.Select(c => c.Pan)));
        foreach (var (pan, i) in pans.Select((p, i) => (p, i)))
        {
            CardRecord card = snapshot.Card(Convert.ToHexStringLower(protector.Hash(pan))) ?? throw new Xunit.Sdk.XunitException($"generated card {i} not found");
            Assert.Equal(GeneratedCards.AccountId(i), card.AccountId);
            Assert.Equal(CardStatus.Active, card.Status);
            Assert.Matches("^[0-9]{4}$", card.Pvv);
        }
        // PIN 1234 under the demo PVK: card A has PIN 1234 and the published PVV 0046, so the same computation
        // (ISecurityTooling.GeneratePvvAsync) that made every generated PVV is checked against a known answer.
        await using var tooling = new Switch.Security.Backends.ComposedSecurityModule(new Switch.Security.Backends.Software.SoftwareCipherEngine(), Lmk.Load(_env.KeyStore));
        var pvk = await tooling.LoadStoredKeyAsync(new FileKeyStore(_env.KeyStore).Get("demo-pvk"), CancellationToken.None);
        Assert.Equal("0046", await tooling.GeneratePvvAsync(pvk, DemoDataSet.Card('A').Pan, GeneratedCards.Pin, 1, CancellationToken.None));
        for (int i = 0; i < 1000; i += 97)
        {
            string expected = await tooling.GeneratePvvAsync(pvk, pans[i], GeneratedCards.Pin, 1, CancellationToken.None);
            Assert.Equal(expected, snapshot.Card(Convert.ToHexStringLower(protector.Hash(pans[i])))!.Pvv);
        }
    }

    [Fact]
    public async Task A_configuration_without_the_issuer_sim_connector_is_refused_before_anything_is_written()
    {
        await ClearAsync();
        string line = CliRunner.AssertOneLineError(SeedEnvironment.Seed(_env.Config(db.ConnectionString, withIssuerSim: false)));
        Assert.Contains("issuer-sim", line, StringComparison.Ordinal);
        Assert.Contains("network.connectors", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_env.KeyStore, FileKeyStore.FileName)));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM md_card"));
    }

    [Fact]
    public async Task Db_migrate_applies_the_master_data_schema_after_the_journal_and_routing()
    {
        string output = CliRunner.AssertSuccess(CliRunner.Run("db", "migrate", "--config", _env.Config(db.ConnectionString)));
        Assert.Contains("then masterdata (masterdata_schema_migrations)", output, StringComparison.Ordinal);
        Assert.Matches("masterdata (now|up to date) at schema version 1", output);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM masterdata_schema_migrations"));
        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename IN ('md_terminal', 'md_onus_bin', 'md_account', 'md_card', 'md_issuer')"));
    }

    [Fact]
    public void Postgres_unreachable_gives_one_clear_error_naming_the_server()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        string nowhere = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = port }.ConnectionString;

        string line = CliRunner.AssertOneLineError(SeedEnvironment.Seed(_env.Config(nowhere)));

        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("unreachable", line, StringComparison.Ordinal);
        Assert.DoesNotContain("switch-dev-only", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_env.KeyStore, FileKeyStore.FileName)));
    }
}
