using System.Diagnostics;
using Switch.Core.MasterData;
using Switch.Iso8583;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Vocabulary;
using Switch.Security.Keys;
using Switch.Transport.Framing;

namespace Switch.Simulators.Card;

/// <summary>Options of the POS terminal simulator (defaults: the demo switch's terminals listener and terminal TERM0001).</summary>
public sealed class PosTerminalOptions
{
    /// <summary>The switch's address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The switch's port.</summary>
    public int Port { get; set; } = 8583;

    /// <summary>Spec name or file.</summary>
    public string Spec { get; set; } = SimWire.DefaultSpec;

    /// <summary>Length framing: binary2, binary2-inclusive, bcd2, ascii4, none.</summary>
    public string Framing { get; set; } = "binary2";

    /// <summary>Header: none or tpdu.</summary>
    public string Header { get; set; } = "none";

    /// <summary>The TPDU sent when <see cref="Header"/> is tpdu (hex, 5 bytes).</summary>
    public string TpduHex { get; set; } = "6000010000";

    /// <summary>Terminal id (DE 41); a demo terminal's keys, merchant and MAC requirement are its defaults.</summary>
    public string TerminalId { get; set; } = "TERM0001";

    /// <summary>Merchant id (DE 42); default the demo terminal's.</summary>
    public string? MerchantId { get; set; }

    /// <summary>The PIN key DE 52 is enciphered under: a demo key name or clear hex (default the demo terminal's TPK).</summary>
    public string? PinKey { get; set; }

    /// <summary>The MAC key: a demo key name or clear hex (default the demo terminal's TAK).</summary>
    public string? MacKey { get; set; }

    /// <summary>Send a MAC (default: as the demo terminal requires).</summary>
    public bool? MacRequired { get; set; }

    /// <summary>DE 32 sent by the terminal (none by default: the switch adds its own on the issuer leg).</summary>
    public string? AcquirerId { get; set; }

    /// <summary>DE 49.</summary>
    public string Currency { get; set; } = DemoDataSet.Currency.ToString("D3");

    /// <summary>Wait for an answer.</summary>
    public int AnswerTimeoutMs { get; set; } = 5000;

    /// <summary>Wait for the connection.</summary>
    public int ConnectTimeoutMs { get; set; } = 3000;

    /// <summary>First STAN (DE 11); default random. Each request takes the next (1–999999).</summary>
    public int? StanStart { get; set; }

    /// <summary>Chip data: the cards' IMK-AC (a demo key name or clear hex) for DE 55 with a real ARQC; a card profile's own imkAc wins.</summary>
    public string? EmvImk { get; set; }

    /// <summary>ARQC method: emv-csk (default), visa-cvn10, visa-cvn18.</summary>
    public string EmvScheme { get; set; } = "emv-csk";

    /// <summary>First application transaction counter (advances per chip transaction).</summary>
    public int AtcStart { get; set; } = 1;

    /// <summary>TDES DUKPT instead of a TPK: the BDK (a demo key name or clear hex, double length).</summary>
    public string? Bdk { get; set; }

    /// <summary>With <see cref="Bdk"/>: the KSN of the first PIN transaction (20 hex digits); its counter advances per PIN block.</summary>
    public string? Ksn { get; set; }

    /// <summary>With <see cref="Bdk"/>: the field that carries the KSN (a binary field gets 10 bytes, another the 20 hex digits).</summary>
    public int? KsnField { get; set; }
}

