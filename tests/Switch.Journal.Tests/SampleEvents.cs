using System.Security.Cryptography;
using Switch.Journal.Events;
using Switch.Journal.Pan;

namespace Switch.Journal.Tests;

/// <summary>Events as the pipeline would build them (test PANs only, never printed in clear).</summary>
internal static class SampleEvents
{
    public const string TestPan = "4761739001010010";

    public static readonly PanProtector Protector = new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));

    public static JournalEvent Approval(string transactionId, LegKind kind = LegKind.ResponseOut, long amount = 12_345) => new()
    {
        Kind = kind,
        TransactionId = transactionId,
        TimeUtc = new DateTime(2026, 12, 4, 18, 0, 0, DateTimeKind.Utc),
        LatencyUs = 1_234,
        Mti = "0210",
        ProcessingCode = "000000",
        PanMasked = PanProtector.Mask(TestPan),
        PanHash = Protector.Hash(TestPan),
        PanEncrypted = Protector.Encrypt(TestPan),
        AmountMinor = amount,
        CurrencyNumeric = 978,
        Stan = "000123",
        Rrn = "633812000123",
        TerminalId = "TERM0001",
        MerchantId = "MERCHANT0000001",
        AcquirerId = "12345678901",
        Route = "visa-main",
        Destination = "issuer-a",
        ResponseCode = "00",
        ApprovalCode = "A1B2C3",
    };
}
