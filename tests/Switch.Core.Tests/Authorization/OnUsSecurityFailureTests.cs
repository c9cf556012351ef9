using Switch.Core.Authorization;
using Switch.Core.MasterData;
using Switch.Core.Transactions;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Core.Tests.Authorization;

/// <summary>The HSM down or refusing, or a key missing: 96, fail closed (no software fallback), nothing moves.</summary>
public sealed class OnUsSecurityFailureTests
{
    public static TheoryData<string> Failures => ["unavailable", "timeout", "circuit", "refused"];

    private static Exception FailureOf(string kind) => kind switch
    {
        "unavailable" => new HsmUnavailableException("test: connection refused"),
        "timeout" => new HsmUnavailableException("test: no answer in 200 ms", HsmFailureKind.Timeout),
        "circuit" => new HsmUnavailableException("test: circuit open", HsmFailureKind.CircuitOpen),
        _ => new HsmErrorException("68", "test: command disabled"),
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task An_HSM_failure_on_the_PIN_or_CVV_verify_answers_96_and_moves_nothing(string kind)
    {
        FaultyModule? faulty = null;
        await using var f = await OnUsFixture.CreateAsync(wrap: m => faulty = new FaultyModule(m));
        faulty!.Failure = FailureOf(kind);
        var withTrack = await f.SendAsync(f.Txn('A', TransactionKind.Purchase, 100));
        Assert.Equal(("96", 0), (withTrack.ResponseCode, withTrack.Effects.Count));
        var pinOnly = await f.SendAsync(f.Txn('F', TransactionKind.Purchase, 100, track2: false));
        Assert.Equal("96", pinOnly.ResponseCode);
        Assert.Equal(100_000, await f.AvailableAsync('A'));
        faulty.Failure = null;
        // The failure counted no PIN try: three wrong PINs are still needed to lock card F.
        Assert.Equal("55", await f.CodeAsync(f.Txn('F', TransactionKind.Purchase, 100, pin: "0000")));
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100)));
    }

    [Fact]
    public async Task A_reversal_needs_no_HSM_and_still_credits_while_the_HSM_is_down()
    {
        FaultyModule? faulty = null;
        await using var f = await OnUsFixture.CreateAsync(wrap: m => faulty = new FaultyModule(m));
        var purchase = f.Txn('A', TransactionKind.Purchase, 1_000);
        Assert.Equal("00", await f.CodeAsync(purchase));
        faulty!.Failure = FailureOf("unavailable");
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 1_000, pin: "", original: OnUsFixture.OriginalOf(purchase))));
        Assert.Equal(100_000, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task A_terminal_whose_PIN_key_is_not_in_the_key_store_answers_96()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var txn = f.Txn('A', TransactionKind.Purchase, 100);
        var terminal = new TerminalProfile("TERM0009", "MERCHANT0000001", "no-such-key", null, false, null, null);
        var request = f.Request(txn);
        var decision = await f.Authorizer.AuthorizeAsync(new OnUsRequest { Transaction = txn, Terminal = terminal, MasterData = request.MasterData, PanHashHex = request.PanHashHex }, TestTimeout.Token);
        Assert.Equal("96", decision.ResponseCode);
    }

    [Fact]
    public async Task A_DUKPT_terminal_without_a_configured_zone_PIN_key_answers_96()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var txn = f.Txn('A', TransactionKind.Purchase, 100);
        var dukpt = new CardTransaction
        {
            TransactionId = txn.TransactionId, Mti = txn.Mti, Kind = txn.Kind, Pan = txn.Pan, ProcessingCode = txn.ProcessingCode,
            AmountMinor = 100, CurrencyNumeric = txn.CurrencyNumeric, Stan = txn.Stan, Expiry = txn.Expiry, Track2 = txn.Track2,
            TerminalId = "TERM0010", PinBlock = txn.PinBlock, Ksn = Convert.FromHexString("FFFF9876543210E00001"),
        };
        var terminal = new TerminalProfile("TERM0010", "MERCHANT0000001", null, null, false, "demo-bdk", 53);
        var request = f.Request(txn);
        var decision = await f.Authorizer.AuthorizeAsync(new OnUsRequest { Transaction = dukpt, Terminal = terminal, MasterData = request.MasterData, PanHashHex = request.PanHashHex }, TestTimeout.Token);
        Assert.Equal("96", decision.ResponseCode);
    }

    [Fact]
    public async Task A_DUKPT_PIN_is_translated_to_the_switch_zone_PIN_key_and_verified_by_PVV()
    {
        await using var f = await OnUsFixture.CreateAsync(new CoreOptions { Partitions = 2, DukptPinKeyRef = "demo-zpk-issuer-sim" });
        // ANSI X9.24-1 example BDK (TEST KEY) and its first KSN.
        var bdk = await f.Module.ImportClearKeyAsync(KeyType.Bdk, KeyAlgorithm.Tdes, Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210"), TestTimeout.Token);
        f.Keys.Add("test-bdk", bdk);
        byte[] ksn = Convert.FromHexString("FFFF9876543210E00001");
        var derived = await f.Module.DeriveDukptTdesAsync(bdk, ksn, TestTimeout.Token);
        var terminal = new TerminalProfile("TERM0010", "MERCHANT0000001", null, null, false, "test-bdk", 53);
        var card = DemoDataSet.Card('A');
        foreach (var (pin, code) in new[] { (card.Pin, "00"), ("4321", "55") })
        {
            var clear = new byte[8];
            PinBlock.Encode(PinBlockFormat.Iso0, pin, card.Pan, clear);
            var engine = new SoftwareCipherEngine();
            using var pinKey = engine.Import(KeyAlgorithm.Tdes, derived.PinKey);
            var block = new byte[8];
            engine.EncryptEcb(pinKey, KeyPart.Whole, clear, block);
            var txn = f.Txn('A', TransactionKind.Purchase, 100, pin: "");
            var dukpt = new CardTransaction
            {
                TransactionId = txn.TransactionId, Mti = txn.Mti, Kind = txn.Kind, Pan = txn.Pan, ProcessingCode = txn.ProcessingCode,
                AmountMinor = 100, CurrencyNumeric = txn.CurrencyNumeric, Stan = txn.Stan, Expiry = txn.Expiry, Track2 = txn.Track2,
                TerminalId = "TERM0010", PinBlock = block, Ksn = ksn,
            };
            var request = f.Request(txn);
            var decision = await f.Authorizer.AuthorizeAsync(new OnUsRequest { Transaction = dukpt, Terminal = terminal, MasterData = request.MasterData, PanHashHex = request.PanHashHex }, TestTimeout.Token);
            Assert.Equal(code, decision.ResponseCode);
            f.Authorizer.Commit(decision);
        }
    }
}
