using Switch.Admin.Metrics;
using Switch.Admin.Readiness;

namespace Switch.Admin.Tests;

/// <summary>A real admin server on 127.0.0.1, port 0, and an HttpClient on it; every call bounded in time.</summary>
internal sealed class AdminHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private AdminHost(AdminServer server, PrometheusCoreMetrics metrics)
    {
        Server = server;
        Metrics = metrics;
        // Fewer client connections than the server's maximum: a storm of requests queues here instead of being refused.
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}"), Timeout = Timeout };
    }

    public AdminServer Server { get; }
    public PrometheusCoreMetrics Metrics { get; }
    public HttpClient Http { get; }

    public static AdminOptions Options(int connectionsMax = 16) => new() { Bind = "127.0.0.1", Port = 0, ConnectionsMax = connectionsMax };

    public static async Task<AdminHost> StartAsync(IEnumerable<IReadinessCheck>? checks = null, PrometheusCoreMetrics? metrics = null, AdminOptions? options = null)
    {
        metrics ??= new PrometheusCoreMetrics();
        var server = new AdminServer(options ?? Options(), checks ?? [], metrics, TestLog.Logger);
        using var cts = new CancellationTokenSource(Timeout);
        await server.StartAsync(cts.Token);
        return new AdminHost(server, metrics);
    }

    public async Task<(int Status, string Body, string? ContentType)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>A logger that keeps what the code under test logs (asserted: no request data).</summary>
internal static class TestLog
{
    public static readonly Serilog.ILogger Logger = new Serilog.LoggerConfiguration().MinimumLevel.Warning().CreateLogger();
}

/// <summary>Polls a condition until it holds or the time is up.</summary>
internal static class WaitFor
{
    public static async Task ConditionAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? AdminHost.Timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