/// <summary>
/// What a terminal's options resolve to: its merchant (DE 42), the clear PIN and MAC keys (hex; demo key names are looked
/// up) and whether it MACs. A demo terminal's values are the defaults. Shared by the POS terminal and the load generator.
/// </summary>
public sealed record PosTerminalKeys(string TerminalId, string MerchantId, string? PinKeyHex, string? MacKeyHex, bool MacRequired)
{
    /// <summary>Resolves the options; throws <see cref="ArgumentException"/> for an unknown terminal without a merchant, a bad key or a missing MAC key.</summary>
    public static PosTerminalKeys Resolve(PosTerminalOptions options)
    {
        if (options.TerminalId.Length != 8) throw new ArgumentException($"terminal id '{options.TerminalId}' must be 8 characters (DE 41)");
        var demo = DemoDataSet.All.Terminals.FirstOrDefault(t => t.TerminalId == options.TerminalId);
        string merchantId = options.MerchantId ?? demo?.MerchantId ?? throw new ArgumentException($"terminal {options.TerminalId} is not a demo terminal: give its merchant id");
        if (merchantId.Length != 15) throw new ArgumentException($"merchant id must be 15 characters (DE 42)");
        string? pinKeyHex = options.PinKey is not null ? DemoKeys.ClearHex(options.PinKey, "pin key") : demo is null ? null : DemoKeys.ClearHex(demo.TpkRef, "pin key");
        bool macRequired = options.MacRequired ?? demo?.MacRequired ?? false;
        string? macKey = options.MacKey ?? demo?.TakRef;
        string? macKeyHex = macKey is null ? null : DemoKeys.ClearHex(macKey, "mac key");
        if (macRequired && macKeyHex is null) throw new ArgumentException($"terminal {options.TerminalId} sends a MAC but has no MAC key: give one");
        return new PosTerminalKeys(options.TerminalId, merchantId, pinKeyHex, macKeyHex, macRequired);
    }

    /// <summary>Masked: the keys are clear test keys, still never printed.</summary>
    public override string ToString() => $"terminal {TerminalId} merchant {MerchantId} mac {(MacRequired ? "required" : "not required")}";
}

/// <summary>A deliberate fault in a request, for negative tests.</summary>
public enum PosFault
{
    /// <summary>A correct request.</summary>
    None,
    /// <summary>The MAC is computed, then one bit of it flipped.</summary>
    BadMac,
    /// <summary>No MAC even though the terminal requires one.</summary>
    NoMac,
    /// <summary>The PIN block carries a PIN one digit off the card's.</summary>
    WrongPin,
}

/// <summary>One transaction the terminal is asked to make.</summary>
public sealed class PosTransaction
{
    /// <summary>0100 or 0200 (or any request MTI).</summary>
    public string Mti { get; set; } = "0200";

    /// <summary>00 purchase, 01 withdrawal, 31 balance inquiry (2 or 6 digits).</summary>
    public string ProcessingCode { get; set; } = "00";

    /// <summary>DE 4 in minor units.</summary>
    public long AmountMinor { get; set; }

    /// <summary>The card.</summary>
    public required CardProfile Card { get; set; }

    /// <summary>The PIN entered (default the card's PIN, when it has one).</summary>
    public string? Pin { get; set; }

    /// <summary>Send no PIN block.</summary>
    public bool NoPin { get; set; }

    /// <summary>A deliberate fault.</summary>
    public PosFault Fault { get; set; }
}

/// <summary>
/// One request and what came back. <see cref="Error"/> is set when there is no usable answer (timeout, connection
/// closed, malformed answer). <see cref="AnswerMacValid"/>: true or false when the answer carried a MAC and the
/// terminal has a MAC key, null otherwise.
/// </summary>
public sealed record PosExchange(string Kind, IsoMessage Request, byte[] RequestBytes, IsoMessage? Answer, byte[]? AnswerBytes, bool? AnswerMacValid, double ElapsedMs, string? Error)
{
    /// <summary>DE 39 of the answer.</summary>
    public string? ResponseCode => Answer?.GetString(39);

    /// <summary>True when a decodable answer arrived.</summary>
    public bool Answered => Answer is not null && Error is null;
}

/// <summary>
/// A POS terminal over one framed TCP connection (docs/simulators.md): builds 0100/0200 purchases, withdrawals and
/// balance inquiries with DE 7/11/12/13/22/35/37/41/42/49, the PIN in DE 52 (ISO 9564 format 0) under its TPK, the MAC
/// (ISO 9797-1 alg 3, padding 1) when the terminal requires one, reverses its last transaction (0400, DE 90, DE 95),
/// repeats a request byte for byte, and checks the answer's MAC. One exchange at a time.
/// </summary>
public sealed class PosTerminal : IAsyncDisposable
{
    private readonly PosTerminalOptions _options;
    private readonly FrameFormat _format;
    private readonly SimCrypto _crypto = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _tpdu;
    private readonly string _merchantId;
    private readonly string? _pinKeyHex;
    private readonly string? _macKeyHex;
    private SecureKey? _tak;
    private Switch.Security.Backends.KeyHandle? _tpk;
    private Switch.Security.Backends.KeyHandle? _takHandle;
    private SecureKey? _bdk;
    private readonly string? _bdkHex;
    private byte[]? _ksn;
    private readonly Switch.Security.Emv.EmvScheme _emvScheme;
    private int _atc;
    private FramedStream? _conn;
    private int _stan;

