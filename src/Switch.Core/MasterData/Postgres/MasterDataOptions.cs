using System.Text.Json.Serialization;
using Switch.Common.Configuration;

namespace Switch.Core.MasterData.Postgres;

/// <summary>The "masterData" section of switch.json: limits of the snapshot and how its reload listener behaves.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class MasterDataOptions
{
    /// <summary>Most cards one snapshot may hold (a load past it is refused rather than exhausting memory).</summary>
    public int CardsMax { get; init; } = 2_000_000;

    /// <summary>Most terminals, accounts, BIN profiles and issuer profiles one snapshot may hold, each.</summary>
    public int RowsMax { get; init; } = 2_000_000;

    /// <summary>How often the listener compares the stored version with the one in service (a missed notification).</summary>
    public int VersionCheckMs { get; init; } = 5_000;

    /// <summary>First wait before reconnecting after Postgres went away.</summary>
    public int ReconnectBackoffMinMs { get; init; } = 250;

    /// <summary>Longest wait between reconnection attempts.</summary>
    public int ReconnectBackoffMaxMs { get; init; } = 10_000;

    /// <summary>Binds and validates the section.</summary>
    public static MasterDataOptions FromSection(ConfigSection section)
    {
        var options = section.Bind<MasterDataOptions>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws <see cref="ConfigException"/> for the first bad value.</summary>
    public void Validate(ConfigSection section)
    {
        Require(section, "cardsMax", CardsMax, 1, 50_000_000);
        Require(section, "rowsMax", RowsMax, 1, 50_000_000);
        Require(section, "versionCheckMs", VersionCheckMs, 100, 3_600_000);
        Require(section, "reconnectBackoffMinMs", ReconnectBackoffMinMs, 10, 60_000);
        Require(section, "reconnectBackoffMaxMs", ReconnectBackoffMaxMs, ReconnectBackoffMinMs, 600_000);
    }

    private static void Require(ConfigSection section, string key, int value, int min, int max)
    {
        if (value < min || value > max) throw section.Error(key, $"is {value}; expected {min} to {max}");
    }
}
