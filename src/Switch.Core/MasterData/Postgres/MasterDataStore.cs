using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Switch.Postgres;

namespace Switch.Core.MasterData.Postgres;

/// <summary>A card as written to the store: its record and the PAN encrypted under the journal's data key (never the clear PAN).</summary>
public sealed record CardRow(CardRecord Card, byte[] PanEncrypted)
{
    /// <summary>Masked, so a failing test or log never prints key material or hashes in full.</summary>
    public override string ToString() => $"card {Card.PanMasked}";
}

/// <summary>
/// One batch of master data upserts, written in one transaction (rows not named are left as they are). Accounts and
/// cards are streamed into the COPY as they are enumerated, so a million generated cards never sit in memory at once.
/// </summary>
public sealed record MasterDataChanges(
    IReadOnlyList<TerminalProfile> Terminals,
    IReadOnlyList<OnUsBinProfile> Bins,
    IReadOnlyList<IssuerProfile> Issuers,
    IEnumerable<AccountRecord> Accounts,
    IAsyncEnumerable<CardRow> Cards);

/// <summary>What one committed batch wrote: rows per table and the master data version it made.</summary>
public sealed record MasterDataWrite(int Terminals, int Bins, int Issuers, int Accounts, int Cards, long Version);

/// <summary>
/// The operator's master data in Postgres (terminals, on-us BIN profiles, accounts, cards, remote issuer profiles).
/// Every change is one transaction that bumps the md_version row (serializing concurrent changes), writes its rows
/// (accounts and cards by binary COPY into a temporary table, then one upsert) and NOTIFYs <see cref="Channel"/> with
/// the new version, which Postgres delivers at commit. With Postgres unreachable every call throws
/// <see cref="MasterDataUnavailableException"/>.
/// </summary>
public sealed class MasterDataStore(NpgsqlDataSource dataSource, string describe)
{
    /// <summary>The LISTEN/NOTIFY channel of master data changes; the payload is the new version.</summary>
    public const string Channel = "switch_masterdata";

    /// <summary>
    /// The master data schema: migrations embedded from MasterData/Postgres/Migrations, recorded in
    /// masterdata_schema_migrations under advisory-lock key "SWMASTER" as 8 bytes.
    /// </summary>
    public static SchemaMigrator Schema { get; } =
        new("masterdata", typeof(MasterDataStore).Assembly, "Switch.Core.MasterData.Postgres.Migrations.", "masterdata_schema_migrations", 0x5357_4D41_5354_4552);

    private const int OperatorCharsMax = 64;

    /// <summary>
    /// Bound on one bulk statement (the COPY and the upsert of up to a million rows), which can outlast
    /// postgres.commandTimeoutMs on a loaded machine; the caller's cancellation token bounds the whole change too.
    /// </summary>
    private const int BulkTimeoutSeconds = 900;

