using System.Globalization;
using Switch.Core.MasterData;

namespace Switch.Simulators.Card;

/// <summary>
/// An ATM (docs/simulators.md): cash withdrawal (0200, processing code 01) and balance inquiry (0200, 31) with online
/// PIN, and the 0420 advice of reversal an ATM sends when the dispenser fails — full (DE 90), or partial with DE 95's
/// actual amount when some notes came out. Built on <see cref="PosTerminal"/> (the same framing, PIN block, MAC and
/// answer matching); defaults: the demo ATM ATM00001 (MAC required, TPK demo-tpk, TAK demo-tak).
/// </summary>
public sealed class AtmTerminal : IAsyncDisposable
{
    /// <summary>Cash withdrawal from the default account.</summary>
    public const string WithdrawalCode = "010000";

    /// <summary>Balance inquiry of the default account.</summary>
    public const string BalanceCode = "310000";

    /// <summary>ATMs report a dispense failure as an advice of reversal: the money did not come out, it is a fact, not a request.</summary>
    public const string ReversalMti = "0420";

    /// <summary>Creates an ATM; throws <see cref="ArgumentException"/> for bad options (as <see cref="PosTerminal"/>).</summary>
    public AtmTerminal(PosTerminalOptions options) => Terminal = new PosTerminal(options);

    /// <summary>An ATM on the demo ATM terminal against the switch at 127.0.0.1:<paramref name="port"/>.</summary>
    public AtmTerminal(int port = 8583) : this(DemoOptions(port)) { }

    /// <summary>The demo ATM's terminal id (ATM00001).</summary>
    public static string DemoTerminalId => DemoDataSet.All.Atm.TerminalId;

    /// <summary>Options of the demo ATM on a port.</summary>
    public static PosTerminalOptions DemoOptions(int port) => new() { Port = port, TerminalId = DemoTerminalId };

    /// <summary>The terminal underneath (connection, STAN, keys, last exchange).</summary>
    public PosTerminal Terminal { get; }

    /// <summary>The last withdrawal (what <see cref="ReverseLastAsync"/> reverses).</summary>
    public PosExchange? LastWithdrawal { get; private set; }

    /// <summary>Connects now (otherwise the first exchange does).</summary>
    public Task ConnectAsync(CancellationToken ct = default) => Terminal.ConnectAsync(ct);

    /// <summary>A cash withdrawal of <paramref name="amountMinor"/> with the PIN entered (null: the card's own PIN).</summary>
    public async Task<PosExchange> WithdrawAsync(CardProfile card, long amountMinor, string? pin, CancellationToken ct = default)
    {
        if (amountMinor <= 0) throw new ArgumentException("a withdrawal amount must be above 0");
        var x = await Terminal.SendAsync(Transaction(card, WithdrawalCode, amountMinor, pin), ct).ConfigureAwait(false);
        LastWithdrawal = x;
        return x;
    }

    /// <summary>A balance inquiry with the PIN entered (null: the card's own PIN); the answer's DE 54 is read by <see cref="Balances"/>.</summary>
    public Task<PosExchange> BalanceAsync(CardProfile card, string? pin, CancellationToken ct = default) =>
        Terminal.SendAsync(Transaction(card, BalanceCode, 0, pin), ct);

    /// <summary>
    /// Reverses the last withdrawal after a dispense failure: an 0420 with DE 90; with <paramref name="dispensedMinor"/>
    /// (what did come out, below the withdrawal's amount) a partial reversal whose DE 95 carries it as the actual amount.
    /// </summary>
    public Task<PosExchange> ReverseLastAsync(long? dispensedMinor, CancellationToken ct = default)
    {
        var last = LastWithdrawal ?? throw new InvalidOperationException("no withdrawal to reverse");
        long amount = long.Parse(last.Request.GetString(4)!, CultureInfo.InvariantCulture);
        if (dispensedMinor is long d && (d < 0 || d >= amount))
            throw new ArgumentException($"dispensed amount must be 0 to {amount - 1} (below the withdrawal's {amount})");
        return Terminal.ReverseAsync(last, dispensedMinor, ReversalMti, ct);
    }

