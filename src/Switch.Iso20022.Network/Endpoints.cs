using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Switch.Iso20022.Network;

/// <summary>How a send to a peer ended: its answer (validated), or why there is none, as an ISO 20022 reason code.</summary>
public sealed record PeerOutcome(Iso20022Document? Answer, string? FailureReason, string? Detail)
{
    /// <summary>The reason of a peer that did not answer in time (TimeoutCreditorAgent).</summary>
    public const string Timeout = "AB05";

    /// <summary>The reason of a peer that could not be reached (OfflineCreditorAgent): the request was not delivered.</summary>
    public const string Offline = "AB08";

    /// <summary>The reason of a peer whose answer was unusable (ErrorCreditorAgent).</summary>
    public const string Error = "AB09";

    /// <summary>An answered send.</summary>
    public static PeerOutcome Answered(Iso20022Document answer) => new(answer, null, null);

    /// <summary>A failed send.</summary>
    public static PeerOutcome Failed(string reason, string detail) => new(null, reason, detail);
}

/// <summary>An ISO 20022 peer a route names as its destination (an HTTP or TCP endpoint of section "iso20022", key "endpoints").</summary>
public interface IIso20022Endpoint : IAsyncDisposable
{
    /// <summary>The destination name.</summary>
    string Name { get; }

    /// <summary>Sends the document as received and waits, within the endpoint's timeout, for its answer.</summary>
    ValueTask<PeerOutcome> SendAsync(Iso20022Document request, CancellationToken ct);
}

/// <summary>Builds the endpoints of the configuration.</summary>
public static class Iso20022Endpoints
{
    /// <summary>One client per configured endpoint, answers read by <paramref name="reader"/>.</summary>
    public static IReadOnlyList<IIso20022Endpoint> Create(Iso20022Options options, Iso20022Reader reader) =>
        options.Endpoints.Select(e => e.Transport == "tcp" ? (IIso20022Endpoint)new TcpIso20022Endpoint(e, reader) : new HttpIso20022Endpoint(e, reader)).ToList();
}

/// <summary>An ISO 20022 peer over HTTP: the document POSTed as application/xml, the answer the response body (capped, validated).</summary>
public sealed class HttpIso20022Endpoint : IIso20022Endpoint
{
    private readonly Iso20022EndpointOptions _options;
    private readonly Iso20022Reader _reader;
    private readonly HttpClient _client;
    private readonly Uri _url;

