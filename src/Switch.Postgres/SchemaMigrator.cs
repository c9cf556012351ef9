using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Switch.Postgres;

/// <summary>One versioned SQL migration embedded in an area's assembly (Postgres/Migrations/NNNN_name.sql).</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the SQL, stored when applied so a later edit of an applied migration is detected.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>What one area's migration run did: the migrations applied now and the version the database is at.</summary>
public sealed record MigrationResult(string Area, IReadOnlyList<Migration> Applied, int CurrentVersion);

/// <summary>A schema problem that needs an operator: an applied migration was edited, or the database is newer than this build.</summary>
public sealed class SchemaMigrationException(string message) : Exception(message);

/// <summary>
/// Applies one area's embedded migrations in version order, each in its own transaction, recording them in the area's
/// own migrations table. A session advisory lock (one key per area) makes concurrent starts take turns, so two
/// processes never migrate one area at once; a second run applies nothing.
/// </summary>
public sealed class SchemaMigrator
{
    private const int TableNameMax = 63; // Postgres truncates identifiers longer than this

    private readonly string _resourcePrefix;

    /// <summary>
    /// A migrator for <paramref name="area"/>: its migrations are the resources of <paramref name="assembly"/> named
    /// <paramref name="resourcePrefix"/>NNNN_name.sql, recorded in <paramref name="table"/> under <paramref name="advisoryLockKey"/>.
    /// </summary>
    public SchemaMigrator(string area, Assembly assembly, string resourcePrefix, string table, long advisoryLockKey)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrEmpty(area);
        ArgumentException.ThrowIfNullOrEmpty(resourcePrefix);
        // The table name is spliced into SQL text, so only a plain lower-case identifier is accepted.
        if (!IsPlainIdentifier(table)) throw new ArgumentException($"'{table}' is not a plain lower-case table name", nameof(table));
        Area = area;
        Table = table;
        AdvisoryLockKey = advisoryLockKey;
        _resourcePrefix = resourcePrefix;
        Embedded = LoadEmbedded(assembly);
    }

    /// <summary>The area's name, used in messages ("journal", "routing").</summary>
    public string Area { get; }

    /// <summary>The area's migrations table.</summary>
    public string Table { get; }

    /// <summary>The session advisory-lock key that serializes this area's migrators.</summary>
    public long AdvisoryLockKey { get; }

    /// <summary>The embedded migrations, ordered by version; names must be NNNN_name.sql with unique versions.</summary>
    public IReadOnlyList<Migration> Embedded { get; }

    /// <summary>The newest embedded version (0 when the area has none).</summary>
    public int NewestVersion => Embedded.Count == 0 ? 0 : Embedded[^1].Version;

    /// <summary>Brings the database up to the newest embedded version.</summary>
    public async Task<MigrationResult> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null, $"""
                CREATE TABLE IF NOT EXISTS {Table} (
                    version    integer     NOT NULL PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken).ConfigureAwait(false);
            var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
            CheckApplied(applied);
            var done = new List<Migration>();
            foreach (var migration in Embedded)
            {
                if (applied.ContainsKey(migration.Version)) continue;
                await ApplyAsync(connection, migration, cancellationToken).ConfigureAwait(false);
                done.Add(migration);
            }
            return new MigrationResult(Area, done, NewestVersion);
        }
        finally
        {
            // Unlock even when cancelled: the connection returns to the pool and must not keep the lock.
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void CheckApplied(Dictionary<int, string> applied)
    {
        int newest = NewestVersion;
        foreach (var (version, checksum) in applied)
        {
            if (version > newest)
                throw new SchemaMigrationException($"the database has {Area} schema version {version}, newer than this build's {newest}");
            var embedded = Embedded.FirstOrDefault(m => m.Version == version)
                ?? throw new SchemaMigrationException($"{Area} schema version {version} is applied but not part of this build");
            if (embedded.Checksum != checksum)
                throw new SchemaMigrationException($"{Area} migration {version} ({embedded.Name}) was changed after it was applied");
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
        await using (var record = new NpgsqlCommand($"INSERT INTO {Table} (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand($"SELECT version, checksum FROM {Table}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            applied[reader.GetInt32(0)] = reader.GetString(1);
        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private List<Migration> LoadEmbedded(Assembly assembly)
    {
        var migrations = new List<Migration>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(_resourcePrefix, StringComparison.Ordinal)))
            migrations.Add(Parse(assembly, resource));
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
                throw new SchemaMigrationException($"two {Area} migrations have version {migrations[i].Version}");
        }
        return migrations;
    }

    private Migration Parse(Assembly assembly, string resource)
    {
        string file = resource[_resourcePrefix.Length..];
        int underscore = file.IndexOf('_', StringComparison.Ordinal);
        if (underscore != 4 || !int.TryParse(file.AsSpan(0, 4), out int version) || !file.EndsWith(".sql", StringComparison.Ordinal))
            throw new SchemaMigrationException($"{Area} migration {file}: expected a name of the form NNNN_name.sql");
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return new Migration(version, file[5..^4], reader.ReadToEnd());
    }

    private static bool IsPlainIdentifier(string table) =>
        !string.IsNullOrEmpty(table) && table.Length <= TableNameMax && table[0] is >= 'a' and <= 'z' or '_'
        && table.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_');
}