    /// <summary>Creates a terminal; throws <see cref="ArgumentException"/> for bad options (unknown spec, framing, key).</summary>
    public PosTerminal(PosTerminalOptions options)
    {
        _options = options;
        if (options.Port is < 1 or > 65535) throw new ArgumentException($"port {options.Port} is outside 1-65535");
        if (options.AnswerTimeoutMs is < 1 or > 600_000) throw new ArgumentException("answer timeout must be 1 to 600000 ms");
        Spec = SimWire.Spec(options.Spec);
        _format = SimWire.Framing(options.Framing, options.Header, Spec);
        _tpdu = options.Header == "tpdu" ? ParseTpdu(options.TpduHex) : [];
        var setup = PosTerminalKeys.Resolve(options);
        _merchantId = setup.MerchantId;
        _pinKeyHex = setup.PinKeyHex;
        _macKeyHex = setup.MacKeyHex;
        MacRequired = setup.MacRequired;
        if (options.Bdk is not null) (_bdkHex, _ksn) = DukptOptions(options);
        if (options.EmvImk is not null) DemoKeys.ClearHex(options.EmvImk, "emv imk");
        _emvScheme = ParseScheme(options.EmvScheme);
        if (options.AtcStart is < 0 or > 0xFFFF) throw new ArgumentException("ATC start must be 0 to 65535");
        _atc = options.AtcStart - 1;
        int start = options.StanStart ?? Random.Shared.Next(1, 999_999);
        if (start is < 1 or > 999_999) throw new ArgumentException("the first STAN must be 1 to 999999");
        _stan = start - 1;
    }

    /// <summary>The message spec.</summary>
    public MessageSpec Spec { get; }

    /// <summary>True when requests carry a MAC.</summary>
    public bool MacRequired { get; }

    /// <summary>The last 0100/0200 exchange (what <see cref="ReverseLastAsync"/> reverses).</summary>
    public PosExchange? LastTransaction { get; private set; }

    /// <summary>The last exchange of any kind.</summary>
    public PosExchange? LastExchange { get; private set; }

    private (string Bdk, byte[] Ksn) DukptOptions(PosTerminalOptions options)
    {
        string bdk = DemoKeys.ClearHex(options.Bdk!, "bdk");
        if (bdk.Length != 32) throw new ArgumentException("bdk: a TDES DUKPT BDK is double length (32 hex digits)");
        byte[] ksn;
        try
        {
            ksn = Convert.FromHexString(options.Ksn ?? throw new ArgumentException("ksn: DUKPT needs the first KSN (20 hex digits)"));
        }
        catch (FormatException)
        {
            throw new ArgumentException("ksn: must be 20 hex digits");
        }
        if (ksn.Length != 10) throw new ArgumentException("ksn: must be 20 hex digits");
        if (options.KsnField is not int field || Spec[field] is null || field is 52 or 64 or 128 || field < 2)
            throw new ArgumentException("ksn field: DUKPT needs the number of a field of the spec to carry the KSN");
        return (bdk, ksn);
    }

    /// <summary>The KSN for the next PIN block: the current one, then the 21-bit counter advances.</summary>
    private byte[] NextKsn()
    {
        byte[] current = (byte[])_ksn!.Clone();
        uint counter = ((uint)(_ksn[7] & 0x1F) << 16) | ((uint)_ksn[8] << 8) | _ksn[9];
        counter = (counter + 1) & 0x1F_FFFF;
        _ksn[7] = (byte)((_ksn[7] & 0xE0) | (int)(counter >> 16));
        _ksn[8] = (byte)(counter >> 8);
        _ksn[9] = (byte)counter;
        return current;
    }

    /// <summary>The KSN the next PIN block will use (DUKPT terminals), as hex.</summary>
    public string? NextKsnHex => _ksn is null ? null : Convert.ToHexString(_ksn);

