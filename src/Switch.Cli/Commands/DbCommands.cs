using System.CommandLine;
using Npgsql;
using Switch.Journal.Postgres;

namespace Switch.Cli.Commands;

/// <summary><c>switch db migrate</c>: applies the schema migrations the build carries to the configured database.</summary>
public static class DbCommands
{
    /// <summary>Builds the <c>db</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("db", "Database operations on the configured Postgres.");
        group.Subcommands.Add(Migrate());
        return group;
    }

    private static Command Migrate()
    {
        var config = JournalSettings.ConfigOption();
        var cmd = new Command("migrate", "Apply the schema migrations not yet applied (each in its own transaction; safe to run twice or concurrently).") { config };
        cmd.SetAction(r =>
        {
            var settings = JournalSettings.Load(r.GetValue(config));
            using var dataSource = settings.OpenPostgres();
            MigrationResult result;
            try
            {
                result = SchemaMigrator.MigrateAsync(dataSource, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (NpgsqlException ex)
            {
                throw settings.Unreachable(ex);
            }
            catch (SchemaMigrationException ex)
            {
                throw new CliException($"{settings.Postgres.Describe()}: {ex.Message}");
            }
            foreach (var m in result.Applied) Console.Out.WriteLine($"applied {m.Version:D4}_{m.Name}");
            Console.Out.WriteLine(result.Applied.Count == 0
                ? $"{settings.Postgres.Describe()}: up to date at schema version {result.CurrentVersion}"
                : $"{settings.Postgres.Describe()}: now at schema version {result.CurrentVersion}");
            return 0;
        });
        return cmd;
    }
}
