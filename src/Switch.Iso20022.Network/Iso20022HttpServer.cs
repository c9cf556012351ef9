using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ILogger = Serilog.ILogger;

namespace Switch.Iso20022.Network;

/// <summary>
/// ISO 20022 over HTTP on Kestrel: <c>POST /iso20022</c> with <c>Content-Type: application/xml</c> (or text/xml), the
/// body capped at <see cref="Iso20022Options.DocumentBytesMax"/> (413 past it, announced or streamed), read by the
/// hardened <see cref="Iso20022Reader"/>; 200 with the status message (a pacs.002 for a pacs.008) in
/// <c>application/xml</c>; 400 with every error, each with line and position, in text/plain; 415 for another content
/// type; 405 for another method; 404 for another path; 503 when the switch cannot journal the answer.
/// </summary>
public sealed class Iso20022HttpServer : IAsyncDisposable
{
    /// <summary>The one path served.</summary>
    public const string PathName = "/iso20022";

    private readonly Iso20022HttpOptions _options;
    private readonly Iso20022Reader _reader;
    private readonly IIso20022Handler _handler;
    private readonly ILogger _log;
    private WebApplication? _app;

    /// <summary>A server that will serve <paramref name="handler"/>; nothing is bound until <see cref="StartAsync"/>.</summary>
    public Iso20022HttpServer(Iso20022HttpOptions options, Iso20022Reader reader, IIso20022Handler handler, ILogger? log = null)
    {
        _options = options;
        _reader = reader;
        _handler = handler;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<Iso20022HttpServer>();
    }

    /// <summary>The bound address (the port chosen when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Binds and starts serving.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_app is not null) throw new InvalidOperationException("the ISO 20022 HTTP server is already started");
        // The empty builder: no appsettings.json, no ASPNETCORE_ variables, no default logging. The host hands the
        // options in; a library reads no configuration of its own.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(Iso20022HttpServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = _reader.Options.DocumentBytesMax;
            k.Limits.MaxConcurrentConnections = _options.ConnectionsMax;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromMilliseconds(_options.HeadersTimeoutMs);
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Listen(IPAddress.Parse(_options.Bind), _options.Port, l => l.Protocols = HttpProtocols.Http1AndHttp2);
        });
        var app = builder.Build();
        app.Run(ServeAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        LocalEndPoint = new IPEndPoint(IPAddress.Parse(_options.Bind), uri.Port);
        _log.Information("ISO 20022 HTTP server on {Endpoint}{Path} (bodies up to {Max} bytes)", LocalEndPoint, PathName, _reader.Options.DocumentBytesMax);
    }

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (request.Path != PathName)
        {
            await TextAsync(response, StatusCodes.Status404NotFound, $"not found; ISO 20022 documents are POSTed to {PathName}").ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST";
            await TextAsync(response, StatusCodes.Status405MethodNotAllowed, "method not allowed; POST the document").ConfigureAwait(false);
            return;
        }
        if (!IsXml(request.ContentType))
        {
            await TextAsync(response, StatusCodes.Status415UnsupportedMediaType,
                $"unsupported content type '{Printable(request.ContentType)}'; send application/xml").ConfigureAwait(false);
            return;
        }
        byte[]? body = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            await TextAsync(response, StatusCodes.Status413PayloadTooLarge, $"the document exceeds {_reader.Options.DocumentBytesMax} bytes").ConfigureAwait(false);
            return;
        }
        var origin = new Iso20022Origin("http", "http", context.Connection.RemoteIpAddress is { } ip ? new IPEndPoint(ip, context.Connection.RemotePort) : null);
        try
        {
            if (!_reader.TryRead(body, out var document, out var error))
            {
                await _handler.RefusedAsync(error!, origin, context.RequestAborted).ConfigureAwait(false);
                await TextAsync(response, StatusCodes.Status400BadRequest, Errors(error!)).ConfigureAwait(false);
                return;
            }
            var answer = await _handler.HandleAsync(document!, origin, context.RequestAborted).ConfigureAwait(false);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/xml; charset=utf-8";
            response.ContentLength = answer.Document.Length;
            await response.Body.WriteAsync(answer.Document, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Iso20022UnavailableException ex)
        {
            _log.Error("ISO 20022 document from {Remote} not answered: {Reason}", origin.Remote, ex.Message);
            await TextAsync(response, StatusCodes.Status503ServiceUnavailable, "the switch cannot record the payment now; send it again later").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.Error(ex, "ISO 20022 document from {Remote} failed", origin.Remote);
            if (!response.HasStarted) await TextAsync(response, StatusCodes.Status500InternalServerError, "internal error; the payment was not answered").ConfigureAwait(false);
        }
    }

    /// <summary>The body, at most the document limit (Kestrel enforces it as well, for announced and chunked bodies); null when larger.</summary>
    private async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        int max = _reader.Options.DocumentBytesMax;
        if (context.Request.ContentLength > max) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false);
                if (read == 0) return buffer.ToArray();
                if (buffer.Length + read > max) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }

    private static bool IsXml(string? contentType)
    {
        if (contentType is null) return false;
        string media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/xml", StringComparison.OrdinalIgnoreCase) || media.Equals("text/xml", StringComparison.OrdinalIgnoreCase);
    }

    private static string Errors(Iso20022Exception error)
    {
        var sb = new StringBuilder();
        foreach (var e in error.Errors) sb.Append("error: ").Append(e.ToString()).Append('\n');
        return sb.ToString();
    }

    private static async Task TextAsync(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(text.EndsWith('\n') ? text : text + "\n").ConfigureAwait(false);
    }

    private static string Printable(string? value)
    {
        if (value is null) return "none";
        string cut = value.Length > 60 ? value[..60] + "…" : value;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    /// <summary>Stops serving (requests in flight get a few seconds to finish) and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }
}