    /// <summary>DE 52 under the DUKPT PIN key of the next KSN, and the KSN in its field.</summary>
    private async Task SetDukptPinAsync(IsoMessage m, string pin, string pan, CancellationToken ct)
    {
        _bdk ??= await _crypto.ImportAsync(KeyType.Bdk, _bdkHex!, ct).ConfigureAwait(false);
        byte[] ksn = NextKsn();
        var keys = await _crypto.Module.DeriveDukptTdesAsync(_bdk, ksn, ct).ConfigureAwait(false);
        try
        {
            m.SetBinary(52, _crypto.EncipherPinBlock0(Convert.ToHexString(keys.PinKey), pin, pan));
        }
        finally
        {
            Array.Clear(keys.Ipek);
            Array.Clear(keys.PinKey);
            Array.Clear(keys.MacKey);
            Array.Clear(keys.DataKey);
        }
        int field = _options.KsnField!.Value;
        if (Spec[field]!.Encoding is Switch.Iso8583.Codecs.BinaryEncoding) m.SetBinary(field, ksn);
        else m.Set(field, Convert.ToHexString(ksn));
    }

    private static Switch.Security.Emv.EmvScheme ParseScheme(string scheme)
    {
        try
        {
            return Switch.Security.Emv.EmvCryptograms.ParseScheme(scheme);
        }
        catch (Switch.Security.SecurityInputException ex)
        {
            throw new ArgumentException($"emv {ex.Message}");
        }
    }

    /// <summary>DE 55 with a real ARQC under the card's IMK-AC (ATC advancing, a fresh unpredictable number).</summary>
    private async Task SetChipDataAsync(IsoMessage m, PosTransaction tx, string imkHex, DateTime now, CancellationToken ct)
    {
        _atc = (_atc + 1) & 0xFFFF;
        byte[] un = new byte[4];
        System.Security.Cryptography.RandomNumberGenerator.Fill(un);
        var chip = new EmvData.ChipTransaction(tx.AmountMinor, _options.Currency, now, tx.ProcessingCode[..2], [(byte)(_atc >> 8), (byte)_atc], un, tx.Card.Psn ?? "00");
        using var imk = await _crypto.ImportAsync(KeyType.ImkAc, DemoKeys.ClearHex(imkHex, "emv imk"), ct).ConfigureAwait(false);
        m.SetBinary(55, await EmvData.BuildAsync(_crypto.Module, imk, _emvScheme, tx.Card.Pan, chip, ct).ConfigureAwait(false));
        m.Set(22, "051");
    }