    /// <summary>A client for one endpoint.</summary>
    public HttpIso20022Endpoint(Iso20022EndpointOptions options, Iso20022Reader reader)
    {
        _options = options;
        _reader = reader;
        _url = new Uri(options.Url!, UriKind.Absolute);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.ConnectionsMax,
            ConnectTimeout = TimeSpan.FromMilliseconds(options.TimeoutMs),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            AllowAutoRedirect = false, // a payment is never re-sent elsewhere behind the operator's back
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <inheritdoc/>
    public string Name => _options.Name;

    /// <inheritdoc/>
    public async ValueTask<PeerOutcome> SendAsync(Iso20022Document request, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.TimeoutMs);
        bool sent = false;
        try
        {
            using var content = new ReadOnlyMemoryContent(request.Source);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
            using var message = new HttpRequestMessage(HttpMethod.Post, _url) { Content = content };
            sent = true;
            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return PeerOutcome.Failed(PeerOutcome.Error, $"{Name} answered HTTP {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength > _reader.Options.DocumentBytesMax)
                return PeerOutcome.Failed(PeerOutcome.Error, $"{Name}'s answer of {response.Content.Headers.ContentLength} bytes exceeds {_reader.Options.DocumentBytesMax}");
            byte[]? body = await ReadCappedAsync(response, deadline.Token).ConfigureAwait(false);
            if (body is null) return PeerOutcome.Failed(PeerOutcome.Error, $"{Name}'s answer exceeds {_reader.Options.DocumentBytesMax} bytes");
            return _reader.TryRead(body, out var answer, out var error)
                ? PeerOutcome.Answered(answer!)
                : PeerOutcome.Failed(PeerOutcome.Error, $"{Name}'s answer is invalid: {error!.Errors[0]}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return PeerOutcome.Failed(PeerOutcome.Timeout, $"{Name} did not answer within {_options.TimeoutMs} ms");
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            return PeerOutcome.Failed(sent && ex.HttpRequestError != HttpRequestError.ConnectionError ? PeerOutcome.Error : PeerOutcome.Offline, $"{Name} cannot be reached: {ex.Message}");
        }
        catch (HttpRequestException ex)
        {
            return PeerOutcome.Failed(PeerOutcome.Error, $"{Name} failed: {ex.Message}");
        }
    }

    private async Task<byte[]?> ReadCappedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        int max = _reader.Options.DocumentBytesMax;
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            int read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false);
            if (read == 0) return buffer.ToArray();
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// An ISO 20022 peer over TCP with 4-byte big-endian length framing: one request at a time per connection (the answer
/// is the next frame), connections kept for reuse up to <see cref="Iso20022EndpointOptions.ConnectionsMax"/>; a
/// connection that failed or timed out is closed, never reused (a late answer would be taken for the next one's).
/// </summary>
public sealed class TcpIso20022Endpoint : IIso20022Endpoint
{
    private readonly Iso20022EndpointOptions _options;
    private readonly Iso20022Reader _reader;
    private readonly string _host;
    private readonly int _port;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<Socket> _idle = [];

    /// <summary>A client for one endpoint.</summary>
    public TcpIso20022Endpoint(Iso20022EndpointOptions options, Iso20022Reader reader)
    {
        _options = options;
        _reader = reader;
        int colon = options.Address!.LastIndexOf(':');
        _host = options.Address[..colon].Trim('[', ']');
        _port = int.Parse(options.Address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _slots = new SemaphoreSlim(options.ConnectionsMax, options.ConnectionsMax);
    }

    /// <inheritdoc/>
    public string Name => _options.Name;

    /// <inheritdoc/>
    public async ValueTask<PeerOutcome> SendAsync(Iso20022Document request, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.TimeoutMs);
        try
        {
            await _slots.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return PeerOutcome.Failed(PeerOutcome.Offline, $"{Name}: all {_options.ConnectionsMax} connections stayed busy for {_options.TimeoutMs} ms");
        }
        Socket? socket = null;
        bool delivered = false;
        try
        {
            if (!_idle.TryTake(out socket))
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(_host, _port, deadline.Token).ConfigureAwait(false);
            }
            await SendFrameAsync(socket, request.Source, deadline.Token).ConfigureAwait(false);
            delivered = true;
            byte[] frame = await ReceiveFrameAsync(socket, deadline.Token).ConfigureAwait(false);
            _idle.Add(socket);
            socket = null;
            return _reader.TryRead(frame, out var answer, out var error)
                ? PeerOutcome.Answered(answer!)
                : PeerOutcome.Failed(PeerOutcome.Error, $"{Name}'s answer is invalid: {error!.Errors[0]}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return PeerOutcome.Failed(delivered ? PeerOutcome.Timeout : PeerOutcome.Offline,
                $"{Name} did not {(delivered ? "answer" : "accept the connection")} within {_options.TimeoutMs} ms");
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException)
        {
            return PeerOutcome.Failed(delivered ? PeerOutcome.Error : PeerOutcome.Offline, $"{Name}: {ex.Message}");
        }
        finally
        {
            socket?.Dispose();
            _slots.Release();
        }
    }

    private static async Task SendFrameAsync(Socket socket, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsMemory(4));
        int sent = 0;
        while (sent < frame.Length) sent += await socket.SendAsync(frame.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
    }

    /// <summary>The next non-empty frame (keep-alives skipped); the announced length is capped before reading the frame.</summary>
    private async Task<byte[]> ReceiveFrameAsync(Socket socket, CancellationToken ct)
    {
        var prefix = new byte[4];
        while (true)
        {
            await ReceiveExactlyAsync(socket, prefix, ct).ConfigureAwait(false);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
            if (length == 0) continue;
            if (length > (uint)_reader.Options.DocumentBytesMax)
                throw new InvalidDataException($"the answer frame announces {length} bytes, more than {_reader.Options.DocumentBytesMax}");
            var frame = new byte[length];
            await ReceiveExactlyAsync(socket, frame, ct).ConfigureAwait(false);
            return frame;
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0) throw new IOException("the peer closed the connection before its answer was complete");
            buffer = buffer[read..];
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var socket)) socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
