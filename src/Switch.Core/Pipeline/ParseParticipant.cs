using Serilog;
using Switch.Core.Transactions;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Journal.Pan;
using Switch.Routing;

namespace Switch.Core.Pipeline;

/// <summary>
/// Parse and validate: builds the <see cref="CardTransaction"/> from the request and decides the format answers —
/// 30 (a required field missing or malformed), 12 (an MTI or processing code the switch does not serve), 13 (amount 0
/// on a purchase, withdrawal, pre-authorization, advice or reversal), 14 (Luhn). It also finds the terminal of DE41
/// (the next participant declines an unknown one) and protects the PAN for the journal (hash, encryption).
/// </summary>
public sealed class ParseParticipant(PanProtector protector, ILogger log, AcquirerPeers? acquirers = null) : IParticipant
{
    private readonly AcquirerPeers _acquirers = acquirers ?? AcquirerPeers.None;

    private const int PanDigitsMin = 12;
    private const int PanDigitsMax = 19;
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789ABCDEFabcdef");

    private readonly ILogger _log = log.ForContext<ParseParticipant>();

    /// <inheritdoc/>
    public string Name => "parse";

    /// <inheritdoc/>
    public bool Always => false;

    /// <inheritdoc/>
    public bool RunsWhenFull => true;

    /// <inheritdoc/>
    public ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        string? problem = Parse(context);
        if (problem is not null)
            _log.Information("Declined {Mti} STAN {Stan} from {Terminal} with {ResponseCode}: {Problem}", context.Request.Mti,
                context.Request.GetString(11), context.Request.GetString(41), context.ResponseCode, problem);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) { }

    /// <inheritdoc/>
    public void Abort(TransactionContext context) { }

    /// <summary>Fills the context; returns why DE39 was decided here, or null.</summary>
    private string? Parse(TransactionContext context)
    {
        IsoMessage m = context.Request;
        string mti = m.Mti!;
        string? terminalId = m.GetString(41);
        context.Acquirer = _acquirers.For(context.Session.Listener);
        if (terminalId is not null) context.Terminal = TerminalOf(context, terminalId.TrimEnd());
        TransactionKind kind = KindOf(mti, m.GetString(3));
        if (kind == TransactionKind.Unknown && !ServedMti(mti)) return Decline(context, ResponseCode.InvalidTransaction, $"MTI {mti} is not served");
        string? pan = m.GetString(2);
        bool panWellFormed = pan is { Length: >= PanDigitsMin and <= PanDigitsMax } && !pan.AsSpan().ContainsAnyExceptInRange('0', '9');
        // Protected first, so that even a format error is journaled with the masked PAN, its hash and its cryptogram.
        if (panWellFormed) Protect(context, pan!);
        if (Missing(m, mti) is int missing) return Decline(context, ResponseCode.FormatError, $"required field {missing} is missing");
        string processingCode = m.GetString(3)!;
        if (!panWellFormed) return Decline(context, ResponseCode.FormatError, $"DE2 has {pan!.Length} characters; expected {PanDigitsMin} to {PanDigitsMax} digits");
        if (kind == TransactionKind.Unknown) return Decline(context, ResponseCode.InvalidTransaction, $"processing code {processingCode[..2]} is not served with MTI {mti}");
        long amount = 0;
        if (m.Has(4) && !m.TryGetInt64(4, out amount)) return Decline(context, ResponseCode.FormatError, "DE4 is not an amount");
        ushort currency = 0;
        if (m.GetString(49) is { } ccy && !TryCurrency(ccy, out currency)) return Decline(context, ResponseCode.FormatError, "DE49 is not a numeric currency code");
        string? track2 = m.GetString(35);
        string expiry = m.GetString(14) ?? "";
        if (track2 is not null && !TryTrack2(track2, pan!, ref expiry, out string? trackProblem)) return Decline(context, ResponseCode.FormatError, trackProblem!);
        OriginalData? original = null;
        if (m.GetString(90) is { } de90 && (original = OriginalData.Parse(de90)) is null) return Decline(context, ResponseCode.FormatError, "DE90 is not 42 digits");
        long? replacement = null;
        if (m.GetString(95) is { } de95)
        {
            if (de95.Length < 12 || de95.AsSpan(0, 12).ContainsAnyExceptInRange('0', '9')) return Decline(context, ResponseCode.FormatError, "DE95 does not start with a 12-digit amount");
            replacement = long.Parse(de95.AsSpan(0, 12), System.Globalization.CultureInfo.InvariantCulture);
        }
        context.Transaction = new CardTransaction
        {
            TransactionId = context.TransactionId,
            StartedTicks = context.StartedTicks,
            DeadlineTicks = context.DeadlineTicks,
            Mti = mti,
            Kind = kind,
            Pan = pan!,
            ProcessingCode = processingCode,
            AmountMinor = amount,
            CurrencyNumeric = currency,
            TransmissionDateTime = m.GetString(7)!,
            Stan = m.GetString(11)!,
            LocalTime = m.GetString(12) ?? "",
            LocalDate = m.GetString(13) ?? "",
            Expiry = expiry,
            PosEntryMode = m.GetString(22) ?? "",
            AcquirerId = m.GetString(32) ?? "",
            ForwardingId = m.GetString(33) ?? "",
            Track2 = track2,
            Rrn = m.GetString(37) ?? "",
            TerminalId = terminalId!.TrimEnd(),
            MerchantId = m.GetString(42)?.TrimEnd() ?? "",
            PinBlock = m.Has(52) ? m.GetBinary(52) : default,
            Ksn = KsnOf(context, m),
            Original = original,
            ReplacementAmountMinor = replacement,
        };
        if (amount == 0 && kind != TransactionKind.BalanceInquiry) return Decline(context, ResponseCode.InvalidAmount, "amount 0");
        if (!RouteRules.LuhnValid(pan!)) return Decline(context, ResponseCode.InvalidCardNumber, "the PAN fails the Luhn check");
        return null;
    }

    /// <summary>A master data terminal, or on an acquirer peer's listener the profile of the acquirer's own terminal.</summary>
    private static Switch.Core.MasterData.TerminalProfile? TerminalOf(TransactionContext context, string terminalId) => context.Acquirer is { } peer
        ? AcquirerPeers.Profile(peer, terminalId, context.Request.GetString(42)?.TrimEnd() ?? "")
        : context.MasterData.Terminal(terminalId);

    private static string Decline(TransactionContext context, string responseCode, string problem)
    {
        context.Decide(responseCode, "parse");
        return problem;
    }

    /// <summary>The MTIs the pipeline answers: 01xx/02xx requests and advices, 04xx reversals (repeats included).</summary>
    private static bool ServedMti(string mti) => mti is "0100" or "0101" or "0200" or "0201" or "0120" or "0121" or "0220" or "0221"
        or "0400" or "0401" or "0420" or "0421";

    /// <summary>What the request asks for; Unknown for an MTI or processing code the switch does not serve.</summary>
    internal static TransactionKind KindOf(string mti, string? processingCode)
    {
        if (!ServedMti(mti) || processingCode is not { Length: 6 }) return TransactionKind.Unknown;
        ReadOnlySpan<char> type = processingCode.AsSpan(0, 2);
        bool purchase = type.SequenceEqual("00"), cash = type.SequenceEqual("01"), balance = type.SequenceEqual("31");
        switch (mti[1])
        {
            case '4':
                return purchase || cash ? TransactionKind.Reversal : TransactionKind.Unknown;
            case '1' or '2' when mti[2] == '2':
                return purchase || cash ? TransactionKind.Advice : TransactionKind.Unknown;
            case '1':
                return balance ? TransactionKind.BalanceInquiry : purchase || cash ? TransactionKind.Authorization : TransactionKind.Unknown;
            default:
                return balance ? TransactionKind.BalanceInquiry : purchase ? TransactionKind.Purchase : cash ? TransactionKind.CashWithdrawal : TransactionKind.Unknown;
        }
    }

    private static readonly int[] RequiredCard = [2, 3, 7, 11, 41, 49];
    private static readonly int[] RequiredReversal = [2, 3, 4, 7, 11, 41, 49, 90];

    /// <summary>The first required field the request lacks (DE4 is required except on a balance inquiry), or null.</summary>
    private static int? Missing(IsoMessage m, string mti)
    {
        var required = mti[1] == '4' ? RequiredReversal : RequiredCard;
        foreach (int field in required)
        {
            if (!m.Has(field)) return field;
        }
        if (!m.Has(4) && m.GetString(3) is { } pc && !pc.StartsWith("31", StringComparison.Ordinal)) return 4;
        return null;
    }

    private void Protect(TransactionContext context, string pan)
    {
        context.PanHash = protector.Hash(pan);
        context.PanHashHex = Convert.ToHexStringLower(context.PanHash);
        context.PanEncrypted = protector.Encrypt(pan);
    }

    private static bool TryCurrency(string text, out ushort currency)
    {
        currency = 0;
        if (text.Length != 3 || text.AsSpan().ContainsAnyExceptInRange('0', '9')) return false;
        currency = ushort.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Track 2 = PAN '=' YYMM service code discretionary data; its PAN must be DE2's, its expiry fills a missing DE14.</summary>
    private static bool TryTrack2(string track2, string pan, ref string expiry, out string? problem)
    {
        problem = null;
        int separator = track2.IndexOf('=');
        if (separator < 0 || track2.Length < separator + 8)
        {
            problem = "DE35 is not PAN '=' expiry and service code";
            return false;
        }
        if (!track2.AsSpan(0, separator).SequenceEqual(pan))
        {
            problem = "DE35's PAN is not DE2";
            return false;
        }
        if (expiry.Length == 0) expiry = track2.Substring(separator + 1, 4);
        return true;
    }

    /// <summary>The KSN of a DUKPT terminal from the field its profile names (binary or hex text), or empty.</summary>
    private static ReadOnlyMemory<byte> KsnOf(TransactionContext context, IsoMessage m)
    {
        if (context.Terminal?.KsnField is not { } field || !m.Has(field)) return default;
        try
        {
            return m.GetBinary(field);
        }
        catch (InvalidOperationException)
        {
            // The field is text in this dialect: the KSN is written in hex.
            string text = m.GetString(field)!;
            return text.Length % 2 == 0 && !text.AsSpan().ContainsAnyExcept(HexDigits) ? Convert.FromHexString(text) : default;
        }
    }
}

