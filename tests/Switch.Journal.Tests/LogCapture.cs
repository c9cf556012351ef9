using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Switch.Journal.Tests;

/// <summary>A Serilog logger that keeps what it is told, to check warnings and that no PAN is logged.</summary>
internal sealed class LogCapture : ILogEventSink
{
    private readonly List<LogEvent> _events = [];

    public LogCapture() => Logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger();

    public Logger Logger { get; }

    public IReadOnlyList<LogEvent> Events
    {
        get { lock (_events) return [.. _events]; }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_events) _events.Add(logEvent);
    }

    public IEnumerable<string> Rendered(LogEventLevel level) => Events.Where(e => e.Level == level).Select(e => e.RenderMessage());
}
