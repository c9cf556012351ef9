using System.CommandLine;
using Npgsql;
using Switch.Core.MasterData.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;
using Switch.Routing.Postgres;

namespace Switch.Cli.Commands;

/// <summary>
/// <c>switch db migrate</c>: applies the schema migrations the build carries (journal, routing, master data) to the
/// configured database; <c>switch db seed demo</c> writes the demo data set (<see cref="DbSeedCommand"/>).
/// </summary>
public static class DbCommands
{
    /// <summary>
    /// Every area's migrator in the order <c>db migrate</c> applies them: the journal projection, routing, master data.
    /// Each keeps its own migrations table and lock, so the order only fixes what the output shows first.
    /// </summary>
    internal static IReadOnlyList<SchemaMigrator> Areas { get; } = [ProjectionHost.Schema, RouteStore.Schema, MasterDataStore.Schema, Switch.Core.State.CoreStateStore.Schema];

    /// <summary>Builds the <c>db</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("db", "Database operations on the configured Postgres.");
        group.Subcommands.Add(Migrate());
        group.Subcommands.Add(DbSeedCommand.Create());
        return group;
    }

    private static Command Migrate()
    {
        var config = JournalSettings.ConfigOption();
        var cmd = new Command("migrate",
            "Apply the journal's, routing's and the master data's schema migrations not yet applied (each in its own transaction; safe to run twice or concurrently).") { config };
        cmd.SetAction(r =>
        {
            var settings = JournalSettings.Load(r.GetValue(config));
            using var dataSource = settings.OpenPostgres();
            string where = settings.Postgres.Describe();
            Console.Out.WriteLine($"{where}: migrating {string.Join(", then ", Areas.Select(a => $"{a.Area} ({a.Table})"))}");
            foreach (var area in Areas)
                Report(where, MigrateOne(settings, dataSource, area));
            return 0;
        });
        return cmd;
    }

    private static MigrationResult MigrateOne(JournalSettings settings, NpgsqlDataSource dataSource, SchemaMigrator area)
    {
        try
        {
            return area.MigrateAsync(dataSource, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (NpgsqlException ex)
        {
            throw settings.Unreachable(ex);
        }
        catch (SchemaMigrationException ex)
        {
            throw new CliException($"{settings.Postgres.Describe()}: {ex.Message}");
        }
    }

    private static void Report(string where, MigrationResult result)
    {
        foreach (var m in result.Applied) Console.Out.WriteLine($"{result.Area}: applied {m.Version:D4}_{m.Name}");
        Console.Out.WriteLine(result.Applied.Count == 0
            ? $"{where}: {result.Area} up to date at schema version {result.CurrentVersion}"
            : $"{where}: {result.Area} now at schema version {result.CurrentVersion}");
    }
}
