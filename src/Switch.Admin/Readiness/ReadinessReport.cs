using System.Text.Json;

namespace Switch.Admin.Readiness;

/// <summary>The overall readiness of the switch.</summary>
public enum ReadinessStatus
{
    /// <summary>Every check is ok ("ready", HTTP 200).</summary>
    Ready,

    /// <summary>Serving, with a non-critical check failed or any check degraded ("degraded", HTTP 200).</summary>
    Degraded,

    /// <summary>A critical check failed ("not_ready", HTTP 503).</summary>
    NotReady,
}

/// <summary>One check's line in the report.</summary>
public sealed record CheckReport(string Name, string Kind, CheckStatus Status, string Detail);

/// <summary>
/// The readiness rule (docs/operations.md): a critical check failed (a listener not listening, the journal refusing
/// appends) → not ready; otherwise any check failed (a connector down, Postgres unreachable) or degraded (a connector
/// with some connections down, Kafka lagging) → degraded; otherwise ready. A check that throws or overruns its time
/// counts as failed.
/// </summary>
public sealed class ReadinessReport
{
    /// <summary>Most time one check may take before it counts as failed (checks bound themselves well below it).</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    private ReadinessReport(ReadinessStatus status, IReadOnlyList<CheckReport> checks)
    {
        Status = status;
        Checks = checks;
    }

    /// <summary>The overall status.</summary>
    public ReadinessStatus Status { get; }

    /// <summary>Each check, in the order given.</summary>
    public IReadOnlyList<CheckReport> Checks { get; }

    /// <summary>200 when ready or degraded, 503 when not ready.</summary>
    public int HttpStatus => Status == ReadinessStatus.NotReady ? 503 : 200;

    /// <summary>Runs every check at once (each bounded by <see cref="CheckTimeout"/>) and applies the rule.</summary>
    public static async Task<ReadinessReport> RunAsync(IReadOnlyList<IReadinessCheck> checks, CancellationToken cancellationToken)
    {
        var runs = new Task<ReadinessResult>[checks.Count];
        for (int i = 0; i < checks.Count; i++) runs[i] = RunOneAsync(checks[i], cancellationToken);
        var results = await Task.WhenAll(runs).ConfigureAwait(false);
        var lines = new CheckReport[checks.Count];
        for (int i = 0; i < checks.Count; i++) lines[i] = new CheckReport(checks[i].Name, checks[i].Kind, results[i].Status, results[i].Detail);
        return new ReadinessReport(Decide(checks, results), lines);
    }

    /// <summary>The rule itself.</summary>
    public static ReadinessStatus Decide(IReadOnlyList<IReadinessCheck> checks, IReadOnlyList<ReadinessResult> results)
    {
        var status = ReadinessStatus.Ready;
        for (int i = 0; i < checks.Count; i++)
        {
            if (results[i].Status == CheckStatus.Failed && checks[i].Critical) return ReadinessStatus.NotReady;
            if (results[i].Status != CheckStatus.Ok) status = ReadinessStatus.Degraded;
        }
        return status;
    }

    private static async Task<ReadinessResult> RunOneAsync(IReadinessCheck check, CancellationToken cancellationToken)
    {
        try
        {
            return await check.CheckAsync(cancellationToken).AsTask().WaitAsync(CheckTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return ReadinessResult.Failed($"no result within {CheckTimeout.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return ReadinessResult.Failed($"check failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>The JSON body of /health/ready.</summary>
    public byte[] ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", Name(Status));
            w.WriteStartArray("checks");
            foreach (var c in Checks)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("kind", c.Kind);
                w.WriteString("status", Name(c.Status));
                w.WriteString("detail", c.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>"ready", "degraded" or "not_ready".</summary>
    public static string Name(ReadinessStatus status) => status switch
    {
        ReadinessStatus.Ready => "ready",
        ReadinessStatus.Degraded => "degraded",
        _ => "not_ready",
    };

    /// <summary>"ok", "degraded" or "failed".</summary>
    public static string Name(CheckStatus status) => status switch
    {
        CheckStatus.Ok => "ok",
        CheckStatus.Degraded => "degraded",
        _ => "failed",
    };
}
