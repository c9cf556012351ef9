using System.Net;
using System.Text.Json.Serialization;
using Switch.Common.Configuration;

namespace Switch.Admin;

/// <summary>The "admin" section of switch.json: where the loopback admin endpoint listens and its limits (docs/operations.md).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class AdminOptions
{
    /// <summary>Whether the admin endpoint runs at all.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The address to bind: a loopback address unless <see cref="AllowRemote"/> (readiness names internal state).</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks a free one (tests), the bound port is <see cref="AdminServer.Port"/>.</summary>
    public int Port { get; init; } = 9102;

    /// <summary>Allows a non-loopback <see cref="Bind"/> (behind a firewall or a scraping proxy only).</summary>
    public bool AllowRemote { get; init; }

    /// <summary>Most connections open at once (scrapers and probes are few).</summary>
    public int ConnectionsMax { get; init; } = 16;

    /// <summary>How long the Postgres readiness probe (SELECT 1) may take, connecting included.</summary>
    public int PostgresTimeoutMs { get; init; } = 1_000;

    /// <summary>How long a Postgres probe's result is reused, so a storm of scrapes does not hammer the database.</summary>
    public int PostgresCacheMs { get; init; } = 2_000;

    /// <summary>The defaults: enabled on 127.0.0.1:9102.</summary>
    public static AdminOptions Default { get; } = new();

    /// <summary>Binds and validates the section; every problem names the key.</summary>
    public static AdminOptions FromSection(ConfigSection section)
    {
        var options = section.Bind<AdminOptions>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws <see cref="ConfigException"/> (through <paramref name="section"/>) for the first bad value.</summary>
    public void Validate(ConfigSection section)
    {
        if (string.IsNullOrWhiteSpace(Bind) || !IPAddress.TryParse(Bind, out IPAddress? address))
            throw section.Error("bind", $"is \"{Bind}\"; expected an IP address such as 127.0.0.1");
        if (!IPAddress.IsLoopback(address) && !AllowRemote)
            throw section.Error("bind", $"is {Bind}, not a loopback address; readiness names internal state: bind 127.0.0.1, or set allowRemote: true behind a firewall");
        Require(section, "port", Port, 0, 65_535);
        Require(section, "connectionsMax", ConnectionsMax, 1, 1_000);
        Require(section, "postgresTimeoutMs", PostgresTimeoutMs, 50, 30_000);
        Require(section, "postgresCacheMs", PostgresCacheMs, 0, 60_000);
    }

    private static void Require(ConfigSection section, string key, int value, int min, int max)
    {
        if (value < min || value > max) throw section.Error(key, $"is {value}; expected {min} to {max}");
    }
}
