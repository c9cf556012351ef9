using Switch.Simulators.Card;

namespace Switch.Simulators.Cert;

/// <summary>
/// The issuer simulator the runner hosts on 127.0.0.1:PORT, where the switch's issuer connector points. Cases take it
/// down (stopped: the connector drops) and up (a new simulator on the same port; the runner waits for the switch's
/// sign-on), or change its rules for one case. Every message any of its simulators received is kept, in order, so a
/// case can wait for what arrived after it began (a reversal or an advice delivered later by store-and-forward).
/// </summary>
internal sealed class HostedIssuer(int port, string? baseRulesJson) : IAsyncDisposable
{
    /// <summary>Messages kept at most (a suite is far smaller); later ones are not recorded.</summary>
    public const int EntriesMax = 100_000;

    private readonly List<IssuerLogEntry> _entries = [];
    private readonly Lock _lock = new();
    private IssuerSimulator? _current;
    private bool _rulesChanged;

    /// <summary>The port.</summary>
    public int Port { get; } = port;

    /// <summary>True while a simulator listens.</summary>
    public bool IsUp => _current is not null;

    /// <summary>The number of messages received so far: a mark for <see cref="Since"/>.</summary>
    public int Mark
    {
        get
        {
            lock (_lock) return _entries.Count;
        }
    }

    /// <summary>Messages received since a mark, in order.</summary>
    public IReadOnlyList<IssuerLogEntry> Since(int mark)
    {
        lock (_lock) return [.. _entries.Skip(mark)];
    }

    private IssuerRules BaseRules() => baseRulesJson is null ? new IssuerRules() : IssuerRules.Parse(baseRulesJson, "issuerRules");

    /// <summary>Starts a simulator and waits for the switch to sign on; throws <see cref="TimeoutException"/> when it does not.</summary>
    public async Task UpAsync(int signOnTimeoutMs, CancellationToken ct)
    {
        if (_current is not null) return;
        int mark = Mark;
        var simulator = new IssuerSimulator(new IssuerSimulatorOptions { Port = Port, Rules = BaseRules() });
        simulator.Received += Record;
        try
        {
            await simulator.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await simulator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _current = simulator;
        _rulesChanged = false;
        await WaitForSignOnAsync(mark, signOnTimeoutMs, ct).ConfigureAwait(false);
    }

    private void Record(IssuerLogEntry entry)
    {
        lock (_lock)
        {
            if (_entries.Count < EntriesMax) _entries.Add(entry);
        }
    }

    private async Task WaitForSignOnAsync(int mark, int timeoutMs, CancellationToken ct)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!Since(mark).Any(e => e.Mti == "0800"))
        {
            if (Environment.TickCount64 > deadline)
                throw new TimeoutException($"the switch did not sign on to the hosted issuer on 127.0.0.1:{Port} within {timeoutMs} ms (does its issuer connector point there?)");
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        // The 0810 is written after the log entry: give the switch a moment to read it and mark the link signed on.
        await Task.Delay(300, ct).ConfigureAwait(false);
    }

    /// <summary>Stops the simulator (its connections close; the switch's connector sees the link drop).</summary>
    public async Task DownAsync()
    {
        var simulator = _current;
        _current = null;
        if (simulator is null) return;
        await simulator.DisposeAsync().ConfigureAwait(false);
        simulator.Received -= Record;
    }

    /// <summary>For one case: the base rules (or the case's), with a misbehaviour first.</summary>
    public async Task UseAsync(IssuerStep.Rules step, CancellationToken ct)
    {
        var simulator = _current ?? throw new InvalidOperationException("the hosted issuer is down: a case before this one said \"down\" and none \"up\"");
        var rules = step.RulesJson is { } json ? IssuerRules.Parse(json, "issuer.rules") : BaseRules();
        if (step.Misbehave is { } action)
            rules.Misbehaviours = [new MisbehaviourRule { Action = action, Next = step.Next, DelayMs = step.DelayMs }, .. rules.Misbehaviours ?? []];
        await simulator.UseRulesAsync(rules, ct).ConfigureAwait(false);
        _rulesChanged = true;
    }

    /// <summary>Back to the base rules after a case that changed them.</summary>
    public async Task RestoreAsync(CancellationToken ct)
    {
        if (!_rulesChanged || _current is null) return;
        await _current.UseRulesAsync(BaseRules(), ct).ConfigureAwait(false);
        _rulesChanged = false;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await DownAsync().ConfigureAwait(false);
}
