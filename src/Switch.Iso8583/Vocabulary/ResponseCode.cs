using System.Collections.Frozen;

namespace Switch.Iso8583.Vocabulary;

/// <summary>
/// The one table of DE 39 response codes (ISO 8583:1987 two-character codes) the switch answers with, and their
/// meanings. The network layer, the security seam and the pipeline all answer through these names.
/// </summary>
public static class ResponseCode
{
    /// <summary>00 approved or completed successfully.</summary>
    public const string Approved = "00";
    /// <summary>01 refer to card issuer.</summary>
    public const string ReferToIssuer = "01";
    /// <summary>03 invalid merchant.</summary>
    public const string InvalidMerchant = "03";
    /// <summary>05 do not honour.</summary>
    public const string DoNotHonour = "05";
    /// <summary>06 error.</summary>
    public const string Error = "06";
    /// <summary>12 invalid transaction.</summary>
    public const string InvalidTransaction = "12";
    /// <summary>13 invalid amount.</summary>
    public const string InvalidAmount = "13";
    /// <summary>14 invalid card number (no such number).</summary>
    public const string InvalidCardNumber = "14";
    /// <summary>15 no such issuer.</summary>
    public const string NoSuchIssuer = "15";
    /// <summary>19 re-enter transaction.</summary>
    public const string ReEnterTransaction = "19";
    /// <summary>25 unable to locate record (original not found).</summary>
    public const string OriginalNotFound = "25";
    /// <summary>30 format error.</summary>
    public const string FormatError = "30";
    /// <summary>41 lost card, pick up.</summary>
    public const string LostCard = "41";
    /// <summary>43 stolen card, pick up.</summary>
    public const string StolenCard = "43";
    /// <summary>51 not sufficient funds.</summary>
    public const string InsufficientFunds = "51";
    /// <summary>54 expired card.</summary>
    public const string ExpiredCard = "54";
    /// <summary>55 incorrect PIN.</summary>
    public const string IncorrectPin = "55";
    /// <summary>57 transaction not permitted to cardholder.</summary>
    public const string NotPermittedToCardholder = "57";
    /// <summary>58 transaction not permitted to terminal.</summary>
    public const string NotPermittedToTerminal = "58";
    /// <summary>61 exceeds withdrawal amount limit.</summary>
    public const string ExceedsAmountLimit = "61";
    /// <summary>62 restricted card.</summary>
    public const string RestrictedCard = "62";
    /// <summary>63 security violation.</summary>
    public const string SecurityViolation = "63";
    /// <summary>65 exceeds withdrawal frequency limit.</summary>
    public const string ExceedsFrequencyLimit = "65";
    /// <summary>68 response received too late.</summary>
    public const string ResponseTooLate = "68";
    /// <summary>75 allowable number of PIN tries exceeded.</summary>
    public const string PinTriesExceeded = "75";
    /// <summary>91 issuer or switch inoperative.</summary>
    public const string IssuerOrSwitchInoperative = "91";
    /// <summary>92 financial institution or intermediate network cannot be found for routing.</summary>
    public const string RoutingError = "92";
    /// <summary>94 duplicate transmission.</summary>
    public const string DuplicateTransmission = "94";
    /// <summary>96 system malfunction.</summary>
    public const string SystemMalfunction = "96";

    private static readonly FrozenDictionary<string, string> Meanings = new Dictionary<string, string>
    {
        [Approved] = "approved",
        [ReferToIssuer] = "refer to card issuer",
        [InvalidMerchant] = "invalid merchant",
        [DoNotHonour] = "do not honour",
        [Error] = "error",
        [InvalidTransaction] = "invalid transaction",
        [InvalidAmount] = "invalid amount",
        [InvalidCardNumber] = "invalid card number",
        [NoSuchIssuer] = "no such issuer",
        [ReEnterTransaction] = "re-enter transaction",
        [OriginalNotFound] = "original transaction not found",
        [FormatError] = "format error",
        [LostCard] = "lost card",
        [StolenCard] = "stolen card",
        [InsufficientFunds] = "insufficient funds",
        [ExpiredCard] = "expired card",
        [IncorrectPin] = "incorrect PIN",
        [NotPermittedToCardholder] = "transaction not permitted to cardholder",
        [NotPermittedToTerminal] = "transaction not permitted to terminal",
        [ExceedsAmountLimit] = "exceeds amount limit",
        [RestrictedCard] = "restricted card",
        [SecurityViolation] = "security violation",
        [ExceedsFrequencyLimit] = "exceeds frequency limit",
        [ResponseTooLate] = "response received too late",
        [PinTriesExceeded] = "PIN tries exceeded",
        [IssuerOrSwitchInoperative] = "issuer or switch inoperative",
        [RoutingError] = "no route to the institution",
        [DuplicateTransmission] = "duplicate transmission",
        [SystemMalfunction] = "system malfunction",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>All codes of the table.</summary>
    public static IEnumerable<string> All => Meanings.Keys;

    /// <summary>True for 00 (the only approval code the switch gives; 08/10/11 are not used).</summary>
    public static bool IsApproval(string? code) => code == Approved;

    /// <summary>The meaning of a code, "unknown response code 'NN'" for one outside the table, "no response code" for null.</summary>
    public static string Describe(string? code) =>
        code is null ? "no response code"
        : Meanings.TryGetValue(code, out string? meaning) ? meaning
        : $"unknown response code '{code}'";

    /// <summary>True when the code is in the table.</summary>
    public static bool IsKnown(string? code) => code is not null && Meanings.ContainsKey(code);
}
