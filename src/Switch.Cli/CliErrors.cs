using System.Text.Json;
using Switch.Iso8583;

namespace Switch.Cli;

/// <summary>A user-facing command-line error: printed as one line on stderr, exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>The one place that decides how an error reaches the operator.</summary>
public static class CliErrors
{
    /// <summary>Errors caused by the input rather than by a bug.</summary>
    public static bool IsUserError(Exception ex) =>
        ex is CliException or IsoFormatException or JsonException or IOException
            or UnauthorizedAccessException or FormatException or ArgumentException;

    /// <summary>Prints one line on stderr and returns exit code 1.</summary>
    public static int Fail(string message)
    {
        string oneLine = message.ReplaceLineEndings(" ").Trim();
        Console.Error.WriteLine($"error: {oneLine}");
        return 1;
    }
}
