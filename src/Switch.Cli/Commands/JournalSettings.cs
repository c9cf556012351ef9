using System.CommandLine;
using Npgsql;
using Switch.Cli.Hosting;
using Switch.Common.Configuration;
using Switch.Common.IO;
using Switch.Journal;
using Switch.Journal.Kafka;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Cli.Commands;

/// <summary>
/// The journal, Postgres and projector sections of the configuration file, for the journal, db and service verbs.
/// Read through the host's configuration loader; a section that is
/// absent means its defaults, i.e. the development database and the mock Kafka cluster of a running switch.
/// </summary>
internal sealed record JournalSettings(string ConfigPath, PostgresOptions Postgres, JournalOptions Journal, ProjectorOptions Projector)
{
    /// <summary>The --config option these verbs share.</summary>
    public static Option<string> ConfigOption() => new("--config") { Description = $"Configuration file (default {RunCommand.DefaultConfigPath})." };

    /// <summary>Reads and validates the sections through the host's loader; every problem is one line naming the file (or variable) and key.</summary>
    public static JournalSettings Load(string? path)
    {
        path ??= RunCommand.DefaultConfigPath;
        HostConfiguration? host = null;
        try
        {
            host = HostConfiguration.Load(path, Environment.GetEnvironmentVariables());
            var postgres = host.Contains("postgres") ? PostgresOptions.FromSection(host.Section("postgres")) : PostgresOptions.Development;
            var journal = host.Contains("journal") ? JournalOptions.Bind(host.Section("journal")) : new JournalOptions();
            var projector = host.Contains("projector") ? ProjectorOptions.FromSection(host.Section("projector")) : new ProjectorOptions();
            return new JournalSettings(path, postgres, journal, projector);
        }
        catch (ConfigException ex)
        {
            throw new CliException((host?.Attribute(ex) ?? ex).Message);
        }
    }

    /// <summary>A data source on the configured database.</summary>
    public NpgsqlDataSource OpenPostgres() => Postgres.CreateDataSource();

    /// <summary>The journal's spool directory (the running switch's state).</summary>
    public string SpoolDirectory => Journal.Spool.Directory;

    /// <summary>
    /// Kafka's bootstrap servers: the configured cluster, or for "mock" the address the running switch's mock cluster
    /// wrote to its state directory (null when no switch wrote one).
    /// </summary>
    public string? KafkaBootstrapServers()
    {
        if (!Journal.Kafka.IsMock) return Journal.Kafka.BootstrapServers;
        string file = Path.Combine(Journal.Spool.Directory, MockKafkaCluster.BootstrapFileName);
        if (!File.Exists(file)) return null;
        string address = BoundedFile.ReadAllText(file, 4096).Trim();
        return address.Length == 0 ? null : address;
    }

    /// <summary>A database error as one operator-readable line naming the server (never the password).</summary>
    public CliException Unreachable(Exception ex) =>
        new($"cannot reach Postgres at {Postgres.Describe()}: {(ex is PostgresException pg ? pg.MessageText : ex.Message)}");
}
