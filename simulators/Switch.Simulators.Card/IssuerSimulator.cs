using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Switch.Common.Masking;
using Switch.Iso8583;
using Switch.Iso8583.Masking;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Vocabulary;
using Switch.Network.Management;
using Switch.Security;
using Switch.Security.Keys;
using Switch.Security.Pin;
using Switch.Transport.Framing;

namespace Switch.Simulators.Card;

/// <summary>Options of the issuer simulator (defaults: the demo configuration's issuer-sim connector).</summary>
public sealed class IssuerSimulatorOptions
{
    /// <summary>Address to bind (loopback by default: a test tool).</summary>
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 9583;

    /// <summary>Spec name or file.</summary>
    public string Spec { get; set; } = SimWire.DefaultSpec;

    /// <summary>Length framing: binary2, binary2-inclusive, bcd2, ascii4, none.</summary>
    public string Framing { get; set; } = "binary2";

    /// <summary>Header: none or tpdu (a TPDU's addresses are swapped in the answer).</summary>
    public string Header { get; set; } = "none";

    /// <summary>Largest frame accepted or sent.</summary>
    public int FrameBytesMax { get; set; } = 8192;

    /// <summary>How it answers.</summary>
    public IssuerRules Rules { get; set; } = new();

    /// <summary>Entries the received-message log keeps.</summary>
    public int LogEntriesMax { get; set; } = 10_000;

    /// <summary>Connections served at once; more are closed on accept.</summary>
    public int ConnectionsMax { get; set; } = 64;

    /// <summary>Requests of one connection being answered at once; the connection is not read beyond this.</summary>
    public int InFlightPerConnectionMax { get; set; } = 256;
}

/// <summary>
/// An issuer host for the switch's issuer connector (docs/simulators.md): answers 0800 with 0810 00, authorizes
/// 0100/0200 by its <see cref="IssuerRules"/> (the PIN in DE 52 checked under its ZPK through the software security
/// module), acknowledges 0120/0220 with 0130/0230 and 0400/0420/0421 with 0410/0430, misbehaves on request, and keeps a
/// bounded, masked log of everything it received.
/// </summary>
public sealed class IssuerSimulator : IAsyncDisposable
{
    /// <summary>Fields an authorization answer echoes from its request when present (issue 17).</summary>
    private static readonly int[] AuthorizationEcho = [2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49];

    /// <summary>Fields a reversal or advice acknowledgement echoes.</summary>
    private static readonly int[] AdviceEcho = [2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49, 90, 95];

    private static readonly byte[] Garbage = [0xFF, 0xFE, 0xFD, 0xFC, (byte)'G', (byte)'A', (byte)'R', (byte)'B', (byte)'A', (byte)'G', (byte)'E', 0x00];

    private readonly IssuerSimulatorOptions _options;
    private readonly MessageSpec _spec;
    private readonly FrameFormat _format;
    private readonly SimCrypto _crypto = new();
    private readonly ConcurrentDictionary<FramedStream, Task> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _rulesLock = new();
    private Dictionary<MisbehaviourRule, int> _uses = [];
    private IssuerRules _rules;
    private Random _random;
    private SecureKey? _zpk;
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private int _authCode;
    private int _stopped;

    /// <summary>Creates a simulator; <see cref="StartAsync"/> binds it. Throws <see cref="ArgumentException"/> or <see cref="IssuerRulesException"/> for bad options.</summary>
    public IssuerSimulator(IssuerSimulatorOptions options)
    {
        _options = options;
        if (options.Port is < 0 or > 65535) throw new ArgumentException($"port {options.Port} is outside 0-65535");
        if (options.ConnectionsMax < 1 || options.InFlightPerConnectionMax < 1) throw new ArgumentException("connection limits must be at least 1");
        _spec = SimWire.Spec(options.Spec);
        _format = SimWire.Framing(options.Framing, options.Header, _spec, options.FrameBytesMax);
        options.Rules.Validate();
        _rules = options.Rules;
        _random = NewRandom(options.Rules);
        Log = new IssuerLog(options.LogEntriesMax);
    }

