using Switch.Postgres;

namespace Switch.Journal.Postgres;

/// <summary>The journal projection's schema: its embedded migrations (Postgres/Migrations), table and advisory lock.</summary>
public static class JournalSchema
{
    /// <summary>The advisory-lock key of the journal's migrations ("SWJOURNL" as 8 bytes).</summary>
    public const long AdvisoryLockKey = 0x5357_4A4F_5552_4E4C;

    /// <summary>The journal's migrations table (its name predates routing's; existing databases keep it).</summary>
    public const string MigrationsTable = "schema_migrations";

    /// <summary>The migrator of the journal's schema.</summary>
    public static SchemaMigrator Migrator { get; } =
        new("journal", typeof(JournalSchema).Assembly, "Switch.Journal.Postgres.Migrations.", MigrationsTable, AdvisoryLockKey);
}
