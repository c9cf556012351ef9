using Switch.Common.Configuration;

namespace Switch.Routing;

/// <summary>The "routing" section of the host's configuration: the table's size limit and how reloads behave.</summary>
public sealed class RoutingOptions
{
    /// <summary>Most routes the table holds; the store refuses an add beyond it and a reload refuses a larger table.</summary>
    public int RoutesMax { get; init; } = 100_000;

    /// <summary>First wait before reconnecting to Postgres after the listening connection failed.</summary>
    public int ReconnectBackoffMinMs { get; init; } = 100;

    /// <summary>Longest wait between reconnection attempts (the wait doubles up to this).</summary>
    public int ReconnectBackoffMaxMs { get; init; } = 2_000;

    /// <summary>How often the listener also compares the stored version with its own (a missed notification, a silent peer).</summary>
    public int VersionCheckMs { get; init; } = 5_000;

    /// <summary>Binds and validates the section; every problem names the key.</summary>
    public static RoutingOptions FromSection(ConfigSection section)
    {
        var options = section.Bind<RoutingOptions>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws <see cref="ConfigException"/> for the first bad value.</summary>
    public void Validate(ConfigSection section)
    {
        RequireRange(section, "routesMax", RoutesMax, 1, 10_000_000);
        RequireRange(section, "reconnectBackoffMinMs", ReconnectBackoffMinMs, 10, 60_000);
        RequireRange(section, "reconnectBackoffMaxMs", ReconnectBackoffMaxMs, ReconnectBackoffMinMs, 300_000);
        RequireRange(section, "versionCheckMs", VersionCheckMs, 100, 600_000);
    }

    private static void RequireRange(ConfigSection section, string key, int value, int min, int max)
    {
        if (value < min || value > max) throw section.Error(key, $"is {value}; expected {min} to {max}");
    }
}