    /// <summary>The received-message log (masked).</summary>
    public IssuerLog Log { get; }

    /// <summary>Raised for each received message once it is logged (masked); a handler must not block.</summary>
    public event Action<IssuerLogEntry>? Received;

    private void Record(IssuerLogEntry entry)
    {
        Log.Add(entry);
        Received?.Invoke(entry);
    }

    /// <summary>The bound address (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint => (IPEndPoint?)_listener?.LocalEndPoint ?? throw new InvalidOperationException("the issuer simulator is not started");

    /// <summary>The bound port.</summary>
    public int Port => EndPoint.Port;

    /// <summary>Connections open now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The rules in force.</summary>
    public IssuerRules Rules
    {
        get
        {
            lock (_rulesLock) return _rules;
        }
    }

    /// <summary>
    /// Replaces the rules (validated first) while running: the ZPK is re-imported, the random generator re-seeded and
    /// the misbehaviours' "next N" counts start again.
    /// </summary>
    public async Task UseRulesAsync(IssuerRules rules, CancellationToken ct)
    {
        rules.Validate();
        var zpk = await ImportZpkAsync(rules, ct).ConfigureAwait(false);
        lock (_rulesLock)
        {
            _rules = rules;
            _random = NewRandom(rules);
            _uses = [];
            _zpk = zpk;
        }
    }

    private static Random NewRandom(IssuerRules rules) => rules.Seed is int seed ? new Random(seed) : new Random();

    private ValueTask<SecureKey> ImportZpkAsync(IssuerRules rules, CancellationToken ct) =>
        _crypto.ImportAsync(KeyType.Zpk, DemoKeys.ClearHex(rules.Zpk ?? DemoKeys.IssuerZpkName, "zpk"), ct);

