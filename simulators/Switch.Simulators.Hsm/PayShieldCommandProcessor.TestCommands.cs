using System.Security.Cryptography;
using System.Text;
using Switch.Security;
using Switch.Security.Backends.PayShield;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Primitives;

namespace Switch.Simulators.Hsm;

// ◆ Switch simulator extensions for certification and test tooling (docs/hsm.md, "Simulator-only test commands").
// A production payShield never hands a host a generated ARQC (that is the card's job) or a derived DUKPT key, so
// real firmware has no such commands. They exist so that `crypto arqc|dukpt-tdes|dukpt-aes --backend payshield`
// give the same answers as the other back ends; PayShieldSimulatorOptions.ProductionCommandsOnly
// (`switch sim hsm --production-commands-only`) turns them off, and they are then answered as unknown commands.
public sealed partial class PayShieldCommandProcessor
{
    // ZA: scheme (1), IMK, card fields as KQ, data length (4H) + data → ARQC (16H).
    private string GenerateArqc(PayShieldReader r)
    {
        EmvScheme scheme = PayShieldCodes.ParseScheme(r.Take(1)[0]);
        SecureKey imk = Key(r.TakeKey());
        EmvCardContext card = ReadCard(r);
        byte[] data = ReadData(r);
        return Ok(Hex.Format(Sync(_module.GenerateArqcAsync(imk, scheme, card, data, CancellationToken.None))));
    }

    // ZC: BDK, KSN (20H) → IPEK, PIN key, MAC key, data key (32H each).
    private string DeriveDukptTdes(PayShieldReader r)
    {
        SecureKey bdk = Key(r.TakeKey());
        byte[] ksn = Hex.Parse(r.Take(20), "ksn");
        DukptTdesKeys keys = Sync(_module.DeriveDukptTdesAsync(bdk, ksn, CancellationToken.None));
        return Ok(FormatAndClear(keys.Ipek, keys.PinKey, keys.MacKey, keys.DataKey));
    }

    // ZE: key length in bits (3: 128/192/256), BDK, KSN (24H) → initial key, PIN key, MAC generation key, data key.
    private string DeriveDukptAes(PayShieldReader r)
    {
        int keyBytes = r.Take(3) switch
        {
            "128" => 16,
            "192" => 24,
            "256" => 32,
            _ => throw new PayShieldProtocolException(PayShieldCodes.InvalidInput, "key length"),
        };
        SecureKey bdk = Key(r.TakeKey());
        byte[] ksn = Hex.Parse(r.Take(24), "ksn");
        DukptAesKeys keys = Sync(_module.DeriveDukptAesAsync(bdk, keyBytes, ksn, CancellationToken.None));
        return Ok(FormatAndClear(keys.InitialKey, keys.PinKey, keys.MacGenerationKey, keys.DataKey));
    }

    // The hex answer is what the tester asked for; the byte copies need not outlive it.
    private static string FormatAndClear(params byte[][] keys)
    {
        var sb = new StringBuilder(keys.Sum(k => k.Length) * 2);
        foreach (byte[] key in keys)
        {
            sb.Append(Hex.Format(key));
            CryptographicOperations.ZeroMemory(key);
        }
        return sb.ToString();
    }
}
