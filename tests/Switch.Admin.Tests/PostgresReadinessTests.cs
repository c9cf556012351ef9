using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Switch.Admin.Readiness;
using Switch.Postgres;

namespace Switch.Admin.Tests;

/// <summary>The Postgres check: a SELECT 1 within its timeout, cached so scrape storms cost one query.</summary>
public sealed class PostgresReadinessTests
{
    private static NpgsqlDataSource DataSource(int port) =>
        NpgsqlDataSource.Create($"Host=127.0.0.1;Port={port};Database=switch;Username=switch;Password=not-used;Timeout=15;Pooling=false");

    [Fact]
    public async Task An_unreachable_postgres_fails_the_check_with_a_clear_detail_within_the_timeout()
    {
        int port = NetworkRig.ClosedPort();
        await using var ds = DataSource(port);
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForPostgres(ds, timeoutMs: 1_000, cacheMs: 0)]);
        var sw = Stopwatch.StartNew();

        var (http, status, checks) = await ReadinessTests.ReadyAsync(host);

        Assert.True(sw.ElapsedMilliseconds < 3_000, $"took {sw.ElapsedMilliseconds} ms");
        Assert.Equal(200, http); // not critical: replies never wait on Postgres
        Assert.Equal("degraded", status);
        var c = Assert.Single(checks);
        Assert.Equal(("postgres", "postgres", "failed"), (c.Name, c.Kind, c.Status));
        Assert.StartsWith($"127.0.0.1:{port}/switch: ", c.Detail, StringComparison.Ordinal);
        Assert.Contains("refused", c.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("not-used", c.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_postgres_that_never_answers_fails_the_check_at_the_timeout()
    {
        // A socket that accepts and stays silent: the startup handshake never completes.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(8);
        int port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        await using var ds = DataSource(port);
        var check = ReadinessChecks.ForPostgres(ds, timeoutMs: 400, cacheMs: 0);
        var sw = Stopwatch.StartNew();

        var result = await check.CheckAsync(CancellationToken.None);

        Assert.InRange(sw.ElapsedMilliseconds, 350, 3_000);
        Assert.Equal(CheckStatus.Failed, result.Status);
        Assert.Equal($"127.0.0.1:{port}/switch: no answer to SELECT 1 within 400 ms", result.Detail);
    }

    [Fact]
    public async Task A_storm_of_readiness_requests_costs_one_probe_per_cache_period()
    {
        await using var ds = DataSource(NetworkRig.ClosedPort());
        var check = (PostgresCheck)ReadinessChecks.ForPostgres(ds, timeoutMs: 1_000, cacheMs: 60_000);
        await using var host = await AdminHost.StartAsync([check]);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => ReadinessTests.ReadyAsync(host)));

        Assert.Equal(1, check.Probes);
    }

    [Fact]
    public async Task An_expired_result_is_probed_again()
    {
        await using var ds = DataSource(NetworkRig.ClosedPort());
        var check = (PostgresCheck)ReadinessChecks.ForPostgres(ds, timeoutMs: 1_000, cacheMs: 100);
        await check.CheckAsync(CancellationToken.None);
        await Task.Delay(150);
        await check.CheckAsync(CancellationToken.None);
        Assert.Equal(2, check.Probes);
    }

    [Fact]
    public async Task A_refused_login_fails_the_check_without_showing_the_password()
    {
        string server = Environment.GetEnvironmentVariable("SWITCH_TEST_POSTGRES") ?? PostgresOptions.DevelopmentConnectionString;
        string cs = new NpgsqlConnectionStringBuilder(server) { Password = "wrong-secret-4321", Pooling = false }.ConnectionString;
        await using var ds = NpgsqlDataSource.Create(cs);
        var check = ReadinessChecks.ForPostgres(ds, timeoutMs: 5_000, cacheMs: 0);

        var result = await check.CheckAsync(CancellationToken.None);

        Assert.Equal(CheckStatus.Failed, result.Status);
        Assert.Contains("password authentication failed", result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-4321", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_postgres_passes_the_check()
    {
        // The development cluster install/postgres.sh starts (CI runs it); SWITCH_TEST_POSTGRES overrides.
        string cs = Environment.GetEnvironmentVariable("SWITCH_TEST_POSTGRES") ?? PostgresOptions.DevelopmentConnectionString;
        await using var ds = NpgsqlDataSource.Create(cs);
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForPostgres(ds, timeoutMs: 5_000, cacheMs: 0)]);

        var (http, status, checks) = await ReadinessTests.ReadyAsync(host);

        Assert.True(checks[0].Status == "ok", checks[0].Detail);
        Assert.Equal(200, http);
        Assert.Equal("ready", status);
        Assert.Matches(@"^.+:\d+/.+: SELECT 1 in \d+ ms$", checks[0].Detail);
    }
}
