using Switch.Core.Keys;
using Switch.Core.Transactions;
using Switch.Iso8583;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Network.Connector;
using Switch.Security;
using Switch.Security.Pin;

namespace Switch.Core.Issuers;

/// <summary>An issuer leg, or why none could be built (the DE39 to answer and the reason to log).</summary>
internal readonly record struct LegBuild(IsoMessage? Leg, string? ResponseCode, string? Reason);

/// <summary>
/// Builds the issuer leg of a terminal's request in the connector's dialect: the terminal's fields copied (never its
/// DE52, DE53 or MAC, nor the DUKPT KSN field), the switch's own STAN and institution id, and the PIN block
/// translated from the terminal's TPK (or DUKPT BDK and KSN) to the issuer's ZPK inside the security module.
/// </summary>
internal sealed class IssuerLegs(ISecurityModule security, IKeyRing keys, string institutionId)
{
    /// <summary>Fields copied from the terminal's request when present (DE11, 32, 33 are the switch's; 52, 53, 64, 128 never go on).</summary>
    private static readonly int[] CopiedFields = [2, 3, 4, 5, 6, 7, 9, 10, 12, 13, 14, 15, 18, 19, 22, 23, 25, 26, 35, 36, 37, 41, 42, 43, 45, 49, 50, 51, 55, 95];

    /// <summary>The MTI of a first transmission (a terminal's repeat digit cleared: the issuer has not seen it).</summary>
    public static string FirstTransmission(string mti) =>
        Switch.Iso8583.Vocabulary.Mti.IsRepeat(mti) ? string.Concat(mti.AsSpan(0, 3), ((char)(mti[3] - 1)).ToString()) : mti;

    /// <summary>Builds the leg; a failure is answered without anything being sent.</summary>
    public async ValueTask<LegBuild> BuildAsync(IssuerRequest request, IsoConnector connector, string? zpkRef, CancellationToken ct)
    {
        var txn = request.Transaction;
        IsoMessage leg;
        try
        {
            leg = connector.Spec.NewMessage(FirstTransmission(txn.Mti));
            foreach (int field in CopiedFields)
            {
                if (field != request.Terminal.KsnField) Copy(request.TerminalRequest, leg, field);
            }
            leg.Set(11, connector.NextStan());
            leg.Set(32, institutionId);
        }
        catch (IsoFormatException ex)
        {
            return new LegBuild(null, Switch.Iso8583.Vocabulary.ResponseCode.SystemMalfunction,
                $"the request cannot be written in connector {connector.Name}'s spec {connector.Spec.Name}: field {ex.Field}: {ex.Reason}");
        }
        if (!txn.HasPin) return new LegBuild(leg, null, null);
        var pin = await TranslatePinAsync(request, zpkRef, ct).ConfigureAwait(false);
        if (pin.Block is null) return new LegBuild(null, pin.ResponseCode, pin.Reason);
        leg.SetBinary(52, pin.Block);
        return new LegBuild(leg, null, null);
    }

    private static void Copy(IsoMessage source, IsoMessage target, int field)
    {
        if (!source.Has(field)) return;
        var to = target.Spec[field];
        var from = source.Spec[field];
        if (to is null || from is null || to.Type is FieldType.Composite or FieldType.Bitmap || from.Type is FieldType.Composite or FieldType.Bitmap) return;
        bool binaryTo = to.Type == FieldType.Binary, binaryFrom = from.Type == FieldType.Binary;
        if (binaryTo && binaryFrom) target.SetBinary(field, source.GetBinary(field).Span);
        else if (!binaryTo && !binaryFrom) target.Set(field, source.GetString(field)!);
        else if (binaryTo) target.SetBinary(field, Convert.FromHexString(source.GetString(field)!));
        else target.Set(field, source.GetString(field)!);
    }

    private readonly record struct PinResult(byte[]? Block, string? ResponseCode, string? Reason);

    private async ValueTask<PinResult> TranslatePinAsync(IssuerRequest request, string? zpkRef, CancellationToken ct)
    {
        const string Malfunction = Switch.Iso8583.Vocabulary.ResponseCode.SystemMalfunction;
        var txn = request.Transaction;
        var terminal = request.Terminal;
        if (zpkRef is null) return new PinResult(null, Malfunction, $"destination {request.Route.Destination} has no issuer profile (ZPK) to translate the PIN to");
        if (txn.Pan is null) return new PinResult(null, Malfunction, "a PIN block without a PAN");
        try
        {
            var zpk = await keys.GetAsync(zpkRef, ct).ConfigureAwait(false);
            var output = new byte[8];
            int n;
            if (terminal.BdkRef is { } bdkRef && !txn.Ksn.IsEmpty)
            {
                var bdk = await keys.GetAsync(bdkRef, ct).ConfigureAwait(false);
                n = await security.TranslateDukptPinAsync(bdk, txn.Ksn, PinBlockFormat.Iso0, txn.PinBlock, txn.Pan, zpk, PinBlockFormat.Iso0, output, ct).ConfigureAwait(false);
            }
            else if (terminal.TpkRef is { } tpkRef)
            {
                var tpk = await keys.GetAsync(tpkRef, ct).ConfigureAwait(false);
                n = await security.TranslatePinAsync(new EncryptedPinBlock(tpk, PinBlockFormat.Iso0, txn.PinBlock), txn.Pan, zpk, PinBlockFormat.Iso0, output, ct).ConfigureAwait(false);
            }
            else
            {
                return new PinResult(null, Malfunction, $"terminal {terminal.TerminalId} has neither a TPK nor a BDK for its PIN block");
            }
            return new PinResult(output[..n], null, null);
        }
        catch (SecurityInputException ex)
        {
            // The block does not decipher to a format 0 PIN block under the terminal's key: a wrong PIN entry or key.
            return new PinResult(null, Switch.Iso8583.Vocabulary.ResponseCode.IncorrectPin, $"the PIN block does not translate: {ex.Message}");
        }
        catch (Exception ex) when (ex is HsmUnavailableException or HsmErrorException or KeyNotFoundException)
        {
            // Fail closed: no PIN goes to the issuer untranslated.
            return new PinResult(null, Malfunction, $"PIN translation failed: {ex.Message}");
        }
    }
}