    private static byte[] ParseTpdu(string hex)
    {
        if (hex.Length != 10) throw new ArgumentException("TPDU must be 10 hex digits");
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new ArgumentException("TPDU must be 10 hex digits");
        }
    }

    /// <summary>Connects now (otherwise the first exchange does).</summary>
    public async Task ConnectAsync(CancellationToken ct)
    {
        if (_conn is not null) return;
        _conn = await FramedStream.ConnectAsync(_options.Host, _options.Port, _format, _options.ConnectTimeoutMs, ct).ConfigureAwait(false);
    }

    /// <summary>The next STAN, 6 digits.</summary>
    private string NextStan()
    {
        _stan = _stan >= 999_999 ? 1 : _stan + 1;
        return PosMessages.Stan(_stan);
    }

    /// <summary>Builds the request of a transaction (PIN block and MAC included as the terminal and the fault say).</summary>
    public async Task<IsoMessage> BuildAsync(PosTransaction tx, CancellationToken ct)
    {
        Validate(tx);
        var now = DateTime.UtcNow;
        string stan = NextStan();
        var m = Spec.NewMessage(tx.Mti);
        PosMessages.SetRequest(m, tx.ProcessingCode, tx.AmountMinor, tx.Card, now, stan, _options.TerminalId, _merchantId, _options.Currency, _options.AcquirerId);
        string? pin = tx.NoPin ? null : tx.Pin ?? tx.Card.Pin;
        if (pin is not null && _bdkHex is not null)
        {
            await SetDukptPinAsync(m, tx.Fault == PosFault.WrongPin ? WrongPin(pin) : pin, tx.Card.Pan, ct).ConfigureAwait(false);
        }
        else if (pin is not null)
        {
            if (_pinKeyHex is null) throw new ArgumentException($"terminal {_options.TerminalId} has no PIN key: give one (or send no PIN)");
            if (tx.Fault == PosFault.WrongPin) pin = WrongPin(pin);
            _tpk ??= _crypto.ImportTdes(_pinKeyHex);
            Span<byte> block = stackalloc byte[8];
            _crypto.EncipherPinBlock0(_tpk, pin, tx.Card.Pan, block);
            m.SetBinary(52, block);
        }
        if ((tx.Card.ImkAc ?? _options.EmvImk) is { } imkHex) await SetChipDataAsync(m, tx, imkHex, now, ct).ConfigureAwait(false);
        Seal(m, tx.Fault);
        return m;
    }

    /// <summary>Checks a transaction against the terminal without building it (nothing advances); throws <see cref="ArgumentException"/>.</summary>
    public void Validate(PosTransaction tx)
    {
        if (!Mti.IsWellFormed(tx.Mti) || !Mti.ExpectsResponse(tx.Mti)) throw new ArgumentException($"MTI '{tx.Mti}' is not a request that expects an answer");
        if (tx.ProcessingCode.Length is not (2 or 6) || !RequestMatch.IsDigits(tx.ProcessingCode)) throw new ArgumentException("processing code must be 2 or 6 digits");
        if (tx.AmountMinor is < 0 or > 999_999_999_999) throw new ArgumentException("amount must be 0 to 999999999999 minor units");
        string? pin = tx.NoPin ? null : tx.Pin ?? tx.Card.Pin;
        if (pin is not null && _pinKeyHex is null && _bdkHex is null)
            throw new ArgumentException($"terminal {_options.TerminalId} has no PIN key: give one (or send no PIN)");
        if (pin is not null && (pin.Length is < 4 or > 12 || !RequestMatch.IsDigits(pin))) throw new ArgumentException("PIN must be 4 to 12 digits");
    }

    private static string WrongPin(string pin) => pin[..^1] + (char)('0' + ((pin[^1] - '0' + 1) % 10));

    /// <summary>Adds the MAC when the terminal requires it (or a bad one, or none, as the fault says).</summary>
    private void Seal(IsoMessage m, PosFault fault)
    {
        if (!MacRequired || fault == PosFault.NoMac) return;
        _takHandle ??= _crypto.ImportTdes(_macKeyHex!);
        int field = _crypto.ApplyMac(m, _takHandle);
        if (fault == PosFault.BadMac)
        {
            byte[] mac = m.GetBinary(field).ToArray();
            mac[0] ^= 0x01;
            m.SetBinary(field, mac);
        }
    }

    private async Task<SecureKey> TakAsync(CancellationToken ct) => _tak ??= await _crypto.ImportAsync(KeyType.Tak, _macKeyHex!, ct).ConfigureAwait(false);

    /// <summary>Builds, sends and waits for the answer of a transaction; it becomes <see cref="LastTransaction"/>.</summary>
    public async Task<PosExchange> SendAsync(PosTransaction tx, CancellationToken ct)
    {
        var request = await BuildAsync(tx, ct).ConfigureAwait(false);
        var exchange = await ExchangeAsync(Kind(tx), request, ct).ConfigureAwait(false);
        LastTransaction = exchange;
        return exchange;
    }

    private static string Kind(PosTransaction tx) => tx.ProcessingCode[..2] switch
    {
        "00" => "purchase",
        "01" => "withdrawal",
        "31" => "balance inquiry",
        _ => $"processing code {tx.ProcessingCode}",
    };

    /// <summary>Sends the last request again, byte for byte (same DE 7 and DE 11): a duplicate.</summary>
    public async Task<PosExchange> RepeatLastAsync(CancellationToken ct)
    {
        var last = LastExchange ?? throw new InvalidOperationException("nothing sent yet to repeat");
        var copy = Spec.Decode(last.RequestBytes.ToArray());
        return await ExchangeCoreAsync("duplicate", copy, last.RequestBytes, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reverses <see cref="LastTransaction"/>: an 0400 (or <paramref name="mti"/>, e.g. 0420) with the original's card,
    /// amount, RRN and terminal fields, a new DE 7 and DE 11, DE 90 (original MTI, STAN, DE 7, DE 32 and DE 33 zero-filled),
    /// and DE 95 with the actual amount when <paramref name="partialAmountMinor"/> is given.
    /// </summary>
    public Task<PosExchange> ReverseLastAsync(long? partialAmountMinor, CancellationToken ct) => ReverseLastAsync(partialAmountMinor, "0400", ct);

    /// <summary>Reverses <see cref="LastTransaction"/> with the given reversal MTI (0400, 0401, 0420, 0421).</summary>
    public async Task<PosExchange> ReverseLastAsync(long? partialAmountMinor, string mti, CancellationToken ct)
    {
        var original = (LastTransaction ?? throw new InvalidOperationException("no transaction to reverse")).Request;
        if (partialAmountMinor is < 0 or > 999_999_999_999) throw new ArgumentException("partial amount must be 0 to 999999999999");
        var now = DateTime.UtcNow;
        var m = Spec.NewMessage(mti);
        PosMessages.SetReversal(m, original, now, NextStan());
        if (partialAmountMinor is long actual) m.Set(95, $"{actual:D12}{actual:D12}C00000000C00000000");
        Seal(m, PosFault.None);
        return await ExchangeAsync(partialAmountMinor is null ? "reversal" : "partial reversal", m, ct).ConfigureAwait(false);
    }

    /// <summary>Sends a request as it is and waits for the answer with the same DE 11 and DE 41; checks its MAC when it has one.</summary>
    public Task<PosExchange> ExchangeAsync(string kind, IsoMessage request, CancellationToken ct) => ExchangeCoreAsync(kind, request, null, ct);

    private async Task<PosExchange> ExchangeCoreAsync(string kind, IsoMessage request, byte[]? bytes, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            bytes ??= Spec.Encode(request);
            var started = Stopwatch.GetTimestamp();
            var (answer, answerBytes, error) = await RoundTripAsync(request, bytes, ct).ConfigureAwait(false);
            double elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            bool? macValid = null;
            if (answer is not null && answerBytes is not null && (answer.Has(64) || answer.Has(128)) && _macKeyHex is not null)
                macValid = await _crypto.VerifyMacAsync(answer, answerBytes, await TakAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            var exchange = new PosExchange(kind, request, bytes, answer, answerBytes, macValid, elapsed, error);
            LastExchange = exchange;
            return exchange;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends and reads until the matching answer, a timeout, a close or a malformed answer.</summary>
    private async Task<(IsoMessage? Answer, byte[]? Bytes, string? Error)> RoundTripAsync(IsoMessage request, byte[] bytes, CancellationToken ct)
    {
        try
        {
            await ConnectAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException)
        {
            return (null, null, $"cannot connect to {_options.Host}:{_options.Port}: {ex.Message}");
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.AnswerTimeoutMs);
        try
        {
            await _conn!.WriteMessageAsync(_tpdu, bytes, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                byte[]? frame = await _conn.ReadMessageAsync(null, deadline.Token).ConfigureAwait(false);
                if (frame is null) return Drop(null, "the connection was closed without an answer");
                if (!Spec.TryDecode(frame, out var answer, out var error)) return Drop(null, $"malformed answer: {error!.Message}");
                if (IsAnswerTo(request, answer)) return (answer, frame, null);
                // Another answer (a late one to an earlier request): not ours, read on.
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The connection may still deliver the late answer: a new one is opened for the next exchange.
            return Drop(null, $"timeout: no answer within {_options.AnswerTimeoutMs} ms");
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or FrameFormatException or ObjectDisposedException)
        {
            return Drop(null, $"connection failed: {ex.Message}");
        }
    }

    /// <summary>Closes the connection after a failed exchange (the next exchange reconnects) and returns the error.</summary>
    private (IsoMessage?, byte[]?, string?) Drop(IsoMessage? answer, string error)
    {
        _conn?.Close();
        _conn = null;
        return (answer, null, error);
    }

    private static bool IsAnswerTo(IsoMessage request, IsoMessage answer)
    {
        string? mti = answer.Mti;
        return mti is not null && mti == Mti.ResponseOf(request.Mti) && answer.GetString(11) == request.GetString(11) && answer.GetString(41) == request.GetString(41);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_conn is not null) await _conn.DisposeAsync().ConfigureAwait(false);
        _tak?.Dispose();
        _tpk?.Dispose();
        _takHandle?.Dispose();
        _bdk?.Dispose();
        await _crypto.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
