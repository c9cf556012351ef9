using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Switch.Journal.Postgres;

/// <summary>One versioned SQL migration embedded in the assembly (Postgres/Migrations/NNNN_name.sql).</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the SQL, stored when applied so a later edit of an applied migration is detected.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>What a migration run did.</summary>
public sealed record MigrationResult(IReadOnlyList<Migration> Applied, int CurrentVersion);

/// <summary>A schema problem that needs an operator: an applied migration was edited, or the database is newer than this build.</summary>
public sealed class SchemaMigrationException(string message) : Exception(message);

/// <summary>
/// Applies the embedded migrations in version order, each in its own transaction, recording them in schema_migrations.
/// A session advisory lock makes concurrent starts take turns, so two processes never migrate at once; a second run
/// applies nothing.
/// </summary>
public static class SchemaMigrator
{
    /// <summary>The advisory-lock key every Switch process uses for migrations ("SWJOURNL" as 8 bytes).</summary>
    public const long AdvisoryLockKey = 0x5357_4A4F_5552_4E4C;

    private const string ResourcePrefix = "Switch.Journal.Postgres.Migrations.";

    /// <summary>The embedded migrations, ordered by version; names must be NNNN_name.sql with unique versions.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <summary>Brings the database up to the newest embedded version.</summary>
    public static async Task<MigrationResult> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
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
            return new MigrationResult(done, Embedded.Count == 0 ? 0 : Embedded[^1].Version);
        }
        finally
        {
            // Unlock even when cancelled: the connection returns to the pool and must not keep the lock.
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static void CheckApplied(Dictionary<int, string> applied)
    {
        int newest = Embedded.Count == 0 ? 0 : Embedded[^1].Version;
        foreach (var (version, checksum) in applied)
        {
            if (version > newest)
                throw new SchemaMigrationException($"the database has schema version {version}, newer than this build's {newest}");
            var embedded = Embedded.FirstOrDefault(m => m.Version == version);
            if (embedded is null)
                throw new SchemaMigrationException($"schema version {version} is applied but not part of this build");
            if (embedded.Checksum != checksum)
                throw new SchemaMigrationException($"migration {version} ({embedded.Name}) was changed after it was applied");
        }
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
        await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
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

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
            migrations.Add(Parse(assembly, resource));
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
                throw new SchemaMigrationException($"two migrations have version {migrations[i].Version}");
        }
        return migrations;
    }

    private static Migration Parse(Assembly assembly, string resource)
    {
        string file = resource[ResourcePrefix.Length..];
        int underscore = file.IndexOf('_', StringComparison.Ordinal);
        if (underscore != 4 || !int.TryParse(file.AsSpan(0, 4), out int version) || !file.EndsWith(".sql", StringComparison.Ordinal))
            throw new SchemaMigrationException($"migration {file}: expected a name of the form NNNN_name.sql");
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return new Migration(version, file[5..^4], reader.ReadToEnd());
    }
}
