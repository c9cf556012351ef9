using Serilog;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;
using Switch.Core.Time;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Network.Acceptor;
using Switch.Security;

namespace Switch.Core.Pipeline;

/// <summary>
/// The 30 the acceptor answers to a message it could not decode (docs/core.md "Answers outside the participants"):
/// journaled as RequestIn + ResponseOut with the fields read before the error, and signed with the terminal's TAK when
/// the answer may be: DE41 was read before the error and names a terminal whose profile requires a MAC and has a TAK,
/// and the request's own MAC verifies. The MAC field is the message's last field (DE64 ends the primary bitmap's
/// fields, DE128 the secondary's), so it is the last bytes of the message whatever field before it failed to decode;
/// the MAC covers the bytes from the MTI to it. Anything else (no DE41, an unknown terminal, a MAC that does not
/// verify, an HSM failure) is answered unsigned, as a 63 would be: the switch never signs what it could not authenticate.
/// </summary>
public sealed class FormatErrorAnswers(ISecurityModule module, IKeyRing keys, JournalParticipant journal, TransactionIds ids, MasterDataHolder masterData,
    IClock clock, ILogger log)
{
    private readonly ILogger _log = log.ForContext<FormatErrorAnswers>();

    /// <summary>Journals the 30 and signs it when the rule above allows; returns the answer to send.</summary>
    public async ValueTask<IsoMessage> AnswerAsync(FormatError error, SessionContext session, CancellationToken ct)
    {
        long now = clock.MonotonicTicks;
        var context = new TransactionContext(ids.Next(), error.Partial, session, now, now, masterData.Current) { Response = error.Answer };
        context.Decide(ResponseCode.FormatError, "acceptor");
        context.Terminal = TerminalOf(error.Partial, context.MasterData);
        if (await RequestMacVerifiesAsync(context, error, ct).ConfigureAwait(false))
        {
            try
            {
                await MessageMac.SignAsync(module, context.MacKey!, error.Answer, ct).ConfigureAwait(false);
                context.MacInUse = true;
            }
            catch (Exception ex) when (HsmFailure.KindOf(ex) is not null)
            {
                _log.Warning("Format error answer of terminal {Terminal} not signed: the security module failed ({Error})", context.Terminal!.TerminalId, ex.Message);
                error.Answer.Remove(MessageMac.FieldOf(error.Answer));
            }
        }
        await journal.AppendAnswerAsync(context, $"format;field={error.Field};offset={error.Offset};signed={(context.MacInUse ? 1 : 0)}", ct).ConfigureAwait(false);
        return error.Answer;
    }

    private static TerminalProfile? TerminalOf(IsoMessage partial, MasterDataSnapshot snapshot)
    {
        string? id = partial.Has(41) ? partial.GetString(41)?.TrimEnd() : null;
        return string.IsNullOrEmpty(id) ? null : snapshot.Terminal(id);
    }

    /// <summary>True when the terminal requires a MAC, has a TAK, and the message's trailing MAC verifies over the bytes before it.</summary>
    private async ValueTask<bool> RequestMacVerifiesAsync(TransactionContext context, FormatError error, CancellationToken ct)
    {
        if (context.Terminal is not { MacRequired: true, TakRef: { } takRef }) return false;
        var spec = error.Partial.Spec;
        if (spec[64] is not { } field || !TryTrailingMac(error.Raw, spec.HeaderLength, field, out var data, out byte[] mac)) return false;
        try
        {
            var key = await keys.GetAsync(takRef, ct).ConfigureAwait(false);
            if (!await module.VerifyMacAsync(key, MessageMac.Algorithm, MessageMac.Padding, data, mac, ct).ConfigureAwait(false)) return false;
            context.MacKey = key;
            return true;
        }
        catch (Exception ex) when (HsmFailure.KindOf(ex) is not null || ex is KeyNotFoundException or SecurityInputException)
        {
            _log.Warning("Format error of terminal {Terminal}: its MAC could not be checked ({Error}); answered unsigned", context.Terminal.TerminalId, ex.Message);
            return false;
        }
    }

    /// <summary>The MAC as the last field's fixed wire bytes (binary, or ASCII hex) and the bytes it covers; false when the message is too short for one.</summary>
    private static bool TryTrailingMac(ReadOnlyMemory<byte> raw, int header, Switch.Iso8583.Spec.FieldSpec field, out ReadOnlyMemory<byte> data, out byte[] mac)
    {
        data = default;
        mac = [];
        int wire = field.FixedWireBytes;
        if (wire <= 0 || raw.Length < header + 4 + wire) return false;
        var tail = raw.Span[^wire..];
        if (field.Encoding is BinaryEncoding && wire == MessageMac.MacBytes) mac = tail.ToArray();
        else if (field.Encoding == HexTextEncoding.Ascii && wire == 2 * MessageMac.MacBytes && IsHex(tail)) mac = Convert.FromHexString(System.Text.Encoding.ASCII.GetString(tail));
        else return false;
        data = raw[header..^wire];
        return true;
    }

    private static bool IsHex(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text) if (!char.IsAsciiHexDigit((char)b)) return false;
        return true;
    }
}