    /// <summary>The decoded DE 54 of an answer (empty when it has none); throws <see cref="FormatException"/> for a malformed one.</summary>
    public static IReadOnlyList<AdditionalAmount> Balances(PosExchange exchange) =>
        exchange.Answer?.GetString(54) is { } de54 ? AdditionalAmount.ParseAll(de54) : [];

    private static PosTransaction Transaction(CardProfile card, string processingCode, long amountMinor, string? pin) => new()
    {
        Card = card,
        Mti = "0200",
        ProcessingCode = processingCode,
        AmountMinor = amountMinor,
        Pin = pin,
    };

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => Terminal.DisposeAsync();
}

/// <summary>
/// One amount of DE 54 (ISO 8583:1987 additional amounts, 20 characters each): account type (2), amount type (2),
/// currency (3), C or D, amount (12 digits, minor units).
/// </summary>
public sealed record AdditionalAmount(string AccountType, string AmountType, string Currency, char Sign, long AmountMinor)
{
    /// <summary>Length of one amount.</summary>
    public const int Length = 20;

    /// <summary>Amounts DE 54 may carry (6 × 20 = its 120 characters).</summary>
    public const int CountMax = 6;

    /// <summary>The amount with its sign: C is a credit balance (positive), D a debit (negative).</summary>
    public long SignedMinor => Sign == 'D' ? -AmountMinor : AmountMinor;

    /// <summary>Parses every 20-character amount of DE 54; throws <see cref="FormatException"/> naming the position.</summary>
    public static IReadOnlyList<AdditionalAmount> ParseAll(string de54)
    {
        if (de54.Length == 0 || de54.Length % Length != 0 || de54.Length > Length * CountMax)
            throw new FormatException($"DE 54 is {de54.Length} characters; expected 1 to {CountMax} amounts of {Length}");
        var amounts = new List<AdditionalAmount>(de54.Length / Length);
        for (int at = 0; at < de54.Length; at += Length) amounts.Add(Parse(de54.Substring(at, Length), at));
        return amounts;
    }

    private static AdditionalAmount Parse(string s, int at)
    {
        if (!RequestMatch.IsDigits(s[..7])) throw new FormatException($"DE 54 at {at}: account type, amount type and currency must be digits");
        if (s[7] is not ('C' or 'D')) throw new FormatException($"DE 54 at {at + 7}: the sign must be C or D");
        if (!RequestMatch.IsDigits(s[8..])) throw new FormatException($"DE 54 at {at + 8}: the amount must be 12 digits");
        return new AdditionalAmount(s[..2], s[2..4], s[4..7], s[7], long.Parse(s[8..], CultureInfo.InvariantCulture));
    }

    /// <summary>What the account type means (ISO 8583:1987, processing code positions 3–4).</summary>
    public string AccountTypeName => AccountType switch
    {
        "00" => "default",
        "10" => "savings",
        "20" => "checking",
        "30" => "credit",
        _ => "other",
    };

    /// <summary>What the amount type means.</summary>
    public string AmountTypeName => AmountType switch
    {
        "01" => "ledger balance",
        "02" => "available balance",
        "03" => "amount owing",
        "04" => "amount due",
        "40" => "cash back",
        _ => "other",
    };

    /// <summary>
    /// One line for people: <c>account type 00 (default), amount type 02 (available balance), currency 840, C, 1000.00</c>
    /// (two decimals: the demo currency's exponent).
    /// </summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"account type {AccountType} ({AccountTypeName}), amount type {AmountType} ({AmountTypeName}), currency {Currency}, {Sign}, {AmountMinor / 100}.{AmountMinor % 100:D2}");
}
