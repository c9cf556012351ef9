using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;

namespace Switch.Journal.Postgres.Tests;

/// <summary>The verbs other tools drive: journal find (table and --json), journal verify, db migrate; errors are one line, exit 1.</summary>
public sealed class JournalCliTests : IAsyncLifetime
{
    private const string Topic = "switch.journal";
    private readonly TestDatabase _db = new() { Migrate = false };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sjc-" + Guid.NewGuid().ToString("N")[..10]);
    private string _config = "";

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        Directory.CreateDirectory(_dir);
        _config = Path.Combine(_dir, "switch.json");
        string spool = Path.Combine(_dir, "journal");
        await File.WriteAllTextAsync(_config, JsonSerializer.Serialize(new
        {
            postgres = new { connectionString = _db.ConnectionString, connectTimeoutMs = 3000 },
            journal = new { spool = new { directory = spool } },
        }));
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task SeedAsync()
    {
        var store = new ProjectionStore(_db.DataSource, "switch-projector");
        var a = Legs.Approved("txn-a");
        var b = Legs.Approved("txn-b").Select(r => r with { Rrn = "634099999999", Stan = "000777", TerminalId = "ATM00042", PanMasked = "520000******1234" }).ToArray();
        await store.WriteAsync(Legs.At(Topic, 0, 0, [.. a, .. b]), [], [new PartitionRange(Topic, 0, 0, 8)], CancellationToken.None);
    }

