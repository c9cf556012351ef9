using System.Globalization;

namespace Switch.Simulators.Load;

/// <summary>How requests are paced.</summary>
public enum LoadMode
{
    /// <summary>Closed loop: each connection keeps <see cref="LoadOptions.InFlight"/> requests outstanding; latency from the actual send.</summary>
    Closed,
    /// <summary>Open loop: a constant arrival rate (<see cref="LoadOptions.Tps"/>); latency from the intended send time (coordinated omission corrected).</summary>
    Open,
}

/// <summary>What a load request is.</summary>
public enum LoadKind
{
    /// <summary>0200, processing code 00, PIN.</summary>
    Purchase,
    /// <summary>0200, processing code 01, PIN.</summary>
    Withdrawal,
    /// <summary>0200, processing code 31, amount 0, PIN.</summary>
    Inquiry,
    /// <summary>0400 with DE 90 of an approved purchase or withdrawal of the same run.</summary>
    Reversal,
}

/// <summary>
/// A load run's shape. Defaults: closed loop, 8 connections × 32 in flight, 10 s, the default mix, the demo cards A–F,
/// terminal TERM0001, 5 s answer timeout, to 127.0.0.1:8583 (the demo switch's terminals listener).
/// </summary>
public sealed record LoadOptions
{
    /// <summary>Most connections.</summary>
    public const int ConnectionsMax = 1024;

    /// <summary>Most requests in flight on one connection.</summary>
    public const int InFlightMax = 10_000;

    /// <summary>Highest arrival rate.</summary>
    public const int TpsMax = 1_000_000;

    /// <summary>Longest run (seconds).</summary>
    public const double DurationMax = 86_400;

    /// <summary>The switch's (or the echo's) host.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Its port.</summary>
    public int Port { get; init; } = 8583;

    /// <summary>Open or closed loop.</summary>
    public LoadMode Mode { get; init; } = LoadMode.Closed;

    /// <summary>Open loop: requests per second over all connections.</summary>
    public int Tps { get; init; } = 1000;

    /// <summary>TCP connections.</summary>
    public int Connections { get; init; } = 8;

    /// <summary>Requests outstanding per connection: the closed loop's window, the open loop's cap.</summary>
    public int InFlight { get; init; } = 32;

    /// <summary>How long requests are sent (then answers are awaited up to <see cref="TimeoutMs"/>).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Percentages of each kind.</summary>
    public LoadMix Mix { get; init; } = LoadMix.Default;

    /// <summary>0: the demo cards A–F; N: the first N generated cards (<c>switch db seed demo --cards N</c>).</summary>
    public int Cards { get; init; }

    /// <summary>Terminal id (DE 41): a demo terminal gives the merchant, the TPK, the TAK and whether requests carry a MAC.</summary>
    public string TerminalId { get; init; } = "TERM0001";

    /// <summary>A request unanswered this long after it was sent is a timeout.</summary>
    public int TimeoutMs { get; init; } = 5000;

    /// <summary>Each connection must be up within this.</summary>
    public int ConnectTimeoutMs { get; init; } = 3000;

    /// <summary>Message spec (built-in name or file).</summary>
    public string Spec { get; init; } = Card.SimWire.DefaultSpec;

    /// <summary>Length framing (binary2, binary2-inclusive, bcd2, ascii4).</summary>
    public string Framing { get; init; } = "binary2";

    /// <summary>Frame header: none or tpdu.</summary>
    public string Header { get; init; } = "none";

    /// <summary>First STAN (1–999999); default random, so back-to-back runs do not start on the same numbers.</summary>
    public int? StanStart { get; init; }

    /// <summary>Also run the same shape against an in-process framed echo and report the ratios.</summary>
    public bool CompareEcho { get; init; }

    /// <summary>"host:port" for the report.</summary>
    public string Target => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Checks every bound; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("target: the host is empty");
        if (Port is < 1 or > 65535) throw new ArgumentException($"target: port {Port} is outside 1-65535");
        if (Connections is < 1 or > ConnectionsMax) throw new ArgumentException($"connections: must be 1 to {ConnectionsMax}");
        if (InFlight is < 1 or > InFlightMax) throw new ArgumentException($"inflight: must be 1 to {InFlightMax}");
        if (Mode == LoadMode.Open && Tps is < 1 or > TpsMax) throw new ArgumentException($"tps: must be 1 to {TpsMax}");
        if (Duration <= TimeSpan.Zero || Duration.TotalSeconds > DurationMax) throw new ArgumentException($"duration: must be more than 0 and at most {DurationMax} seconds");
        if (Cards is < 0 or > Core.MasterData.GeneratedCards.CountMax) throw new ArgumentException($"cards: must be 0 (the demo cards) to {Core.MasterData.GeneratedCards.CountMax}");
        if (TerminalId.Length != 8) throw new ArgumentException($"terminal: '{TerminalId}' must be 8 characters (DE 41)");
        if (TimeoutMs is < 1 or > 600_000) throw new ArgumentException("timeout-ms: must be 1 to 600000");
        if (ConnectTimeoutMs is < 1 or > 600_000) throw new ArgumentException("connect timeout: must be 1 to 600000 ms");
        if (StanStart is < 1 or > 999_999) throw new ArgumentException("stan start: must be 1 to 999999");
        if (Framing == "none") throw new ArgumentException("framing: the load generator needs a length framing (binary2, binary2-inclusive, bcd2, ascii4)");
        if (Header is not ("none" or "tpdu")) throw new ArgumentException("header: must be none or tpdu");
        ArgumentNullException.ThrowIfNull(Mix);
    }
}
