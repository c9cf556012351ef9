using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>An issuer simulator on a free loopback port and POS terminals pointed straight at it.</summary>
internal sealed class SimPair : IAsyncDisposable
{
    private readonly List<PosTerminal> _terminals = [];

    private SimPair(IssuerSimulator issuer) => Issuer = issuer;

    public IssuerSimulator Issuer { get; }

    /// <summary>Starts an issuer simulator with the rules (default rules when null).</summary>
    public static async Task<SimPair> StartAsync(IssuerRules? rules = null)
    {
        var issuer = new IssuerSimulator(new IssuerSimulatorOptions { Port = 0, Rules = rules ?? new IssuerRules() });
        await issuer.StartAsync(Timeouts.Token()).ConfigureAwait(false);
        return new SimPair(issuer);
    }

    /// <summary>
    /// A terminal straight at the issuer: its PIN key is the issuer's ZPK (no switch in between to translate), TERM0001
    /// (MAC) or TERM0002 (no MAC).
    /// </summary>
    public PosTerminal Terminal(string terminalId = "TERM0002", int answerTimeoutMs = 5000)
    {
        var pos = new PosTerminal(new PosTerminalOptions
        {
            Port = Issuer.Port,
            TerminalId = terminalId,
            PinKey = DemoKeys.IssuerZpkName,
            AnswerTimeoutMs = answerTimeoutMs,
            StanStart = 1000,
        });
        _terminals.Add(pos);
        return pos;
    }

    /// <summary>A purchase of the remote demo card.</summary>
    public static PosTransaction Purchase(long amountMinor, string processingCode = "00", char card = 'R') =>
        new() { Card = CardProfile.Demo(card), AmountMinor = amountMinor, ProcessingCode = processingCode };

    public static string RemotePan => DemoDataSet.All.RemoteCard.Pan;

    public async ValueTask DisposeAsync()
    {
        foreach (var t in _terminals) await t.DisposeAsync().ConfigureAwait(false);
        await Issuer.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Test deadlines, generous for a loaded 2-core machine.</summary>
internal static class Timeouts
{
    public static CancellationToken Token(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
