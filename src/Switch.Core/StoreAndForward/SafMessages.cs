using System.Globalization;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Journal.Pan;

namespace Switch.Core.StoreAndForward;

/// <summary>Builds the ISO 8583 message of a store-and-forward entry in the connector's dialect.</summary>
internal static class SafMessages
{
    /// <summary>
    /// Transmission <paramref name="attempt"/> (0: the first, as 0420/0120/0220; later ones as repeats) of
    /// <paramref name="entry"/>. The PAN is decrypted here, into the message only (memory, never logged or stored).
    /// </summary>
    public static IsoMessage Build(SafEntry entry, int attempt, MessageSpec spec, string institutionId, PanProtector pans)
    {
        var message = spec.NewMessage(entry.MtiOf(attempt));
        Span<char> pan = stackalloc char[19];
        int length = pans.Decrypt(entry.PanEncrypted.Span, pan);
        message.Set(2, new string(pan[..length]));
        pan.Clear();
        if (entry.ProcessingCode.Length > 0) message.Set(3, entry.ProcessingCode);
        message.Set(4, entry.AmountMinor.ToString("D12", CultureInfo.InvariantCulture));
        message.Set(7, entry.TransmissionDateTime);
        message.Set(11, entry.Stan);
        if (entry.LocalTime is { } time) message.Set(12, time);
        if (entry.LocalDate is { } date) message.Set(13, date);
        message.Set(32, institutionId);
        if (entry.Rrn.Length > 0) message.Set(37, entry.Rrn);
        if (entry.ApprovalCode is { } approval) message.Set(38, approval);
        if (entry.ResponseCode is { } code) message.Set(39, code);
        if (entry.TerminalId.Length > 0) message.Set(41, entry.TerminalId);
        if (entry.MerchantId.Length > 0) message.Set(42, entry.MerchantId);
        if (entry.CurrencyNumeric != 0) message.Set(49, entry.CurrencyNumeric.ToString("D3", CultureInfo.InvariantCulture));
        if (entry.OriginalData is { } original) message.Set(90, original);
        if (entry.ReplacementAmounts is { } replacement) message.Set(95, replacement);
        return message;
    }
}
