using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;
using Serilog;
using Switch.Admin.Metrics;
using Switch.Admin.Readiness;

namespace Switch.Admin;

/// <summary>
/// The admin endpoint on Kestrel: GET /health/live, /health/ready and /metrics, nothing else. Bounded (no request
/// body, small headers, few connections, short timeouts), and it logs no request data: the framework's loggers have no
/// provider, and this class logs only its start and stop.
/// </summary>
public sealed class AdminServer : IAsyncDisposable
{
    /// <summary>Most bytes of the request line (method, path with query, version).</summary>
    public const int RequestLineBytesMax = 2_048;

    /// <summary>Most bytes of a request's headers together.</summary>
    public const int HeaderBytesMax = 8_192;

    /// <summary>Most request headers.</summary>
    public const int HeaderCountMax = 32;

    private static readonly byte[] LiveBody = Encoding.UTF8.GetBytes("{\"status\":\"live\"}");

    private readonly AdminOptions _options;
    private readonly PrometheusCoreMetrics _metrics;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private IReadinessCheck[] _checks;
    private WebApplication? _app;
    private int _port = -1;
    private int _stopped;

    /// <summary>Creates the server (nothing listens before <see cref="StartAsync"/>); <paramref name="options"/> must be validated.</summary>
    public AdminServer(AdminOptions options, IEnumerable<IReadinessCheck> checks, PrometheusCoreMetrics metrics, ILogger? logger = null)
    {
        _options = options;
        _checks = [.. checks];
        _metrics = metrics;
        _log = (logger ?? Log.Logger).ForContext<AdminServer>();
    }

    /// <summary>The bound TCP port (the real one when 0 was configured); throws before a successful start.</summary>
    public int Port => _port >= 0 ? _port : throw new InvalidOperationException("admin endpoint not started");

    /// <summary>Whether the endpoint is serving.</summary>
    public bool IsRunning => _port >= 0 && Volatile.Read(ref _stopped) == 0;

    /// <summary>The checks /health/ready runs, in order.</summary>
    public IReadOnlyList<IReadinessCheck> Checks
    {
        get { lock (_gate) return _checks; }
    }

    /// <summary>Adds a readiness check (before or after the start: parts that start later register when they exist).</summary>
    public void AddCheck(IReadinessCheck check)
    {
        lock (_gate) _checks = [.. _checks, check];
    }

    /// <summary>Binds and starts serving; does nothing when the section says enabled: false. A bind failure throws.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            _log.Information("Admin endpoint disabled (admin.enabled = false)");
            return;
        }
        if (_app is not null) throw new InvalidOperationException("admin endpoint already started");
        var app = Build();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A bind failure (port in use, address not local) leaves nothing behind; the caller may start again.
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _app = app;
        _port = BoundPort(app);
        _log.Information("Admin endpoint on http://{Bind}:{Port} (/health/live, /health/ready, /metrics)", _options.Bind, _port);
    }

    private WebApplication Build()
    {
        // The empty builder reads no configuration file or environment variable and has no logging provider.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<IHostLifetime, HostOwnedLifetime>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(ConfigureKestrel);
        var app = builder.Build();
        app.Use(RefuseBodies);
        app.UseRouting();
        app.MapGet("/health/live", Live);
        app.MapGet("/health/ready", ReadyAsync);
        app.MapGet("/metrics", MetricsAsync);
        return app;
    }

    private void ConfigureKestrel(KestrelServerOptions k)
    {
        k.AddServerHeader = false;
        k.Limits.MaxConcurrentConnections = _options.ConnectionsMax;
        k.Limits.MaxConcurrentUpgradedConnections = 0;
        k.Limits.MaxRequestBodySize = 0;
        k.Limits.MaxRequestLineSize = RequestLineBytesMax;
        k.Limits.MaxRequestHeadersTotalSize = HeaderBytesMax;
        k.Limits.MaxRequestHeaderCount = HeaderCountMax;
        k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(5);
        k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
        k.Listen(IPAddress.Parse(_options.Bind), _options.Port, l => l.Protocols = HttpProtocols.Http1);
    }

    private static int BoundPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string address in addresses)
            if (Uri.TryCreate(address, UriKind.Absolute, out var uri)) return uri.Port;
        throw new InvalidOperationException("admin endpoint started without an address");
    }

    /// <summary>No endpoint takes a body: a request announcing one is answered 413 before routing.</summary>
    private static Task RefuseBodies(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        bool hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        if (!hasBody) return next(context);
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        context.Response.Headers.Connection = "close";
        return Task.CompletedTask;
    }

    private static Task Live(HttpContext context) => WriteJsonAsync(context, 200, LiveBody);

    private async Task ReadyAsync(HttpContext context)
    {
        var report = await ReadinessReport.RunAsync(Checks, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, report.HttpStatus, report.ToJson()).ConfigureAwait(false);
    }

    private async Task MetricsAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await _metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteJsonAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>Stops serving: open requests get <paramref name="cancellationToken"/>'s time (at most 5 s) to finish.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is null || Interlocked.Exchange(ref _stopped, 1) == 1) return;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        await _app.StopAsync(deadline.Token).ConfigureAwait(false);
        _log.Information("Admin endpoint stopped");
    }

    /// <summary>Stops and releases the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }

    /// <summary>The host's lifetime belongs to the switch: no console lifetime (it would take SIGINT/SIGTERM from the switch's own handler).</summary>
    private sealed class HostOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
