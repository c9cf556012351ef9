namespace Switch.Security.Resilience;

/// <summary>How the pipeline answers a transaction when the security module fails (FAULTS.md F16).</summary>
public static class HsmDecline
{
    /// <summary>DE39 "issuer or switch inoperative": the HSM is unavailable, slow or the circuit is open.</summary>
    public const string IssuerOrSwitchInoperative = "91";

    /// <summary>DE39 "system malfunction": the HSM answered with an unexpected error.</summary>
    public const string SystemMalfunction = "96";

    /// <summary>
    /// The DE39 response code for a security-module failure, or null when the exception is not one (bad input is a
    /// format or PIN problem the caller maps itself). There is no software fallback for PIN handling in production.
    /// </summary>
    public static string? ResponseCode(Exception ex) => ex switch
    {
        HsmUnavailableException => IssuerOrSwitchInoperative,
        HsmErrorException => SystemMalfunction,
        _ => null,
    };
}
