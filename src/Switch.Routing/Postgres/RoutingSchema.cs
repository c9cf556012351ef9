using Switch.Postgres;

namespace Switch.Routing.Postgres;

/// <summary>Routing's schema: its embedded migrations (Postgres/Migrations), its own migrations table and advisory lock.</summary>
public static class RoutingSchema
{
    /// <summary>The advisory-lock key of routing's migrations ("SWROUTNG" as 8 bytes).</summary>
    public const long AdvisoryLockKey = 0x5357_524F_5554_4E47;

    /// <summary>Routing's migrations table (the journal keeps its own).</summary>
    public const string MigrationsTable = "routing_schema_migrations";

    /// <summary>The migrator of routing's schema.</summary>
    public static SchemaMigrator Migrator { get; } =
        new("routing", typeof(RoutingSchema).Assembly, "Switch.Routing.Postgres.Migrations.", MigrationsTable, AdvisoryLockKey);
}