    /// <summary>Imports the ZPK, binds and starts accepting.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_listener is not null) throw new InvalidOperationException("the issuer simulator is already started");
        var zpk = await ImportZpkAsync(Rules, ct).ConfigureAwait(false);
        lock (_rulesLock) _zpk = zpk;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(_options.Bind), _options.Port));
            socket.Listen(128);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
        _acceptLoop = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (_connections.Count >= _options.ConnectionsMax)
            {
                client.Dispose();
                continue;
            }
            var conn = new FramedStream(client, _format);
            _connections[conn] = Task.Run(() => ServeAsync(conn));
        }
    }

    private async Task ServeAsync(FramedStream conn)
    {
        using var inFlight = new SemaphoreSlim(_options.InFlightPerConnectionMax, _options.InFlightPerConnectionMax);
        var answering = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var header = new byte[_format.Header.Length];
                byte[]? message = await conn.ReadMessageAsync(header, _stop.Token).ConfigureAwait(false);
                if (message is null) break;
                await inFlight.WaitAsync(_stop.Token).ConfigureAwait(false);
                answering.RemoveAll(t => t.IsCompleted);
                answering.Add(Task.Run(async () =>
                {
                    try
                    {
                        await HandleAsync(conn, header, message).ConfigureAwait(false);
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                }));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or FrameFormatException)
        {
            // The peer went away, sent a bad frame, or the simulator is stopping: the connection ends.
        }
        finally
        {
            conn.Close();
            await Task.WhenAll(answering).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _connections.TryRemove(conn, out _);
            await conn.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Decodes, decides, logs and answers (or misbehaves) for one request.</summary>
    private async Task HandleAsync(FramedStream conn, byte[] header, byte[] bytes)
    {
        long sequence = Log.NextSequence();
        var receivedAt = DateTimeOffset.UtcNow;
        IsoMessage? request = null;
        try
        {
            if (!_spec.TryDecode(bytes, out request, out var error))
            {
                await AnswerUndecodableAsync(conn, header, request, bytes, sequence, receivedAt, error!).ConfigureAwait(false);
                return;
            }
            var decision = await DecideAsync(request).ConfigureAwait(false);
            Record(Entry(sequence, receivedAt, request, decision));
            await ActAsync(conn, header, decision).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection closed while answering.
        }
        catch (Exception ex) when (request is not null)
        {
            // Whatever else a hostile request provokes (a value the spec refuses in the answer, a field of the wrong
            // kind): logged without an answer, and the simulator goes on.
            Record(Entry(sequence, receivedAt, request, new Decision(null, Misbehaviour.None, 0, null) { Note = $"{ex.GetType().Name}: {ex.Message}" }));
        }
    }

    /// <summary>
    /// A request that does not decode: answered 30 when its MTI is readable and expects an answer, with the fields that
    /// did decode echoed (DE 11 and DE 41 let the peer match the answer), and logged with the decode error.
    /// </summary>
    private async Task AnswerUndecodableAsync(FramedStream conn, byte[] header, IsoMessage partial, byte[] bytes, long sequence, DateTimeOffset at, IsoFormatException error)
    {
        string? mti = _spec.TryReadMti(bytes, out string? m) && m is not null && Mti.IsWellFormed(m) ? m : null;
        IsoMessage? answer = null;
        if (mti is not null && Mti.ExpectsResponse(mti))
        {
            answer = partial.CreateResponse(Mti.ResponseOf(mti)!, AuthorizationEcho).Set(39, ResponseCode.FormatError);
        }
        Record(new IssuerLogEntry(sequence, at, mti, null, null, null, partial.GetString(11), partial.GetString(41), null, null, null, "none",
            answer is null ? null : ResponseCode.FormatError, $"{{\"error\":{System.Text.Json.JsonSerializer.Serialize(error.Message)}}}"));
        if (answer is not null && !_stop.IsCancellationRequested)
        {
            await conn.WriteMessageAsync(AnswerHeader(header), _spec.Encode(answer), _stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>What to do with one request: the answer (null: none owed) and the misbehaviour.</summary>
    private sealed record Decision(IsoMessage? Answer, Misbehaviour Behaviour, int DelayMs, string? PinCheck)
    {
        public string? Note { get; init; }

        public string? ArqcCheck { get; init; }
    }

    private async Task<Decision> DecideAsync(IsoMessage request)
    {
        string? mti = request.Mti;
        if (mti is null || !Mti.IsWellFormed(mti) || !Mti.ExpectsResponse(mti)) return new Decision(null, Misbehaviour.None, 0, null);
        string responseMti = Mti.ResponseOf(mti)!;
        bool authorization = Mti.Class(mti) is MtiClass.Authorization or MtiClass.Financial && Mti.Function(mti) == MtiFunction.Request;
        var (behaviour, delayMs) = ChooseBehaviour(request, mti, authorization);
        if (MessageTypes.IsNetworkManagementRequest(request))
            return new Decision(MessageTypes.Respond(request, ResponseCode.Approved), behaviour, delayMs, null);
        if (Mti.Class(mti) == MtiClass.Reversal || Mti.Function(mti) == MtiFunction.Advice)
            return new Decision(request.CreateResponse(responseMti, AdviceEcho).Set(39, ResponseCode.Approved), behaviour, delayMs, null);
        if (!authorization)
            return new Decision(request.CreateResponse(responseMti, AuthorizationEcho).Set(39, ResponseCode.InvalidTransaction), behaviour, delayMs, null);
        var (code, pinCheck, arqcCheck) = await AuthorizeAsync(request).ConfigureAwait(false);
        var answer = request.CreateResponse(responseMti, AuthorizationEcho).Set(39, code);
        if (code == ResponseCode.Approved)
        {
            answer.Set(38, (Interlocked.Increment(ref _authCode) % 1_000_000).ToString("D6"));
            if (request.GetString(3) is { } pc && pc.StartsWith("31", StringComparison.Ordinal)) answer.Set(54, BalanceField(request));
        }
        return new Decision(answer, behaviour, delayMs, pinCheck) { ArqcCheck = arqcCheck };
    }

    /// <summary>DE 54 of a balance inquiry: account type 00, amount type 02 (available), currency, C, 12 digits.</summary>
    private string BalanceField(IsoMessage request)
    {
        string currency = request.GetString(49) is { Length: 3 } c ? c : Switch.Core.MasterData.DemoDataSet.Currency.ToString("D3");
        return $"0002{currency}C{Rules.BalanceMinor:D12}";
    }

    /// <summary>The misbehaviour for a request: the first rule that matches and has uses left, else the global delay and drop rate.</summary>
    private (Misbehaviour Kind, int DelayMs) ChooseBehaviour(IsoMessage request, string mti, bool authorization)
    {
        string? pc = request.GetString(3);
        long? amount = request.TryGetInt64(4, out long a) ? a : null;
        lock (_rulesLock)
        {
            foreach (var rule in _rules.Misbehaviours ?? [])
            {
                if (!authorization && !rule.AnyMessage) continue;
                if (!rule.Matches(mti, pc, amount)) continue;
                if (rule.Next is int next)
                {
                    int used = _uses.GetValueOrDefault(rule);
                    if (used >= next) continue;
                    _uses[rule] = used + 1;
                }
                return (rule.Kind, rule.EffectiveDelayMs);
            }
            if (!authorization) return (Misbehaviour.None, 0);
            if (_rules.DropRate > 0 && _random.NextDouble() < _rules.DropRate) return (Misbehaviour.Drop, 0);
            return _rules.DelayMs > 0 ? (Misbehaviour.Delay, _rules.DelayMs) : (Misbehaviour.None, 0);
        }
    }

    /// <summary>The DE 39 of an authorization or financial request by the rules, in order; and what the PIN check found.</summary>
    private async Task<(string Code, string? PinCheck, string? ArqcCheck)> AuthorizeAsync(IsoMessage request)
    {
        IssuerRules rules = Rules;
        string? arqcCheck = null;
        if (rules.EmvImk is not null && request.Has(55) && Pan(request) is { } pan)
        {
            using var imk = await _crypto.ImportAsync(KeyType.ImkAc, DemoKeys.ClearHex(rules.EmvImk, "emvImk"), _stop.Token).ConfigureAwait(false);
            arqcCheck = await EmvData.VerifyAsync(_crypto.Module, imk, Switch.Security.Emv.EmvCryptograms.ParseScheme(rules.EmvScheme), pan, request.GetBinary(55), _stop.Token).ConfigureAwait(false);
            if (arqcCheck != "valid") return (rules.ArqcFailCode, null, arqcCheck);
        }
        var (code, pinCheck) = await AuthorizeCardAsync(request).ConfigureAwait(false);
        return (code, pinCheck, arqcCheck);
    }

    /// <summary>The card rules after the chip check: lists, PIN, table, threshold, random declines.</summary>
    private async Task<(string Code, string? PinCheck)> AuthorizeCardAsync(IsoMessage request)
    {
        IssuerRules rules;
        SecureKey zpk;
        lock (_rulesLock)
        {
            rules = _rules;
            zpk = _zpk!;
        }
        string? pan = Pan(request);
        if (pan is not null && rules.LostPans?.Contains(pan) == true) return (ResponseCode.LostCard, null);
        if (pan is not null && rules.DeclinePans?.Contains(pan) == true) return (ResponseCode.DoNotHonour, null);
        string? pinCheck = null;
        if (rules.VerifyPin && request.Has(52))
        {
            pinCheck = await CheckPinAsync(request, pan, zpk, rules).ConfigureAwait(false);
            if (pinCheck != "verified") return (ResponseCode.IncorrectPin, pinCheck);
        }
        string? pc = request.GetString(3);
        long? amount = request.TryGetInt64(4, out long a) ? a : null;
        var row = rules.ResponseCodes?.FirstOrDefault(r => r.Matches(request.Mti, pc, amount));
        if (row is not null) return (row.Code, pinCheck);
        if (rules.ApproveUpToMinor is long limit && amount > limit) return (rules.AboveLimitCode, pinCheck);
        if (rules.DeclineRate > 0)
        {
            bool decline;
            lock (_rulesLock) decline = _random.NextDouble() < rules.DeclineRate;
            if (decline) return (rules.DeclineCode, pinCheck);
        }
        return (ResponseCode.Approved, pinCheck);
    }

    /// <summary>Deciphers DE 52 (format 0) under the ZPK and compares it with the PAN's expected PIN.</summary>
    private async Task<string> CheckPinAsync(IsoMessage request, string? pan, SecureKey zpk, IssuerRules rules)
    {
        if (pan is null) return "undecipherable";
        string pin;
        try
        {
            var block = request.GetBinary(52);
            pin = await _crypto.Module.RevealPinAsync(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, block), pan, _stop.Token).ConfigureAwait(false);
        }
        catch (SecurityInputException)
        {
            return "undecipherable";
        }
        if (rules.ExpectedPins.TryGetValue(pan, out string? expected) && !string.Equals(expected, pin, StringComparison.Ordinal)) return "wrong";
        return "verified";
    }

    /// <summary>DE 2, or the PAN of DE 35.</summary>
    private static string? Pan(IsoMessage request)
    {
        if (request.GetString(2) is { Length: > 0 } pan) return pan;
        string? track = request.GetString(35);
        if (track is null) return null;
        int sep = track.IndexOfAny(['=', 'D']);
        return sep > 0 ? track[..sep] : null;
    }

    private async Task ActAsync(FramedStream conn, byte[] header, Decision decision)
    {
        if (decision.Answer is null) return;
        var ct = _stop.Token;
        switch (decision.Behaviour)
        {
            case Misbehaviour.Drop:
                return;
            case Misbehaviour.Disconnect:
                conn.Close();
                return;
            case Misbehaviour.Delay or Misbehaviour.Late:
                await Task.Delay(decision.DelayMs, ct).ConfigureAwait(false);
                break;
        }
        byte[] encoded = _spec.Encode(decision.Answer);
        if (decision.Behaviour == Misbehaviour.Malformed) encoded = Garbage;
        else if (decision.Behaviour == Misbehaviour.BadBitmap) CorruptBitmap(encoded);
        await conn.WriteMessageAsync(AnswerHeader(header), encoded, ct).ConfigureAwait(false);
    }

    /// <summary>Sets every bit of the primary bitmap: it then claims fields the message does not hold, so it cannot decode.</summary>
    private void CorruptBitmap(byte[] encoded)
    {
        int offset = _spec.HeaderLength + (_spec.Mti?.FixedWireBytes ?? 0);
        for (int i = offset; i < Math.Min(encoded.Length, offset + 8); i++) encoded[i] = 0xFF;
    }

    /// <summary>The answer's header: a TPDU with its destination and source addresses swapped, any other header as received.</summary>
    private byte[] AnswerHeader(byte[] header)
    {
        if (_options.Header != "tpdu" || header.Length != 5) return header;
        return [header[0], header[3], header[4], header[1], header[2]];
    }

    private static IssuerLogEntry Entry(long sequence, DateTimeOffset at, IsoMessage request, Decision decision)
    {
        string? pan = Pan(request);
        return new IssuerLogEntry(
            sequence, at, request.Mti, pan is null ? null : PanMask.Mask(pan), request.GetString(3),
            request.TryGetInt64(4, out long amount) ? amount : null, request.GetString(11), request.GetString(41), request.GetString(32),
            request.GetString(90), decision.PinCheck, Describe(decision.Behaviour),
            decision.Answer is null || decision.Behaviour is Misbehaviour.Drop or Misbehaviour.Disconnect ? null : decision.Answer.GetString(39),
            decision.Note is null ? SensitiveDataMasker.ToMaskedJson(request) : $"{{\"error\":{System.Text.Json.JsonSerializer.Serialize(decision.Note)}}}",
            decision.ArqcCheck);
    }

    /// <summary>The rules file's name of a misbehaviour.</summary>
    public static string Describe(Misbehaviour behaviour) => behaviour switch
    {
        Misbehaviour.BadBitmap => "bad-bitmap",
        _ => behaviour.ToString().ToLowerInvariant(),
    };

    /// <summary>Stops accepting, closes every connection, waits for them.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stop.Cancel();
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var conn in _connections.Keys) conn.Close();
        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _crypto.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
