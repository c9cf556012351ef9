using Switch.Common.Configuration;

namespace Switch.Journal.Projection;

/// <summary>The tranlog projector's settings: which topic and group, how large a batch, how it backs off when Postgres is away.</summary>
public sealed class ProjectorOptions
{
    /// <summary>The journal topic the projector consumes.</summary>
    public string Topic { get; init; } = "switch.journal";

    /// <summary>The Kafka consumer group; its offsets are kept in Postgres (projection_offset), never committed to Kafka.</summary>
    public string ConsumerGroup { get; init; } = "switch-projector";

    /// <summary>Most legs written in one Postgres transaction.</summary>
    public int BatchLegsMax { get; init; } = 50_000;

    /// <summary>
    /// Postgres connections writing at once, each for its own share of the partitions (partition p goes to writer
    /// p % writers), each with its own batches; a partition's batches are still written one after the other.
    /// </summary>
    public int Writers { get; init; } = 2;

    /// <summary>Longest a leg waits in a batch that is not full.</summary>
    public int BatchLingerMs { get; init; } = 50;

    /// <summary>Longest one poll of the consumer blocks (bounds how quickly a stop is seen).</summary>
    public int PollMs { get; init; } = 100;

    /// <summary>First wait after a failed batch; it doubles up to <see cref="RetryBackoffMaxMs"/>.</summary>
    public int RetryBackoffMs { get; init; } = 200;

    /// <summary>Longest wait between two attempts while Postgres is unreachable.</summary>
    public int RetryBackoffMaxMs { get; init; } = 5_000;

    /// <summary>
    /// Whether <c>switch run</c> runs the projector in its own process (true, the default). false: projectors run apart
    /// (<c>switch service projector</c>); the switch still reads the projection's position from Postgres for retention.
    /// </summary>
    public bool InProcess { get; init; } = true;

    /// <summary>Binds and validates the section.</summary>
    public static ProjectorOptions FromSection(ConfigSection section)
    {
        var options = section.Bind<ProjectorOptions>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws <see cref="ConfigException"/> for the first bad value.</summary>
    public void Validate(ConfigSection section)
    {
        if (string.IsNullOrWhiteSpace(Topic)) throw section.Error("topic", "is empty");
        if (string.IsNullOrWhiteSpace(ConsumerGroup)) throw section.Error("consumerGroup", "is empty");
        Require(section, "batchLegsMax", BatchLegsMax, 1, 1_000_000);
        Require(section, "writers", Writers, 1, 8);
        Require(section, "batchLingerMs", BatchLingerMs, 0, 60_000);
        Require(section, "pollMs", PollMs, 1, 10_000);
        Require(section, "retryBackoffMs", RetryBackoffMs, 1, 60_000);
        Require(section, "retryBackoffMaxMs", RetryBackoffMaxMs, RetryBackoffMs, 600_000);
    }

    private static void Require(ConfigSection section, string key, int value, int min, int max)
    {
        if (value < min || value > max) throw section.Error(key, $"is {value}; expected {min} to {max}");
    }
}
