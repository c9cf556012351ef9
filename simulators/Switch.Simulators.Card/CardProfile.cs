using System.Text.Json;
using System.Text.Json.Serialization;
using Switch.Common.IO;
using Switch.Common.Masking;
using Switch.Core.MasterData;

namespace Switch.Simulators.Card;

/// <summary>
/// The card a terminal reads: PAN, expiry (YYMM), service code, track 2 and, for a test card, its PIN. A demo card by
/// letter (A–F on-us, R the remote issuer's), or a profile JSON file. <see cref="ToString"/> is masked.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CardProfile(string Pan, string Expiry, string ServiceCode, string? Track2 = null, string? Pin = null, string? ImkAc = null, string? Psn = null)
{
    /// <summary>Largest profile file read.</summary>
    public const int FileBytesMax = 64 * 1024;

    /// <summary>A demo card: A–F (on-us) or R (the remote issuer's card).</summary>
    public static CardProfile Demo(char letter)
    {
        if (char.ToUpperInvariant(letter) == 'R')
        {
            var r = DemoDataSet.All.RemoteCard;
            return new CardProfile(r.Pan, r.Expiry, r.ServiceCode, r.Track2, r.Pin);
        }
        var c = DemoDataSet.Card(letter);
        return new CardProfile(c.Pan, c.Expiry, DemoDataSet.All.ServiceCode, c.Track2, c.Pin);
    }

    /// <summary>A demo card letter (A–F, R) or the path of a profile JSON file.</summary>
    public static CardProfile Resolve(string letterOrPath)
    {
        if (letterOrPath.Length == 1 && "ABCDEFRabcdefr".Contains(letterOrPath[0], StringComparison.Ordinal)) return Demo(letterOrPath[0]);
        if (letterOrPath.Length == 1) throw new ArgumentException($"card '{letterOrPath}': a demo card is A-F or R (or give a profile file)");
        return Load(letterOrPath);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Reads a profile file: {"pan", "expiry", "serviceCode", "track2"?, "pin"?} (bounded, strict JSON, checked).</summary>
    public static CardProfile Load(string path)
    {
        string text = BoundedFile.ReadAllText(path, FileBytesMax);
        CardProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<CardProfile>(text, JsonOptions);
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is long line ? $"line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "position unknown";
            int tail = ex.Message.IndexOf(" Path: ", StringComparison.Ordinal);
            throw new ArgumentException($"card profile {path}: {where}: {(tail > 0 ? ex.Message[..tail] : ex.Message)}");
        }
        if (profile is null) throw new ArgumentException($"card profile {path}: must be a JSON object");
        profile.Validate(path);
        return profile;
    }

    private void Validate(string source)
    {
        if (Pan.Length is < 12 or > 19 || !IssuerRulesDigits(Pan)) throw new ArgumentException($"card profile {source}: pan must be 12 to 19 digits");
        if (Expiry.Length != 4 || !IssuerRulesDigits(Expiry)) throw new ArgumentException($"card profile {source}: expiry must be YYMM");
        if (ServiceCode.Length != 3 || !IssuerRulesDigits(ServiceCode)) throw new ArgumentException($"card profile {source}: serviceCode must be 3 digits");
        if (Track2 is not null && (Track2.Length > 37 || !Track2.StartsWith(Pan + "=", StringComparison.Ordinal) || !IssuerRulesDigits(Track2.Replace("=", "", StringComparison.Ordinal))))
            throw new ArgumentException($"card profile {source}: track2 must be the PAN, '=', then digits (at most 37 characters)");
        if (Pin is not null && (Pin.Length is < 4 or > 12 || !IssuerRulesDigits(Pin))) throw new ArgumentException($"card profile {source}: pin must be 4 to 12 digits");
        if (Psn is not null && (Psn.Length != 2 || !IssuerRulesDigits(Psn))) throw new ArgumentException($"card profile {source}: psn must be 2 digits");
        if (ImkAc is not null) DemoKeys.ClearHex(ImkAc, $"card profile {source}: imkAc");
    }

    private static bool IssuerRulesDigits(string s) => RequestMatch.IsDigits(s);

    /// <summary>Track 2 as given, or built: PAN = YYMM service code, zeros.</summary>
    public string Track2Data => Track2 ?? $"{Pan}={Expiry}{ServiceCode}0000000000";

    /// <summary>Masked.</summary>
    public override string ToString() => $"card {PanMask.Mask(Pan)}";
}