    [Fact]
    public async Task Db_migrate_applies_the_journal_routing_and_masterdata_schemas_once_and_says_so()
    {
        var first = Run("db", "migrate", "--config", _config);
        var second = Run("db", "migrate", "--config", _config);

        Assert.Equal(0, first.ExitCode);
        string[] lines = first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(": migrating journal (schema_migrations), then routing (routing_schema_migrations), then masterdata (masterdata_schema_migrations), then corestate (corestate_schema_migrations)", lines[0]);
        Assert.Equal("journal: applied 0001_journal", lines[1]);
        Assert.Equal("journal: applied 0002_leg_event_fields", lines[2]);
        Assert.Equal("journal: applied 0003_cheaper_masked_pan_check", lines[3]);
        Assert.EndsWith(": journal now at schema version 3", lines[4]);
        Assert.Equal("routing: applied 0001_routes", lines[5]);
        Assert.Equal("routing: applied 0002_agent_routes", lines[6]);
        Assert.EndsWith(": routing now at schema version 2", lines[7]);
        Assert.Equal("masterdata: applied 0001_masterdata", lines[8]);
        Assert.EndsWith(": masterdata now at schema version 1", lines[9]);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("journal up to date at schema version 3", second.Stdout);
        Assert.Contains("routing up to date at schema version 2", second.Stdout);
        Assert.Contains("masterdata up to date at schema version 1", second.Stdout);
        Assert.Equal(3L, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(2L, await _db.ScalarAsync<long>("SELECT count(*) FROM routing_schema_migrations"));
        Assert.Equal(1L, await _db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'route'"));
    }

    [Fact]
    public async Task Db_migrate_stops_at_an_edited_applied_migration_naming_the_area()
    {
        Assert.Equal(0, Run("db", "migrate", "--config", _config).ExitCode);
        await _db.ScalarAsync<int>("WITH u AS (UPDATE routing_schema_migrations SET checksum = 'edited' RETURNING 1) SELECT count(*)::int FROM u");

        var result = Run("db", "migrate", "--config", _config);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("routing migration 1 (routes) was changed after it was applied", result.Stderr);
        Assert.Contains("journal up to date at schema version 3", result.Stdout);
    }

    [Fact]
    public async Task Find_with_json_prints_one_array_of_masked_legs_with_the_contract_fields()
    {
        await ProjectionHost.Schema.MigrateAsync(_db.DataSource, CancellationToken.None);
        await SeedAsync();

        var result = Run("journal", "find", "--rrn", "634099999999", "--json", "--config", _config);

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var legs = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(4, legs.Count);
        foreach (string field in new[] { "eventId", "txnId", "leg", "time", "mti", "pan", "amount", "currency", "stan", "rrn", "terminal", "responseCode" })
            Assert.True(legs[0].TryGetProperty(field, out _), $"no {field}");
        Assert.All(legs, l => Assert.Equal("txn-b", l.GetProperty("txnId").GetString()));
        Assert.All(legs, l => Assert.Equal("520000******1234", l.GetProperty("pan").GetString()));
        Assert.Equal(["request_in", "request_out", "response_in", "response_out"], legs.Select(l => l.GetProperty("leg").GetString()));
        Assert.Equal("00", legs[3].GetProperty("responseCode").GetString());
        Assert.Equal(12_345, legs[3].GetProperty("amount").GetInt64());
        Assert.Equal("978", legs[3].GetProperty("currency").GetString());
        Assert.Matches("^7-[0-9]+$", legs[0].GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task Find_prints_a_table_and_combines_criteria()
    {
        await ProjectionHost.Schema.MigrateAsync(_db.DataSource, CancellationToken.None);
        await SeedAsync();

        var table = Run("journal", "find", "--pan-last4", "0010", "--stan", "000123", "--terminal", "TERM0001", "--since", "2026-12-04T11:59:00Z", "--until", "2026-12-04T12:00:02Z", "--config", _config);
        var none = Run("journal", "find", "--pan-last4", "9999", "--config", _config);

        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.TrimEnd().Split('\n');
        Assert.StartsWith("TIME (UTC)", lines[0]);
        Assert.Equal(3, lines.Length); // header + the two legs before 12:00:02
        Assert.Contains("476173******0010", lines[1]);
        Assert.Contains("txn-a", lines[2]);
        Assert.Contains("(no legs match)", none.Stdout);
    }

    [Theory]
    [InlineData("--pan-last4", "12a4", "error: --pan-last4: expected 4 digits")]
    [InlineData("--since", "yesterday", "error: --since: expected a duration such as 30s, 10m, 2h, 1d or an ISO 8601 time")]
    [InlineData("--stan", "12345678", "error: --stan: expected 1 to 6 digits")]
    public void Find_refuses_a_bad_criterion_in_one_line(string option, string value, string expected)
    {
        var result = Run("journal", "find", option, value, "--config", _config);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Find_and_migrate_name_the_database_they_cannot_reach()
    {
        string bad = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(bad, """{ "postgres": { "connectionString": "Host=127.0.0.1;Port=1;Database=switch;Username=switch;Password=not-this", "connectTimeoutMs": 1000 } }""");

        foreach (var result in new[] { Run("journal", "find", "--config", bad), Run("db", "migrate", "--config", bad) })
        {
            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith("error: cannot reach Postgres at 127.0.0.1:1/switch as switch", result.Stderr);
            Assert.DoesNotContain("not-this", result.Stderr);
            Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        }
    }

    [Fact]
    public async Task Verify_reports_which_stores_it_reached_and_fails_when_they_cannot_agree()
    {
        await ProjectionHost.Schema.MigrateAsync(_db.DataSource, CancellationToken.None);

        var result = Run("journal", "verify", "--config", _config);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("postgres: reachable", result.Stdout);
        Assert.Contains("spool:    UNREACHABLE", result.Stdout);
        Assert.Contains("kafka:    UNREACHABLE", result.Stdout);
        Assert.StartsWith("error: spool unreachable", result.Stderr);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Find_and_verify_work_against_a_running_journal_runtime_state_directory_and_database()
    {
        // What ./switch run starts from this file's sections: the spool directory, the mock cluster, the database.
        await using var runtime = await JournalRuntime.StartAsync(new JournalOptions { Spool = new SpoolOptions { Directory = Path.Combine(_dir, "journal") } },
            new ProjectorOptions(), new Switch.Postgres.PostgresOptions { ConnectionString = _db.ConnectionString }, Serilog.Core.Logger.None, CancellationToken.None);
        await JournalRuntimeTests.AppendAsync(runtime, "cli", 30);
        long last = runtime.Journal.Spool.LastAssigned;
        await JournalRuntimeTests.WaitUntilAsync(() => runtime.ProjectedThrough == last && runtime.Journal.Forwarder.AckedThrough >= last);
        await Task.Delay(300); // the projector's offsets are committed with the rows; the lag check reads them

        var verify = Run("journal", "verify", "--config", _config);
        var find = Run("journal", "find", "--rrn", "633800000007", "--json", "--config", _config);

        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Contains("result:   spool, Kafka and Postgres agree", verify.Stdout);
        Assert.Contains("60 events", verify.Stdout);
        Assert.Equal(0, find.ExitCode);
        using var json = JsonDocument.Parse(find.Stdout);
        Assert.Equal(["request_in", "balance_debit"], json.RootElement.EnumerateArray().Select(l => l.GetProperty("leg").GetString()));
    }

    private static readonly string Executable = Path.Combine(RepoRoot(), "src", "Switch.Cli", "bin",
        typeof(JournalCliTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release", "net10.0", "switch");

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false), StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail($"switch {string.Join(' ', args)} did not exit within 60 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Switch.sln"))) return dir.FullName;
        throw new InvalidOperationException("no Switch.sln above the test assembly");
    }
}