/// <summary>
/// Declines a request from a terminal the master data does not know, or on an acquirer peer's listener a request whose
/// DE32 is not that acquirer's institution id (58, not permitted to terminal).
/// </summary>
public sealed class TerminalParticipant(ILogger log) : IParticipant
{
    private readonly ILogger _log = log.ForContext<TerminalParticipant>();

    /// <inheritdoc/>
    public string Name => "terminal";

    /// <inheritdoc/>
    public bool Always => false;

    /// <inheritdoc/>
    public bool RunsWhenFull => true;

    /// <inheritdoc/>
    public ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        if (context.Acquirer is { } peer && context.Transaction is { } txn && txn.AcquirerId != peer.InstitutionId)
        {
            // A peer network speaks for one institution: a request naming another (or none) is not this connection's to send.
            context.Decide(ResponseCode.NotPermittedToTerminal, Name);
            _log.Warning("Acquirer listener {Listener} (institution {Institution}) sent DE32 '{De32}' on session {SessionId}: {Transaction} declined 58",
                context.Session.Listener, peer.InstitutionId, txn.AcquirerId, context.Session.SessionId, txn);
            return ValueTask.CompletedTask;
        }
        if (context.Terminal is null)
        {
            // 58 rather than 96: nothing is broken, this terminal is simply not one the operator configured.
            context.Decide(ResponseCode.NotPermittedToTerminal, Name);
            _log.Warning("Unknown terminal {Terminal} on session {SessionId}: {Transaction} declined 58", context.Transaction?.TerminalId,
                context.Session.SessionId, context.Transaction);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) { }

    /// <inheritdoc/>
    public void Abort(TransactionContext context) { }
}
