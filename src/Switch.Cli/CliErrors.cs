using System.Text;
using System.Text.Json;
using Switch.Common.Configuration;
using Switch.Iso8583;

namespace Switch.Cli;

/// <summary>A user-facing command-line error: printed as one line on stderr, exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>The one place that decides how an error reaches the operator.</summary>
public static class CliErrors
{
    /// <summary>Errors caused by the input rather than by a bug.</summary>
    public static bool IsUserError(Exception ex) =>
        ex is CliException or IsoFormatException or JsonException or IOException or ConfigException
            or UnauthorizedAccessException or FormatException or ArgumentException or DecoderFallbackException
            || IsJsonTextError(ex);

    /// <summary>
    /// System.Text.Json reports some bad input (invalid UTF-8 inside a string, a token of the wrong kind) as an
    /// InvalidOperationException; in this program every JSON it reads is the operator's input.
    /// </summary>
    private static bool IsJsonTextError(Exception ex) =>
        ex is InvalidOperationException && ex.Source?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true;

    /// <summary>The message the operator sees for a user error.</summary>
    public static string Describe(Exception ex) => IsJsonTextError(ex) ? $"invalid JSON input: {ex.Message}" : ex.Message;

    /// <summary>Prints one line on stderr and returns exit code 1.</summary>
    public static int Fail(string message)
    {
        string oneLine = message.ReplaceLineEndings(" ").Trim();
        Console.Error.WriteLine($"error: {oneLine}");
        return 1;
    }
}
