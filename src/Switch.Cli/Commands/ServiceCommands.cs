using System.CommandLine;
using System.Runtime.InteropServices;
using Npgsql;
using Serilog;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Cli.Commands;

/// <summary><c>switch service projector</c>: the services of the distributed shape, each run alone until Ctrl-C or SIGTERM.</summary>
public static class ServiceCommands
{
    /// <summary>Builds the <c>service</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("service", "Run one service of the distributed shape on its own.");
        group.Subcommands.Add(Projector());
        return group;
    }

    private static Command Projector()
    {
        var config = JournalSettings.ConfigOption();
        var cmd = new Command("projector",
            "Consume the journal topic into Postgres (journal_leg, tranlog) exactly once; several instances split the partitions.") { config };
        cmd.SetAction(r => RunProjectorAsync(JournalSettings.Load(r.GetValue(config))).GetAwaiter().GetResult());
        return cmd;
    }

    private static async Task<int> RunProjectorAsync(JournalSettings settings)
    {
        string bootstrap = settings.KafkaBootstrapServers() ?? throw new CliException(
            $"Kafka is the switch's mock cluster ({settings.ConfigPath}: journal.kafka.bootstrapServers = \"mock\") and no running switch published its address in {settings.SpoolDirectory}; start ./switch run first or configure a Kafka cluster");
        using var log = new LoggerConfiguration().MinimumLevel.Information()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}", formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        await using var dataSource = settings.OpenPostgres();
        TranlogProjector projector;
        try
        {
            projector = await ProjectionHost.StartAsync(dataSource, settings.Projector, bootstrap, log, stop.Token).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw settings.Unreachable(ex);
        }
        catch (SchemaMigrationException ex)
        {
            throw new CliException($"{settings.Postgres.Describe()}: {ex.Message}");
        }
        await using (projector.ConfigureAwait(false))
        {
            try
            {
                await projector.Completion.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                log.Information("Projector stopping");
            }
            catch (Exception ex) when (projector.Completion.IsFaulted)
            {
                throw new CliException($"the projector stopped: {ex.Message}");
            }
        }
        log.Information("Projector stopped: {Legs} legs written, {Duplicates} duplicates dropped, {Rejects} rejects",
            projector.Counters.LegsInserted, projector.Counters.LegsDuplicate, projector.Counters.Rejects);
        return 0;
    }
}
