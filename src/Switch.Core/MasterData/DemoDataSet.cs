using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switch.Core.MasterData;

/// <summary>
/// THE DEMO DATA SET — TEST DATA ONLY. The public test cards, PINs and keys of docs/demo.md, read from
/// specs/demo/demo-dataset.json (embedded in this assembly): the one copy that `./switch db seed demo`, the tests,
/// the simulators and the demo all use. Never use them outside development and certification.
/// </summary>
public static class DemoDataSet
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly Lazy<DemoData> Data = new(Load);

    /// <summary>Everything in the data set.</summary>
    public static DemoData All => Data.Value;

    /// <summary>Currency of every demo account (840, USD).</summary>
    public static ushort Currency => All.Currency;

    /// <summary>The demo terminals as profiles (TERM0001 requires a MAC, TERM0002 does not).</summary>
    public static IReadOnlyList<TerminalProfile> Terminals =>
        [.. All.Terminals.Select(t => new TerminalProfile(t.TerminalId, t.MerchantId, t.TpkRef, t.TakRef, t.MacRequired, BdkRef: null, KsnField: null))];

    /// <summary>The on-us BIN's key references.</summary>
    public static OnUsBinProfile OnUsProfile => new(All.OnUsProfile.Bin, All.OnUsProfile.PvkRef, All.OnUsProfile.CvkRef, All.OnUsProfile.Currency);

    /// <summary>The remote issuer's ZPK reference and stand-in limit.</summary>
    public static IssuerProfile RemoteIssuer => new(All.RemoteIssuer.Destination, All.RemoteIssuer.ZpkRef, All.RemoteIssuer.StandInLimitMinor, All.RemoteIssuer.Currency);

    /// <summary>The on-us demo cards A–F.</summary>
    public static IReadOnlyList<DemoCard> Cards => All.Cards;

    /// <summary>A demo card by letter (A–F).</summary>
    public static DemoCard Card(char letter) =>
        All.Cards.FirstOrDefault(c => c.Letter == char.ToUpperInvariant(letter)) ?? throw new ArgumentException($"no demo card '{letter}' (A–F)", nameof(letter));

    private static DemoData Load()
    {
        using var stream = typeof(DemoDataSet).Assembly.GetManifestResourceStream("Switch.Core.Demo.demo-dataset.json")
            ?? throw new InvalidOperationException("the demo data set is not embedded in Switch.Core");
        return JsonSerializer.Deserialize<DemoData>(stream, JsonOptions) ?? throw new InvalidOperationException("the demo data set is empty");
    }
}

/// <summary>The demo data set as stored (TEST DATA).</summary>
public sealed record DemoData(
    ushort Currency,
    string OnUsBin,
    string RemoteBin,
    string UnroutedBin,
    string InstitutionId,
    string IssuerConnector,
    long StandInLimitMinor,
    int Pvki,
    string ServiceCode,
    IReadOnlyList<DemoKey> Keys,
    IReadOnlyList<DemoTerminal> Terminals,
    DemoOnUsProfile OnUsProfile,
    DemoRemoteIssuer RemoteIssuer,
    IReadOnlyList<DemoCard> Cards,
    DemoRemoteCard RemoteCard,
    DemoAcquirer Acquirer)
{
    /// <summary>The demo ATM (the terminal of kind "atm").</summary>
    public DemoTerminal Atm => Terminals.First(t => t.Kind == "atm");
}

/// <summary>
/// The demo acquirer network (TEST DATA): its institution id (DE32), the zone PIN key its PIN blocks come under, one of
/// its own terminals (not in the switch's master data) and the listener the default configuration gives it.
/// </summary>
public sealed record DemoAcquirer(string InstitutionId, string ZpkRef, string TerminalId, string MerchantId, string Listener);

/// <summary>A demo key (TEST DATA): key store name, type as the keys verb spells it, clear hex, KCV.</summary>
public sealed record DemoKey(string Name, string Type, string ClearHex, string Kcv);

/// <summary>A demo terminal.</summary>
public sealed record DemoTerminal(string TerminalId, string MerchantId, string TpkRef, string? TakRef, bool MacRequired, string? Kind = null);

/// <summary>The on-us BIN's key references.</summary>
public sealed record DemoOnUsProfile(string Bin, string PvkRef, string CvkRef, ushort Currency);

/// <summary>The remote issuer's profile.</summary>
public sealed record DemoRemoteIssuer(string Destination, string ZpkRef, long StandInLimitMinor, ushort Currency);

/// <summary>An on-us demo card (TEST DATA) and its account's starting state.</summary>
public sealed record DemoCard(
    char Letter,
    string Pan,
    string Pin,
    string Pvv,
    string Expiry,
    string Cvv,
    string Account,
    long OpeningBalanceMinor,
    long PerTransactionLimitMinor,
    long DailyLimitMinor,
    CardStatus Status)
{
    /// <summary>Track 2 as issue 17 defines it: PAN = YYMM, service code 101, PVKI 1, PVV, CVV, 00000.</summary>
    public string Track2 => $"{Pan}={Expiry}{DemoDataSet.All.ServiceCode}{DemoDataSet.All.Pvki}{Pvv}{Cvv}00000";

    /// <summary>Masked, so a test failure never prints the PAN.</summary>
    public override string ToString() => $"demo card {Letter}";
}

/// <summary>The remote issuer's demo card (TEST DATA).</summary>
public sealed record DemoRemoteCard(string Pan, string Pin, string Expiry, string ServiceCode)
{
    /// <summary>Track 2: PAN = YYMM, service code, 0000000000.</summary>
    public string Track2 => $"{Pan}={Expiry}{ServiceCode}0000000000";

    /// <summary>Masked.</summary>
    public override string ToString() => "demo remote card";
}