    /// <summary>Applies the schema migrations; an edited applied migration or a newer database is a <see cref="MasterDataException"/>.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken) => Guard.RunAsync(describe, "master data change refused", async () =>
    {
        try
        {
            await Schema.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
        }
        catch (SchemaMigrationException ex)
        {
            throw new MasterDataException($"master data change refused: {ex.Message}");
        }
        return 0;
    });

    /// <summary>Upserts every row of <paramref name="changes"/> in one transaction and returns what it wrote.</summary>
    public Task<MasterDataWrite> UpsertAsync(MasterDataChanges changes, string operatorName, CancellationToken cancellationToken)
    {
        RequireOperator(operatorName);
        return ChangeAsync(async (connection, version) =>
        {
            foreach (var t in changes.Terminals) await UpsertTerminalAsync(connection, t, operatorName, cancellationToken).ConfigureAwait(false);
            foreach (var b in changes.Bins) await UpsertBinAsync(connection, b, operatorName, cancellationToken).ConfigureAwait(false);
            foreach (var i in changes.Issuers) await UpsertIssuerAsync(connection, i, operatorName, cancellationToken).ConfigureAwait(false);
            int accounts = await CopyAccountsAsync(connection, changes.Accounts, operatorName, cancellationToken).ConfigureAwait(false);
            int cards = await CopyCardsAsync(connection, changes.Cards, operatorName, cancellationToken).ConfigureAwait(false);
            return new MasterDataWrite(changes.Terminals.Count, changes.Bins.Count, changes.Issuers.Count, accounts, cards, version);
        }, cancellationToken);
    }

    /// <summary>Sets one card's status (lost, stolen, …); refuses a card the store does not have. Returns the new version.</summary>
    public Task<long> SetCardStatusAsync(string panHashHex, CardStatus status, string operatorName, CancellationToken cancellationToken)
    {
        RequireOperator(operatorName);
        byte[] hash = HashBytes(panHashHex);
        return ChangeAsync(async (connection, version) =>
        {
            await using var command = new NpgsqlCommand("UPDATE md_card SET status = $1, updated_by = $2, updated_at = now() WHERE pan_hash = $3", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = StatusText(status) });
            command.Parameters.Add(new NpgsqlParameter { Value = operatorName });
            command.Parameters.Add(new NpgsqlParameter { Value = hash, NpgsqlDbType = NpgsqlDbType.Bytea });
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                throw new MasterDataException("card status change refused: no such card");
            return version;
        }, cancellationToken);
    }

    /// <summary>The stored text of a status (the md_card_status_known constraint's words).</summary>
    public static string StatusText(CardStatus status) => status switch
    {
        CardStatus.Active => "active",
        CardStatus.Lost => "lost",
        CardStatus.Stolen => "stolen",
        CardStatus.Restricted => "restricted",
        CardStatus.NotPermitted => "not_permitted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown card status"),
    };

    /// <summary>The status a stored word names; a word outside the constraint's list is a <see cref="MasterDataException"/>.</summary>
    public static CardStatus ParseStatus(string text) => text switch
    {
        "active" => CardStatus.Active,
        "lost" => CardStatus.Lost,
        "stolen" => CardStatus.Stolen,
        "restricted" => CardStatus.Restricted,
        "not_permitted" => CardStatus.NotPermitted,
        _ => throw new MasterDataException($"stored card status '{text}' is not one this build knows"),
    };

    /// <summary>32 bytes from a 64-digit hex PAN hash; anything else is refused.</summary>
    public static byte[] HashBytes(string panHashHex)
    {
        if (panHashHex is null || panHashHex.Length != 64 || !panHashHex.All(char.IsAsciiHexDigit))
            throw new MasterDataException("a PAN hash is 64 hex digits (HMAC-SHA-256)");
        return Convert.FromHexString(panHashHex);
    }

    private delegate Task<T> Change<T>(NpgsqlConnection connection, long version);

    private Task<T> ChangeAsync<T>(Change<T> change, CancellationToken cancellationToken) =>
        Guard.RunAsync(describe, "master data change refused", async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // The version row's lock serializes changes; the snapshot reader sees either all of a change or none.
            long version;
            await using (var bump = new NpgsqlCommand("UPDATE md_version SET version = version + 1 RETURNING version", connection))
                version = (long)(await bump.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            T result = await change(connection, version).ConfigureAwait(false);
            await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', $1)", connection))
            {
                notify.Parameters.Add(new NpgsqlParameter { Value = version.ToString(CultureInfo.InvariantCulture) });
                await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        });

    private static async Task UpsertTerminalAsync(NpgsqlConnection connection, TerminalProfile t, string who, CancellationToken ct) =>
        await ExecuteAsync(connection, """
            INSERT INTO md_terminal (terminal_id, merchant_id, tpk_ref, tak_ref, mac_required, bdk_ref, ksn_field, updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (terminal_id) DO UPDATE SET merchant_id = EXCLUDED.merchant_id, tpk_ref = EXCLUDED.tpk_ref,
                tak_ref = EXCLUDED.tak_ref, mac_required = EXCLUDED.mac_required, bdk_ref = EXCLUDED.bdk_ref,
                ksn_field = EXCLUDED.ksn_field, updated_by = EXCLUDED.updated_by, updated_at = now()
            """, ct, t.TerminalId, t.MerchantId, Text(t.TpkRef), Text(t.TakRef), t.MacRequired, Text(t.BdkRef),
            t.KsnField is { } k ? new NpgsqlParameter { Value = (short)k } : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Smallint }, who).ConfigureAwait(false);

    private static async Task UpsertBinAsync(NpgsqlConnection connection, OnUsBinProfile b, string who, CancellationToken ct) =>
        await ExecuteAsync(connection, """
            INSERT INTO md_onus_bin (bin, pvk_ref, cvk_ref, currency, updated_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (bin) DO UPDATE SET pvk_ref = EXCLUDED.pvk_ref, cvk_ref = EXCLUDED.cvk_ref, currency = EXCLUDED.currency,
                updated_by = EXCLUDED.updated_by, updated_at = now()
            """, ct, b.Bin, b.PvkRef, b.CvkRef, (short)b.CurrencyNumeric, who).ConfigureAwait(false);

    private static async Task UpsertIssuerAsync(NpgsqlConnection connection, IssuerProfile i, string who, CancellationToken ct) =>
        await ExecuteAsync(connection, """
            INSERT INTO md_issuer (destination, zpk_ref, stand_in_limit_minor, currency, updated_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (destination) DO UPDATE SET zpk_ref = EXCLUDED.zpk_ref, stand_in_limit_minor = EXCLUDED.stand_in_limit_minor,
                currency = EXCLUDED.currency, updated_by = EXCLUDED.updated_by, updated_at = now()
            """, ct, i.Destination, i.ZpkRef, i.StandInLimitMinor, (short)i.CurrencyNumeric, who).ConfigureAwait(false);

    private static async Task<int> CopyAccountsAsync(NpgsqlConnection connection, IEnumerable<AccountRecord> accounts, string who, CancellationToken ct)
    {
        await ExecuteAsync(connection, "CREATE TEMP TABLE md_account_in (account_id text, currency smallint, opening_balance_minor bigint) ON COMMIT DROP", ct).ConfigureAwait(false);
        ulong rows;
        await using (var writer = await connection.BeginBinaryImportAsync("COPY md_account_in (account_id, currency, opening_balance_minor) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            writer.Timeout = TimeSpan.FromSeconds(BulkTimeoutSeconds);
            foreach (var a in accounts)
            {
                await writer.StartRowAsync(ct).ConfigureAwait(false);
                await writer.WriteAsync(a.AccountId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await writer.WriteAsync((short)a.CurrencyNumeric, NpgsqlDbType.Smallint, ct).ConfigureAwait(false);
                await writer.WriteAsync(a.OpeningBalanceMinor, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
            }
            rows = await writer.CompleteAsync(ct).ConfigureAwait(false);
        }
        await ExecuteAsync(connection, """
            INSERT INTO md_account (account_id, currency, opening_balance_minor, updated_by)
            SELECT account_id, currency, opening_balance_minor, $1 FROM md_account_in
            ON CONFLICT (account_id) DO UPDATE SET currency = EXCLUDED.currency, opening_balance_minor = EXCLUDED.opening_balance_minor,
                updated_by = EXCLUDED.updated_by, updated_at = now()
            """, ct, who).ConfigureAwait(false);
        return checked((int)rows);
    }

    private static async Task<int> CopyCardsAsync(NpgsqlConnection connection, IAsyncEnumerable<CardRow> cards, string who, CancellationToken ct)
    {
        await ExecuteAsync(connection, """
            CREATE TEMP TABLE md_card_in (pan_hash bytea, pan_masked text, pan_encrypted bytea, account_id text, expiry_yymm char(4),
                service_code char(3), pvki smallint, pvv char(4), status text, per_txn_limit_minor bigint, daily_limit_minor bigint) ON COMMIT DROP
            """, ct).ConfigureAwait(false);
        ulong rows;
        await using (var writer = await connection.BeginBinaryImportAsync("""
            COPY md_card_in (pan_hash, pan_masked, pan_encrypted, account_id, expiry_yymm, service_code, pvki, pvv, status,
                per_txn_limit_minor, daily_limit_minor) FROM STDIN (FORMAT BINARY)
            """, ct).ConfigureAwait(false))
        {
            writer.Timeout = TimeSpan.FromSeconds(BulkTimeoutSeconds);
            await foreach (var row in cards.WithCancellation(ct).ConfigureAwait(false))
            {
                CardRecord c = row.Card;
                await writer.StartRowAsync(ct).ConfigureAwait(false);
                await writer.WriteAsync(HashBytes(c.PanHashHex), NpgsqlDbType.Bytea, ct).ConfigureAwait(false);
                await writer.WriteAsync(c.PanMasked, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await writer.WriteAsync(row.PanEncrypted, NpgsqlDbType.Bytea, ct).ConfigureAwait(false);
                await writer.WriteAsync(c.AccountId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await writer.WriteAsync(c.ExpiryYymm, NpgsqlDbType.Char, ct).ConfigureAwait(false);
                await writer.WriteAsync(c.ServiceCode, NpgsqlDbType.Char, ct).ConfigureAwait(false);
                await writer.WriteAsync((short)c.Pvki, NpgsqlDbType.Smallint, ct).ConfigureAwait(false);
                await writer.WriteAsync(c.Pvv, NpgsqlDbType.Char, ct).ConfigureAwait(false);
                await writer.WriteAsync(StatusText(c.Status), NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await writer.WriteAsync(c.PerTransactionLimitMinor, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await writer.WriteAsync(c.DailyLimitMinor, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
            }
            rows = await writer.CompleteAsync(ct).ConfigureAwait(false);
        }
        // The encrypted PAN of a card already stored is kept: a fresh nonce would change the row for nothing.
        await ExecuteAsync(connection, """
            INSERT INTO md_card (pan_hash, pan_masked, pan_encrypted, account_id, expiry_yymm, service_code, pvki, pvv, status,
                per_txn_limit_minor, daily_limit_minor, updated_by)
            SELECT pan_hash, pan_masked, pan_encrypted, account_id, expiry_yymm, service_code, pvki, pvv, status,
                per_txn_limit_minor, daily_limit_minor, $1 FROM md_card_in
            ON CONFLICT (pan_hash) DO UPDATE SET pan_masked = EXCLUDED.pan_masked, account_id = EXCLUDED.account_id,
                expiry_yymm = EXCLUDED.expiry_yymm, service_code = EXCLUDED.service_code, pvki = EXCLUDED.pvki, pvv = EXCLUDED.pvv,
                status = EXCLUDED.status, per_txn_limit_minor = EXCLUDED.per_txn_limit_minor,
                daily_limit_minor = EXCLUDED.daily_limit_minor, updated_by = EXCLUDED.updated_by, updated_at = now()
            """, ct, who).ConfigureAwait(false);
        return checked((int)rows);
    }

    private static void RequireOperator(string? who)
    {
        if (string.IsNullOrWhiteSpace(who) || who.Length > OperatorCharsMax || who.Any(char.IsControl))
            throw new MasterDataException($"operator: 1 to {OperatorCharsMax} printable characters");
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = BulkTimeoutSeconds };
        foreach (object v in values) command.Parameters.Add(v as NpgsqlParameter ?? new NpgsqlParameter { Value = v });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}

/// <summary>Turns the driver's failures into the operator's: unreachable, or refused by Postgres.</summary>
internal static class Guard
{
    public static async Task<T> RunAsync<T>(string describe, string refused, Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new MasterDataException($"{refused}: Postgres said {ex.SqlState}: {ex.MessageText}");
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            string reason = (ex.InnerException ?? ex).Message.ReplaceLineEndings(" ");
            throw new MasterDataUnavailableException(
                $"{refused}: Postgres at {describe} is unreachable ({reason}); a running switch keeps serving its in-memory master data", ex);
        }
    }
}
