using Switch.Security.Emv;
using Switch.Security.Mac;
using Switch.Security.Pin;

namespace Switch.Security.Backends.PayShield;

/// <summary>payShield field codes shared by the client and the simulator.</summary>
public static class PayShieldCodes
{
    /// <summary>Error code: no error.</summary>
    public const string Ok = "00";

    /// <summary>Error code: verification failed (PIN, MAC, CVV, ARQC).</summary>
    public const string VerificationFailure = "01";

    /// <summary>Error code: invalid input data.</summary>
    public const string InvalidInput = "15";

    /// <summary>Error code: PIN block does not contain valid values (wrong key, PAN or format).</summary>
    public const string BadPinBlock = "20";

    /// <summary>Error code: invalid PIN block format code.</summary>
    public const string BadFormatCode = "23";

    /// <summary>Error code: PIN is fewer than 4 or more than 12 digits.</summary>
    public const string BadPinLength = "24";

    /// <summary>Error code: key scheme or key not valid under the LMK.</summary>
    public const string BadKey = "10";

    /// <summary>Error code used by the simulator for a command it does not implement.</summary>
    public const string UnknownCommand = "ZZ";

    /// <summary>payShield error code: command not licensed.</summary>
    public const string CommandNotLicensed = "67";

    /// <summary>payShield error code: command has been disabled.</summary>
    public const string CommandDisabled = "68";

    /// <summary>◆ Simulator-only test command: generate an ARQC as the card would (response ZB).</summary>
    public const string GenerateArqcCommand = "ZA";

    /// <summary>◆ Simulator-only test command: derive and return the TDES DUKPT keys for a KSN (response ZD).</summary>
    public const string DeriveDukptTdesCommand = "ZC";

    /// <summary>◆ Simulator-only test command: derive and return the AES DUKPT keys for a KSN (response ZF).</summary>
    public const string DeriveDukptAesCommand = "ZE";

    /// <summary>
    /// True when a response says the HSM does not offer the command at all: response code ZZ (how common payShield emulators
    /// answer a command code they do not know), or the expected response code with error ZZ (this simulator's
    /// unknown command), 67 (not licensed) or 68 (disabled). <paramref name="error"/> is the code to report.
    /// </summary>
    public static bool IsUnsupported(string command, string response, out string error)
    {
        error = response.Length >= 4 ? response.Substring(2, 2) : "";
        if (response.StartsWith(UnknownCommand, StringComparison.Ordinal))
        {
            error = UnknownCommand;
            return true;
        }
        return response.Length >= 4 && response[..2] == ResponseCode(command) && error is UnknownCommand or CommandNotLicensed or CommandDisabled;
    }

    /// <summary>payShield PIN block format code for an ISO 9564 format.</summary>
    public static string FormatCode(PinBlockFormat format) => format switch
    {
        PinBlockFormat.Iso0 => "01",
        PinBlockFormat.Iso1 => "05",
        PinBlockFormat.Iso3 => "47",
        _ => "48",
    };

    /// <summary>ISO 9564 format for a payShield format code.</summary>
    public static PinBlockFormat ParseFormatCode(string code) => code switch
    {
        "01" => PinBlockFormat.Iso0,
        "05" => PinBlockFormat.Iso1,
        "47" => PinBlockFormat.Iso3,
        "48" => PinBlockFormat.Iso4,
        _ => throw new PayShieldProtocolException(BadFormatCode, "invalid PIN block format code"),
    };

    /// <summary>
    /// Account number field: the 12 rightmost PAN digits before the check digit; when a format 4 block is involved the
    /// whole PAN is needed, sent as a 2-digit length and the digits.
    /// </summary>
    public static string Account(string pan, bool fullPan)
    {
        if (fullPan) return pan.Length.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + pan;
        string body = pan.Length > 1 ? pan[..^1] : "";
        return body.Length >= 12 ? body[^12..] : body.PadLeft(12, '0');
    }

    /// <summary>
    /// Reads an account field back into a PAN-shaped string the library accepts: the full PAN, or the 12 digits
    /// followed by a placeholder check digit (the algorithms never read the check digit).
    /// </summary>
    public static string ReadAccount(PayShieldReader r, bool fullPan) => fullPan ? r.Take(r.TakeNumber(2)) : r.Take(12) + "0";

    /// <summary>M6/M8 algorithm code.</summary>
    public static char MacAlgorithmCode(MacAlgorithm alg) => alg switch
    {
        MacAlgorithm.Iso9797Alg1 => '1',
        MacAlgorithm.Iso9797Alg3 => '3',
        MacAlgorithm.TdesCmac => '6',
        _ => '7',
    };

    /// <summary>MAC algorithm for an M6/M8 algorithm code.</summary>
    public static MacAlgorithm ParseMacAlgorithm(char code) => code switch
    {
        '1' => MacAlgorithm.Iso9797Alg1,
        '3' => MacAlgorithm.Iso9797Alg3,
        '6' => MacAlgorithm.TdesCmac,
        '7' => MacAlgorithm.AesCmac,
        _ => throw new PayShieldProtocolException(InvalidInput, "invalid MAC algorithm"),
    };

    /// <summary>KQ scheme identifier (simulator assignment, see docs/hsm.md).</summary>
    public static char SchemeCode(EmvScheme scheme) => scheme switch
    {
        EmvScheme.VisaCvn10 => '0',
        EmvScheme.EmvCsk => '1',
        _ => '2',
    };

    /// <summary>EMV scheme for a KQ scheme identifier.</summary>
    public static EmvScheme ParseScheme(char code) => code switch
    {
        '0' => EmvScheme.VisaCvn10,
        '1' => EmvScheme.EmvCsk,
        '2' => EmvScheme.VisaCvn18,
        _ => throw new PayShieldProtocolException(InvalidInput, "invalid scheme identifier"),
    };

    /// <summary>The response code for a command: second letter advanced by one (NC → ND, CA → CB).</summary>
    public static string ResponseCode(string command) => string.Concat(command.AsSpan(0, 1), ((char)(command[1] + 1)).ToString());
}
