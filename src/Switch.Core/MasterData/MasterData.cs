namespace Switch.Core.MasterData;

/// <summary>A card's status in the issuer's master data; anything but <see cref="Active"/> declines.</summary>
public enum CardStatus
{
    /// <summary>Usable.</summary>
    Active,
    /// <summary>Reported lost: DE39 41.</summary>
    Lost,
    /// <summary>Reported stolen: DE39 43.</summary>
    Stolen,
    /// <summary>Restricted: DE39 62.</summary>
    Restricted,
    /// <summary>Transaction type not permitted to the cardholder: DE39 57.</summary>
    NotPermitted,
}

/// <summary>
/// An on-us card. The clear PAN is not kept: the card is found by its keyed hash (HMAC-SHA-256 under the journal's
/// PAN hash key, <see cref="Switch.Journal.Pan.PanProtector.Hash"/>, lowercase hex), the same hash the journal stores.
/// </summary>
public sealed record CardRecord(
    string PanHashHex,
    string PanMasked,
    string AccountId,
    string ExpiryYymm,
    string ServiceCode,
    int Pvki,
    string Pvv,
    CardStatus Status,
    long PerTransactionLimitMinor,
    long DailyLimitMinor);

/// <summary>An on-us account: its currency and the balance the master data starts it with (journaled effects move it).</summary>
public sealed record AccountRecord(string AccountId, ushort CurrencyNumeric, long OpeningBalanceMinor);

/// <summary>Keys of an on-us BIN (key store names, never key material).</summary>
public sealed record OnUsBinProfile(string Bin, string PvkRef, string CvkRef, ushort CurrencyNumeric);

/// <summary>A terminal: its merchant and keys by reference; DUKPT terminals name a BDK and the field carrying the KSN.</summary>
public sealed record TerminalProfile(
    string TerminalId,
    string MerchantId,
    string? TpkRef,
    string? TakRef,
    bool MacRequired,
    string? BdkRef,
    int? KsnField);

/// <summary>A remote issuer reached through a connector: its zone PIN key and the stand-in limit used when it is down.</summary>
public sealed record IssuerProfile(string Destination, string ZpkRef, long StandInLimitMinor, ushort CurrencyNumeric);

/// <summary>Loads the operator's master data (Postgres) as one immutable snapshot.</summary>
public interface IMasterDataSource
{
    /// <summary>Reads every terminal, card, account, BIN profile and issuer profile.</summary>
    Task<MasterDataSnapshot> LoadAsync(CancellationToken ct);
}

/// <summary>
/// One immutable snapshot of the master data, served from memory on the hot path (a reply never waits on Postgres).
/// A reload publishes a new snapshot; transactions in flight keep the one they started with.
/// </summary>
public sealed class MasterDataSnapshot
{
    private readonly Dictionary<string, TerminalProfile> _terminals;
    private readonly Dictionary<string, CardRecord> _cards;
    private readonly Dictionary<string, AccountRecord> _accounts;
    private readonly Dictionary<string, OnUsBinProfile> _bins;
    private readonly Dictionary<string, IssuerProfile> _issuers;
    private readonly int[] _binLengths;

    /// <summary>Builds a snapshot; duplicate keys are refused (the store's primary keys prevent them).</summary>
    public MasterDataSnapshot(
        IEnumerable<TerminalProfile> terminals,
        IEnumerable<CardRecord> cards,
        IEnumerable<AccountRecord> accounts,
        IEnumerable<OnUsBinProfile> bins,
        IEnumerable<IssuerProfile> issuers,
        long version = 0)
    {
        _terminals = terminals.ToDictionary(t => t.TerminalId, StringComparer.Ordinal);
        _cards = cards.ToDictionary(c => c.PanHashHex, StringComparer.Ordinal);
        _accounts = accounts.ToDictionary(a => a.AccountId, StringComparer.Ordinal);
        _bins = bins.ToDictionary(b => b.Bin, StringComparer.Ordinal);
        _issuers = issuers.ToDictionary(i => i.Destination, StringComparer.Ordinal);
        _binLengths = [.. _bins.Keys.Select(b => b.Length).Distinct().OrderDescending()];
        Version = version;
    }

    /// <summary>An empty snapshot (no on-us cards, no terminals).</summary>
    public static MasterDataSnapshot Empty { get; } = new([], [], [], [], []);

    /// <summary>Increases with every load.</summary>
    public long Version { get; }

    /// <summary>All terminals.</summary>
    public IEnumerable<TerminalProfile> Terminals => _terminals.Values;

    /// <summary>All cards.</summary>
    public IEnumerable<CardRecord> Cards => _cards.Values;

    /// <summary>All accounts.</summary>
    public IEnumerable<AccountRecord> Accounts => _accounts.Values;

    /// <summary>The terminal with this DE41, if known.</summary>
    public TerminalProfile? Terminal(string terminalId) => _terminals.GetValueOrDefault(terminalId);

    /// <summary>The card with this PAN hash (lowercase hex), if on us.</summary>
    public CardRecord? Card(string panHashHex) => _cards.GetValueOrDefault(panHashHex);

    /// <summary>The account, if known.</summary>
    public AccountRecord? Account(string accountId) => _accounts.GetValueOrDefault(accountId);

    /// <summary>The remote issuer profile of a connector destination, if any.</summary>
    public IssuerProfile? Issuer(string destination) => _issuers.GetValueOrDefault(destination);

    /// <summary>The on-us BIN profile with the longest prefix of <paramref name="pan"/>, if any.</summary>
    public OnUsBinProfile? BinOf(ReadOnlySpan<char> pan)
    {
        var lookup = _bins.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (int length in _binLengths)
        {
            if (pan.Length >= length && lookup.TryGetValue(pan[..length], out var profile)) return profile;
        }
        return null;
    }
}
