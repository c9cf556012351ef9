using System.CommandLine;
using System.Text.Json;
using Npgsql;
using Switch.Common.Configuration;
using Switch.Common.IO;
using Switch.Journal;
using Switch.Journal.Kafka;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;

namespace Switch.Cli.Commands;

/// <summary>
/// The journal, Postgres and projector sections of the configuration file, for the journal, db and service verbs.
/// The one place these verbs read configuration (the host's loader replaces it when it lands); a section that is
/// absent means its defaults, i.e. the development database and the mock Kafka cluster of a running switch.
/// </summary>
internal sealed record JournalSettings(string ConfigPath, PostgresOptions Postgres, JournalOptions Journal, ProjectorOptions Projector)
{
    /// <summary>Largest configuration file read.</summary>
    private const int ConfigBytesMax = 1024 * 1024;

    /// <summary>The --config option these verbs share.</summary>
    public static Option<string> ConfigOption() => new("--config") { Description = $"Configuration file (default {RunCommand.DefaultConfigPath})." };

    /// <summary>Reads and validates the sections; every problem is one line naming the file and key.</summary>
    public static JournalSettings Load(string? path)
    {
        path ??= RunCommand.DefaultConfigPath;
        string text = BoundedFile.ReadAllText(path, ConfigBytesMax);
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CliException($"{path}: expected a JSON object");
            var postgres = Section(path, root, "postgres") is { } p ? PostgresOptions.FromSection(p) : PostgresOptions.Development;
            var journal = Section(path, root, "journal") is { } j ? JournalOptions.Bind(j) : new JournalOptions();
            var projector = Section(path, root, "projector") is { } pr ? ProjectorOptions.FromSection(pr) : new ProjectorOptions();
            return new JournalSettings(path, postgres, journal, projector);
        }
        catch (ConfigException ex)
        {
            throw new CliException(ex.Message);
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path}: not valid JSON (line {ex.LineNumber + 1})");
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

    private static ConfigSection? Section(string path, JsonElement root, string name) =>
        root.TryGetProperty(name, out var element) ? new ConfigSection(path, name, element.Clone()) : null;
}
