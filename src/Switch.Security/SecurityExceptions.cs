namespace Switch.Security;

/// <summary>What was wrong with the input to a security operation, so callers classify without reading messages.</summary>
public enum SecurityInputProblem
{
    /// <summary>Malformed or out-of-range input (hex, lengths, formats, unknown names).</summary>
    Invalid,
    /// <summary>The PIN block does not decipher to a valid block under the key (wrong key, PAN or format).</summary>
    PinBlock,
    /// <summary>A PIN with fewer than 4 or more than 12 digits, or a non-digit.</summary>
    PinLength,
    /// <summary>A key that is not valid (wrong length, weak, not valid under the LMK, not found).</summary>
    Key,
    /// <summary>A verification that did not match, reported as an error by a tool.</summary>
    VerificationFailed,
}

/// <summary>Bad input to a security operation (not hex, wrong key length, malformed PIN block…): the caller's fault.</summary>
/// <remarks>A <see cref="FormatException"/> so command-line tools report it as one line; messages never contain secrets.</remarks>
public sealed class SecurityInputException(string message, SecurityInputProblem problem = SecurityInputProblem.Invalid) : FormatException(message)
{
    /// <summary>The kind of problem (for mapping to protocol error codes without matching message text).</summary>
    public SecurityInputProblem Problem { get; } = problem;
}

/// <summary>Why a call to the HSM failed; the pipeline maps kinds to DE39 (the security library knows no DE39).</summary>
public enum HsmFailureKind
{
    /// <summary>The HSM cannot be reached or lost its state (connection refused, token removed, session closed).</summary>
    Unavailable,
    /// <summary>The HSM did not answer within the configured timeout.</summary>
    Timeout,
    /// <summary>The circuit breaker is open after repeated failures: the HSM was not called.</summary>
    CircuitOpen,
    /// <summary>The HSM answered a well-formed request with an error code.</summary>
    Refused,
}

/// <summary>The HSM could not answer in time or at all (token removed, connection refused, timeout, circuit open).</summary>
/// <remarks>An <see cref="IOException"/>: it is an operating condition, not a bug.</remarks>
public sealed class HsmUnavailableException : IOException
{
    /// <summary>Creates the exception with a message that names the back end and the cause.</summary>
    public HsmUnavailableException(string message, HsmFailureKind kind = HsmFailureKind.Unavailable) : base(message)
    {
        Kind = kind;
    }

    /// <summary>Creates the exception wrapping the transport or token error.</summary>
    public HsmUnavailableException(string message, Exception inner, HsmFailureKind kind = HsmFailureKind.Unavailable) : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>Unavailable, timeout or circuit open.</summary>
    public HsmFailureKind Kind { get; }
}

/// <summary>The HSM answered with an error code for a well-formed request (e.g. a key parity or LMK error).</summary>
public sealed class HsmErrorException(string errorCode, string message) : Exception(message)
{
    /// <summary>The back end's error code (payShield two characters, or the PKCS#11 CKR name).</summary>
    public string ErrorCode { get; } = errorCode;

    /// <summary>Always <see cref="HsmFailureKind.Refused"/>.</summary>
    public HsmFailureKind Kind => HsmFailureKind.Refused;
}

/// <summary>Classifies an exception from a security module.</summary>
public static class HsmFailure
{
    /// <summary>The failure kind of an HSM failure, or null when <paramref name="ex"/> is not one (bad input, a bug, cancellation).</summary>
    public static HsmFailureKind? KindOf(Exception ex) => ex switch
    {
        HsmUnavailableException u => u.Kind,
        HsmErrorException e => e.Kind,
        _ => null,
    };
}
