namespace Switch.Security;

/// <summary>Bad input to a security operation (not hex, wrong key length, malformed PIN block…): the caller's fault.</summary>
/// <remarks>A <see cref="FormatException"/> so command-line tools report it as one line; messages never contain secrets.</remarks>
public sealed class SecurityInputException(string message) : FormatException(message);

/// <summary>The HSM could not answer in time or at all (token removed, connection refused, timeout, circuit open).</summary>
/// <remarks>An <see cref="IOException"/>: it is an operating condition, not a bug; the pipeline declines (DE39 91/96).</remarks>
public sealed class HsmUnavailableException : IOException
{
    /// <summary>Creates the exception with a message that names the back end and the cause.</summary>
    public HsmUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the transport or token error.</summary>
    public HsmUnavailableException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The HSM answered with an error code for a well-formed request (e.g. a key parity or LMK error).</summary>
public sealed class HsmErrorException(string errorCode, string message) : Exception(message)
{
    /// <summary>The back end's two-character error code (payShield style; "15" = invalid input, …).</summary>
    public string ErrorCode { get; } = errorCode;
}
