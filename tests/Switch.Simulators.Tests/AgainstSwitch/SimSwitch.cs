using System.Globalization;
using System.Text.Json.Nodes;
using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests.AgainstSwitch;

/// <summary>
/// A real `switch run` for the simulator-against-switch tests: the default shape plus the acquirer listener of
/// config/switch.json (the demo acquirer on its own port), a short issuer timeout and a short first SAF retry so a
/// reversal reaches the issuer within seconds. Each test class gets its own instance (IClassFixture).
/// </summary>
public sealed class SimSwitch : SwitchProcess
{
    /// <summary>The connector's issuer timeout here (the default configuration's is 2 s).</summary>
    public const int IssuerTimeoutMs = 1_000;

    /// <summary>The acquirers listener's port.</summary>
    public int AcquirerPort { get; } = FreePort();

    /// <summary>The demo acquirer.</summary>
    public static DemoAcquirer Acquirer => DemoDataSet.All.Acquirer;

    protected override void Customize(JsonObject config)
    {
        var network = config["network"]!.AsObject();
        network["listeners"]!.AsArray().Add(new JsonObject
        {
            ["name"] = Acquirer.Listener,
            ["bind"] = "127.0.0.1",
            ["port"] = AcquirerPort,
            ["spec"] = "iso8583-1987-binary",
            ["framing"] = new JsonObject { ["length"] = "binary2", ["header"] = "none" },
        });
        network["connectors"]![0]!["mux"]!["timeoutMs"] = IssuerTimeoutMs;
        var core = config["core"]!.AsObject();
        core["safFirstRetryMs"] = 500;
        core["safRetryMaxMs"] = 2_000;
        core["acquirers"] = new JsonArray(new JsonObject
        {
            ["listener"] = Acquirer.Listener,
            ["institutionId"] = Acquirer.InstitutionId,
            ["zpkRef"] = Acquirer.ZpkRef,
        });
    }

    /// <summary>The demo acquirer's host on the acquirers listener (its own terminal, DE32 and ZPK; no MAC).</summary>
    public async Task<PosTerminal> AcquirerTerminalAsync(string? terminalId = null, string? institution = null)
    {
        var pos = new PosTerminal(new PosTerminalOptions
        {
            Port = AcquirerPort,
            TerminalId = terminalId ?? Acquirer.TerminalId,
            MerchantId = Acquirer.MerchantId,
            PinKey = Acquirer.ZpkRef,
            MacRequired = false,
            AcquirerId = institution ?? Acquirer.InstitutionId,
            AnswerTimeoutMs = 15_000,
        });
        await pos.ConnectAsync(CancellationToken.None);
        return pos;
    }

    /// <summary>The demo ATM on the terminals listener.</summary>
    public async Task<AtmTerminal> AtmAsync()
    {
        var options = AtmTerminal.DemoOptions(TerminalPort);
        options.AnswerTimeoutMs = 15_000;
        var atm = new AtmTerminal(options);
        await atm.ConnectAsync();
        return atm;
    }

    /// <summary>The available balance of a demo card (DE 54 amount type 02 of a balance inquiry from the ATM).</summary>
    public async Task<long> BalanceAsync(char card)
    {
        await using var atm = await AtmAsync();
        var x = await atm.BalanceAsync(CardProfile.Demo(card), null);
        Assert.True(x.ResponseCode == "00", $"balance inquiry: {x.ResponseCode} {x.Error}");
        return AtmScript.Available(x) ?? throw new Xunit.Sdk.XunitException("no available balance in DE 54");
    }

    /// <summary>DE 90 of the issuer leg of a request the issuer logged: MTI, the switch's STAN, DE 7, DE 32 998877 and DE 33, zero-filled.</summary>
    public static string LegOriginalData(IssuerLogEntry leg, string de7) =>
        string.Create(CultureInfo.InvariantCulture, $"{leg.Mti}{leg.Stan}{de7}{"998877".PadLeft(11, '0')}{new string('0', 11)}");
}
