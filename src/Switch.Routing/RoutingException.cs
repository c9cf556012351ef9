namespace Switch.Routing;

/// <summary>A routing operation refused: bad input, an unknown destination, a missing route. The message is one sentence for the operator.</summary>
public class RoutingException(string message) : Exception(message);

/// <summary>The route store cannot be reached (F12): changes are refused; the running switch keeps routing from memory.</summary>
public sealed class RoutingUnavailableException(string message, Exception? inner = null) : RoutingException(message)
{
    /// <summary>The driver's error, for logs (the message already says what happened).</summary>
    public Exception? Cause { get; } = inner;
}
