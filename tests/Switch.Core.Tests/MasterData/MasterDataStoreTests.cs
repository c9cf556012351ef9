using Npgsql;
using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;
using Switch.Journal.Pan;

namespace Switch.Core.Tests.MasterData;

/// <summary>The master data store and its snapshot against real Postgres: constraints that keep card data out, versions, reload.</summary>
public sealed class MasterDataStoreTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    // Test numbers and random keys, never real cards.
    private const string Pan = "4761739999999993";
    private static readonly PanProtector Protector = new(new byte[32].Select((_, i) => (byte)i).ToArray(), new byte[32].Select((_, i) => (byte)(i + 100)).ToArray());

    private static CardRow Card(string pan, string account, CardStatus status = CardStatus.Active) =>
        new(new CardRecord(Convert.ToHexStringLower(Protector.Hash(pan)), PanProtector.Mask(pan), account, "3012", "101", 1, "1234", status, 50_000, 80_000),
            Protector.Encrypt(pan));

    private static MasterDataChanges Changes(IEnumerable<AccountRecord> accounts, params CardRow[] cards) =>
        new([new TerminalProfile("TSTORE01", "MERCHANTSTORE01", "demo-tpk", null, false, null, null)], [], [], accounts, cards.ToAsyncEnumerable());

    private async Task<MasterDataStore> StoreAsync(NpgsqlDataSource dataSource)
    {
        var store = new MasterDataStore(dataSource, db.Options.Describe());
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task A_clear_PAN_in_the_masked_column_is_refused_by_the_schema()
    {
        await using var dataSource = db.Options.CreateDataSource();
        var store = await StoreAsync(dataSource);
        CardRow good = Card(Pan, "STORE-ACC-1");
        CardRow clear = good with { Card = good.Card with { PanMasked = Pan } };

        var ex = await Assert.ThrowsAsync<MasterDataException>(() => store.UpsertAsync(Changes([new AccountRecord("STORE-ACC-1", 840, 1)], clear), "test", CancellationToken.None));

        Assert.Contains("md_card_pan_masked_is_masked", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Pan, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_schema_has_no_column_for_a_clear_PAN_PIN_CVV_or_track_data()
    {
        await using var dataSource = db.Options.CreateDataSource();
        await StoreAsync(dataSource);
        long forbidden = await db.ScalarAsync<long>("""
            SELECT count(*) FROM information_schema.columns WHERE table_name LIKE 'md\_%'
              AND (column_name ~ '(pin|cvv|cvc|track)' AND column_name <> 'pvki' OR column_name = 'pan')
            """);
        Assert.Equal(0L, forbidden);
    }

    [Fact]
    public async Task Each_change_makes_a_newer_version_and_a_status_change_is_in_the_next_snapshot()
    {
        await using var dataSource = db.Options.CreateDataSource();
        var store = await StoreAsync(dataSource);
        var source = new PostgresMasterDataSource(dataSource, "test", new MasterDataOptions());
        var write = await store.UpsertAsync(Changes([new AccountRecord("STORE-ACC-2", 840, 500)], Card("4761739999999985", "STORE-ACC-2")), "test", CancellationToken.None);
        string hash = Convert.ToHexStringLower(Protector.Hash("4761739999999985"));

        long changed = await store.SetCardStatusAsync(hash, CardStatus.Stolen, "test", CancellationToken.None);
        MasterDataSnapshot snapshot = await source.LoadAsync(CancellationToken.None);

        Assert.Equal(1, write.Cards);
        Assert.True(changed > write.Version);
        Assert.Equal(changed, snapshot.Version);
        Assert.Equal(CardStatus.Stolen, snapshot.Card(hash)!.Status);
        await Assert.ThrowsAsync<MasterDataException>(() => store.SetCardStatusAsync(new string('0', 64), CardStatus.Lost, "test", CancellationToken.None));
        Assert.Throws<MasterDataException>(() => MasterDataStore.HashBytes("not-a-hash"));
    }

    [Fact]
    public async Task A_card_status_change_reaches_a_listening_holder_without_a_restart()
    {
        await using var dataSource = db.Options.CreateDataSource();
        var store = await StoreAsync(dataSource);
        await store.UpsertAsync(Changes([new AccountRecord("STORE-ACC-3", 840, 500)], Card("4761739999999977", "STORE-ACC-3")), "test", CancellationToken.None);
        string hash = Convert.ToHexStringLower(Protector.Hash("4761739999999977"));
        var holder = new MasterDataHolder();
        await using var listener = new MasterDataListener(dataSource, holder, new MasterDataOptions { VersionCheckMs = 60_000 });
        listener.Start();
        await listener.FirstLoad.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(CardStatus.Active, holder.Current.Card(hash)!.Status);
        MasterDataSnapshot before = holder.Current;

        long version = await store.SetCardStatusAsync(hash, CardStatus.Lost, "test", CancellationToken.None);

        // The notification, not the 60 s version check, must bring it: allow a loaded machine 15 s.
        await WaitForAsync(() => holder.Current.Version >= version, TimeSpan.FromSeconds(15));
        Assert.Equal(version, holder.Current.Version);
        Assert.Equal(CardStatus.Lost, holder.Current.Card(hash)!.Status);
        Assert.Equal(CardStatus.Active, before.Card(hash)!.Status); // a transaction holding the old snapshot keeps it
        Assert.True(listener.Connected);
    }

    [Fact]
    public async Task With_Postgres_gone_the_last_snapshot_stays_in_service_changes_are_refused_and_the_listener_catches_up_after()
    {
        await using var direct = db.Options.CreateDataSource();
        var store = await StoreAsync(direct);
        await store.UpsertAsync(Changes([new AccountRecord("STORE-ACC-6", 840, 500)], Card("4761739999999944", "STORE-ACC-6")), "test", CancellationToken.None);
        string hash = Convert.ToHexStringLower(Protector.Hash("4761739999999944"));
        await using var proxy = new TcpProxy(new NpgsqlConnectionStringBuilder(db.ConnectionString).Port);
        proxy.Start();
        string viaProxy = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = proxy.Port }.ConnectionString;
        await using var proxied = new Switch.Postgres.PostgresOptions { ConnectionString = viaProxy, ConnectTimeoutMs = 2_000 }.CreateDataSource();
        var holder = new MasterDataHolder();
        await using var listener = new MasterDataListener(proxied, holder,
            new MasterDataOptions { VersionCheckMs = 60_000, ReconnectBackoffMinMs = 50, ReconnectBackoffMaxMs = 400 });
        listener.Start();
        await listener.FirstLoad.WaitAsync(TimeSpan.FromSeconds(20));

        await proxy.StopAsync(); // Postgres is gone for this switch: connections cut, the port refuses
        await WaitForAsync(() => !listener.Connected, TimeSpan.FromSeconds(15));
        Assert.Equal(CardStatus.Active, holder.Current.Card(hash)!.Status);
        var refused = await Assert.ThrowsAsync<MasterDataUnavailableException>(() =>
            new MasterDataStore(proxied, $"127.0.0.1:{proxy.Port}").SetCardStatusAsync(hash, CardStatus.Lost, "test", CancellationToken.None));
        Assert.Contains("unreachable", refused.Message, StringComparison.Ordinal);

        // Meanwhile another operator's change lands; its notification never reaches this switch.
        long version = await store.SetCardStatusAsync(hash, CardStatus.Stolen, "test", CancellationToken.None);
        Assert.Equal(CardStatus.Active, holder.Current.Card(hash)!.Status);

        proxy.Start(); // back on the same port: the listener reloads on reconnecting
        await WaitForAsync(() => holder.Current.Version >= version, TimeSpan.FromSeconds(15));
        Assert.Equal(CardStatus.Stolen, holder.Current.Card(hash)!.Status);
        Assert.True(listener.Failures >= 1);
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {limit.TotalSeconds:0} s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_database_never_migrated_loads_as_the_empty_snapshot()
    {
        await using var admin = new NpgsqlConnection(PostgresDatabaseName.Admin);
        await admin.OpenAsync();
        string name = "md_empty_" + Guid.NewGuid().ToString("N")[..10];
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin)) await create.ExecuteNonQueryAsync();
        try
        {
            var options = new Switch.Postgres.PostgresOptions { ConnectionString = new NpgsqlConnectionStringBuilder(PostgresDatabaseName.Admin) { Database = name }.ConnectionString };
            await using var dataSource = options.CreateDataSource();
            var snapshot = await new PostgresMasterDataSource(dataSource, "test", new MasterDataOptions()).LoadAsync(CancellationToken.None);
            Assert.Equal(0, snapshot.Version);
            Assert.Empty(snapshot.Cards);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_table_past_its_limit_is_refused_rather_than_loaded()
    {
        await using var dataSource = db.Options.CreateDataSource();
        var store = await StoreAsync(dataSource);
        await store.UpsertAsync(Changes([new AccountRecord("STORE-ACC-4", 840, 1), new AccountRecord("STORE-ACC-5", 840, 1)],
            Card("4761739999999969", "STORE-ACC-4"), Card("4761739999999951", "STORE-ACC-5")), "test", CancellationToken.None);
        var source = new PostgresMasterDataSource(dataSource, "test", new MasterDataOptions { CardsMax = 1 });
        var ex = await Assert.ThrowsAsync<MasterDataException>(() => source.LoadAsync(CancellationToken.None));
        Assert.Contains("md_card has more than 1 rows", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>The development cluster's administrative connection string.</summary>
internal static class PostgresDatabaseName
{
    public static string Admin => Switch.Postgres.PostgresOptions.DevelopmentConnectionString;
}
