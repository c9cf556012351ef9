using Npgsql;
using Serilog;
using Switch.Journal.Postgres;
using Switch.Postgres;

namespace Switch.Journal.Projection;

/// <summary>
/// Starts the tranlog projection: migrates the schema, then runs a <see cref="TranlogProjector"/>. The switch runs it
/// in process by default; <c>switch service projector</c> runs it alone (the distributed shape), and any number of
/// those in one consumer group split the topic's partitions.
/// </summary>
public static class ProjectionHost
{
    /// <summary>
    /// The journal's schema: the migrations embedded from Postgres/Migrations, recorded in schema_migrations (the name
    /// predates routing's table; existing databases keep it) under advisory-lock key "SWJOURNL" as 8 bytes.
    /// </summary>
    public static SchemaMigrator Schema { get; } =
        new("journal", typeof(ProjectionHost).Assembly, "Switch.Journal.Postgres.Migrations.", "schema_migrations", 0x5357_4A4F_5552_4E4C);

    /// <summary>Migrates and starts a projector on <paramref name="bootstrapServers"/>; dispose the result to stop it.</summary>
    public static async Task<TranlogProjector> StartAsync(
        NpgsqlDataSource dataSource, ProjectorOptions options, string bootstrapServers, ILogger log, CancellationToken cancellationToken)
    {
        var migrated = await Schema.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
        foreach (var m in migrated.Applied) log.Information("Schema migration {Version} ({Name}) applied", m.Version, m.Name);
        var projector = new TranlogProjector(options, bootstrapServers, new ProjectionStore(dataSource, options.ConsumerGroup), LegRows.TryDecode, log);
        projector.Start(cancellationToken);
        log.Information("Projector consuming {Topic} as group {Group} into Postgres", options.Topic, options.ConsumerGroup);
        return projector;
    }
}
