using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Switch.Network.Tests;

/// <summary>A Serilog sink keeping every event's rendered message, for tests that read what was logged.</summary>
internal sealed class CollectingLogSink : ILogEventSink
{
    private readonly List<LogEvent> _events = [];

    public void Emit(LogEvent logEvent)
    {
        lock (_events) _events.Add(logEvent);
    }

    /// <summary>Rendered messages of the events logged at <paramref name="level"/> or above.</summary>
    public IReadOnlyList<string> Messages(LogEventLevel level = LogEventLevel.Verbose)
    {
        lock (_events)
        {
            return _events.Where(e => e.Level >= level).Select(e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        }
    }

    public static (Logger Logger, CollectingLogSink Sink) Create()
    {
        var sink = new CollectingLogSink();
        return (new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger(), sink);
    }
}
