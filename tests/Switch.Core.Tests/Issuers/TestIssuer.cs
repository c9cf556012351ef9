using System.Collections.Concurrent;
using Switch.Core.MasterData;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Network.Acceptor;
using Switch.Network.Management;
using Switch.Security;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Core.Tests.Issuers;

/// <summary>How the test issuer treats authorizations and financial requests.</summary>
internal enum IssuerMode
{
    /// <summary>Approve (DE38 A12345) when the PIN, if any, is the demo card's; 55 otherwise.</summary>
    Approve,
    /// <summary>Decline 05.</summary>
    Decline,
    /// <summary>Close the TCP connection after reading the request (F7).</summary>
    Drop,
    /// <summary>Approve after <see cref="TestIssuer.LateBy"/>, past the switch's timeout (F8).</summary>
    Late,
    /// <summary>Answer without DE39.</summary>
    NoResponseCode,
}

/// <summary>What the issuer received (never the PIN block or the PAN themselves).</summary>
internal sealed record Received(string Mti, string? Stan, string? AcquirerId, string? OriginalData, string? ApprovalCode, string? ResponseCode,
    bool PanIsDemoCard, bool HasTrack2, bool HasPinBlock, bool? PinMatches, bool HasMac, string? ReplacementAmounts, string? Amount);

/// <summary>The issuer side of the tests: an <see cref="IMessageHandler"/> on a real listener (TEST DATA: the demo remote card and ZPK).</summary>
internal sealed class TestIssuer(ISecurityModule security, FileKeyStore store) : IMessageHandler
{
    private readonly ConcurrentQueue<Received> _received = new();
    private int _safIgnored;

    public volatile IssuerMode Mode = IssuerMode.Approve;
    public TimeSpan LateBy { get; set; } = TimeSpan.FromMilliseconds(1_800);

    /// <summary>Reversals and advices left unanswered before the issuer answers them (F7: 0421 repeats).</summary>
    public int SafToIgnore;

    /// <summary>How long the issuer takes to answer a reversal or advice.</summary>
    public TimeSpan SafAnswerDelay { get; set; }

    /// <summary>When true, reversals and advices are never answered.</summary>
    public volatile bool SafSilent;

    /// <summary>Reversals and advices answered at most (then silent).</summary>
    public int SafAnswersMax = int.MaxValue;
    private int _safAnswered;

    /// <summary>Set by the testbed: stops the listener (its connections close).</summary>
    public Action DropConnection { get; set; } = () => { };

    public IReadOnlyList<Received> Received => [.. _received];

    public IReadOnlyList<Received> Saf => [.. _received.Where(r => r.Mti[1] == '4' || r.Mti[2] == '2')];

    public async ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
    {
        string mti = request.Mti!;
        bool? pinMatches = request.Has(52) ? await PinMatchesAsync(request, ct) : null;
        _received.Enqueue(new Received(mti, request[11], request[32], request[90], request[38], request[39],
            request[2] == DemoDataSet.All.RemoteCard.Pan, request.Has(35), request.Has(52), pinMatches, request.Has(64), request[95], request[4]));
        if (mti[1] == '4' || mti[2] == '2')
        {
            if (SafAnswerDelay > TimeSpan.Zero) await Task.Delay(SafAnswerDelay, CancellationToken.None);
            return AnswerSaf(request);
        }
        switch (Mode)
        {
            case IssuerMode.Drop:
                DropConnection();
                return null;
            case IssuerMode.Late:
                await Task.Delay(LateBy, CancellationToken.None);
                return Approve(request);
            case IssuerMode.NoResponseCode:
                return request.CreateResponse("0" + (char)(mti[1]) + "10", [3, 4, 7, 11, 32, 37, 41]);
            case IssuerMode.Decline:
                return MessageTypes.Respond(request, ResponseCode.DoNotHonour);
            default:
                return pinMatches == false ? MessageTypes.Respond(request, ResponseCode.IncorrectPin) : Approve(request);
        }
    }

    private static IsoMessage Approve(IsoMessage request) => MessageTypes.Respond(request, ResponseCode.Approved).Set(38, "A12345");

    private IsoMessage? AnswerSaf(IsoMessage request)
    {
        if (SafSilent) return null;
        if (Interlocked.Increment(ref _safIgnored) <= SafToIgnore) return null;
        if (Interlocked.Increment(ref _safAnswered) > SafAnswersMax) return null;
        return MessageTypes.Respond(request, ResponseCode.Approved);
    }

    /// <summary>Deciphers the PIN block under the issuer's ZPK (tooling, in the test only) and compares: the PIN is never printed.</summary>
    private async Task<bool> PinMatchesAsync(IsoMessage request, CancellationToken ct)
    {
        if (security is not ISecurityTooling tooling) return false;
        var zpk = await security.LoadStoredKeyAsync(store.Get(DemoDataSet.RemoteIssuer.ZpkRef), ct);
        try
        {
            string pin = await tooling.RevealPinAsync(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, request.GetBinary(52)), request[2], ct);
            return pin == DemoDataSet.All.RemoteCard.Pin;
        }
        catch (SecurityInputException)
        {
            return false;
        }
    }
}
