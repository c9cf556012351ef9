using Switch.Iso8583.Vocabulary;

namespace Switch.Iso20022.Translation;

/// <summary>DE 39 ⇄ ISO 20022 status, status reason, cancellation reason and return reason codes (tables in docs/iso20022-mapping.md).</summary>
public static class StatusCodes
{
    private static readonly Dictionary<string, string> ReasonOfDe39 = new(StringComparer.Ordinal)
    {
        [ResponseCode.ReferToIssuer] = "MS03", [ResponseCode.InvalidMerchant] = "AG01", [ResponseCode.DoNotHonour] = "MS03",
        [ResponseCode.Error] = "MS03", [ResponseCode.InvalidTransaction] = "AG03", [ResponseCode.InvalidAmount] = "AM12",
        [ResponseCode.InvalidCardNumber] = "AC01", [ResponseCode.NoSuchIssuer] = "RC01", [ResponseCode.ReEnterTransaction] = "MS03",
        [ResponseCode.OriginalNotFound] = "MS03", [ResponseCode.FormatError] = "FF01", [ResponseCode.LostCard] = "AC06",
        [ResponseCode.StolenCard] = "AC06", [ResponseCode.InsufficientFunds] = "AM04", [ResponseCode.ExpiredCard] = "AG01",
        [ResponseCode.IncorrectPin] = "AG01", [ResponseCode.NotPermittedToCardholder] = "AG01", [ResponseCode.NotPermittedToTerminal] = "AG01",
        [ResponseCode.ExceedsAmountLimit] = "AM02", [ResponseCode.RestrictedCard] = "AC06", [ResponseCode.SecurityViolation] = "AG01",
        [ResponseCode.ExceedsFrequencyLimit] = "AM02", [ResponseCode.ResponseTooLate] = "AB05", [ResponseCode.PinTriesExceeded] = "AG01",
        [ResponseCode.IssuerOrSwitchInoperative] = "AB08", [ResponseCode.RoutingError] = "CNOR", [ResponseCode.DuplicateTransmission] = "AM05",
        [ResponseCode.SystemMalfunction] = "AB09",
    };

    // The way back picks one DE 39 per reason; where several codes share a reason the first of the table wins.
    private static readonly Dictionary<string, string> De39OfReason = new(StringComparer.Ordinal)
    {
        ["MS03"] = ResponseCode.DoNotHonour, ["AG01"] = ResponseCode.NotPermittedToCardholder, ["AG03"] = ResponseCode.InvalidTransaction,
        ["AM12"] = ResponseCode.InvalidAmount, ["AM09"] = ResponseCode.InvalidAmount, ["AC01"] = ResponseCode.InvalidCardNumber,
        ["AC03"] = ResponseCode.InvalidCardNumber, ["AC04"] = ResponseCode.InvalidCardNumber, ["AC06"] = ResponseCode.RestrictedCard,
        ["RC01"] = ResponseCode.NoSuchIssuer, ["FF01"] = ResponseCode.FormatError, ["AM04"] = ResponseCode.InsufficientFunds,
        ["AM02"] = ResponseCode.ExceedsAmountLimit, ["AB05"] = ResponseCode.ResponseTooLate, ["AB06"] = ResponseCode.ResponseTooLate,
        ["AB08"] = ResponseCode.IssuerOrSwitchInoperative, ["CNOR"] = ResponseCode.RoutingError, ["DNOR"] = ResponseCode.RoutingError,
        ["AM05"] = ResponseCode.DuplicateTransmission, ["DUPL"] = ResponseCode.DuplicateTransmission, ["AB09"] = ResponseCode.SystemMalfunction,
        ["AB10"] = ResponseCode.SystemMalfunction, ["NARR"] = ResponseCode.DoNotHonour,
    };

    private static readonly HashSet<string> Accepted = new(StringComparer.Ordinal) { "ACSC", "ACCP", "ACSP", "ACWC", "ACTC", "ACCC", "ACFC", "ACIS", "ACWP", "PART" };

    /// <summary>DE 39 → transaction status and, for a decline, the status reason code.</summary>
    public static (string Status, string? Reason) StatusOf(string de39) =>
        ResponseCode.IsApproval(de39) ? ("ACSC", null) : ("RJCT", ReasonOfDe39.GetValueOrDefault(de39, "MS03"));

    /// <summary>Transaction status and reason → DE 39; a pending status has none.</summary>
    public static string De39Of(string? status, string? reason)
    {
        if (status is not null && Accepted.Contains(status)) return ResponseCode.Approved;
        if (status == "PDNG") throw new Iso20022TranslationException("status PDNG (pending) has no ISO 8583 response code; translate the final status.");
        if (status is null && reason is null) throw new Iso20022TranslationException("the status report gives neither a status nor a reason.");
        return reason is not null && De39OfReason.TryGetValue(reason, out string? code) ? code : ResponseCode.DoNotHonour;
    }

    /// <summary>DE 39 of a reversal → cancellation or return reason code.</summary>
    public static string ReversalReasonOf(string? de39) => de39 switch
    {
        ResponseCode.DuplicateTransmission => "DUPL",
        ResponseCode.SecurityViolation => "FRAD",
        ResponseCode.InvalidAmount => "AM09",
        ResponseCode.ResponseTooLate or ResponseCode.SystemMalfunction or ResponseCode.IssuerOrSwitchInoperative => "TECH",
        _ => "CUST",
    };

    /// <summary>Cancellation or return reason → DE 39 of the reversal.</summary>
    public static string De39OfReversalReason(string? reason) => reason switch
    {
        "DUPL" => ResponseCode.DuplicateTransmission,
        "FRAD" => ResponseCode.SecurityViolation,
        "AM09" => ResponseCode.InvalidAmount,
        "TECH" => ResponseCode.ResponseTooLate,
        _ => ResponseCode.Approved,
    };
}
