using System.Diagnostics;
using Switch.Security.Backends.PayShield;
using Switch.Security.Backends.Pkcs11;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Polly.CircuitBreaker;
using Switch.Security.Resilience;

using Switch.Simulators.Hsm;

namespace Switch.Security.Tests;

/// <summary>FAULTS.md F16: an unavailable or slow HSM fails within a bound with a failure kind, and the circuit breaker opens and closes.</summary>
public sealed class HsmFailureTests
{
    private static readonly byte[] Data = Convert.FromHexString("962EAA2CE763");
    private static readonly byte[] Mac = Convert.FromHexString("824F270ABC8B3D87");

    private static HsmResilienceOptions Options(int timeoutMs = 1500, int callsMin = 100_000, int openMs = 5000) =>
        new() { TimeoutMs = timeoutMs, BreakerCallsMin = callsMin, BreakerFailureRatio = 0.5, BreakerSamplingMs = 60_000, BreakerOpenMs = openMs };

    [Fact]
    public async Task A_slow_HSM_times_out_within_the_bound_and_the_call_is_cancelled_not_abandoned()
    {
        await using var f = PayShieldFixture.Start();
        using var zak = await f.Module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        await using var module = new ResilientSecurityModule(f.Module, Options(timeoutMs: 200));
        // The HSM would answer after 10 s: a failure well before that comes from the 200 ms timeout. The upper
        // bound leaves room for a loaded CI machine (a first call once took 1.9 s with four test projects running).
        f.Simulator.ResponseDelayMs = 10_000;
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<HsmUnavailableException>(async () => await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, Mac, TestTimeout.Token));
        Assert.InRange(watch.ElapsedMilliseconds, 150, 5000);
        Assert.Contains("200 ms", ex.Message, StringComparison.Ordinal);
        Assert.Equal(HsmFailureKind.Timeout, ex.Kind);
        Assert.Equal(HsmFailureKind.Timeout, HsmFailure.KindOf(ex));
        // Cooperative: the timeout cancelled the client's own wait, so nothing is left pending on it.
        Assert.Equal(0, f.Client.PendingCount);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_fails_fast_and_closes_after_a_good_trial_call()
    {
        await using var f = PayShieldFixture.Start();
        using var zak = await f.Module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        // Warmed up through the bare module first (connection and code paths ready): on a loaded CI machine a
        // first call can take longer than the timeout under test.
        Assert.True(await f.Module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, Mac, TestTimeout.Token));
        await using var module = new ResilientSecurityModule(f.Module, Options(timeoutMs: 300, callsMin: 3, openMs: 500));
        Assert.True(await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, Mac, TestTimeout.Token));

        f.Simulator.ResponseDelayMs = 2000;
        var kinds = new List<HsmFailureKind>();
        for (int i = 0; i < 3; i++)
        {
            var ex = await Assert.ThrowsAsync<HsmUnavailableException>(async () => await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, Mac, TestTimeout.Token));
            kinds.Add(ex.Kind);
        }
        // One success then two timeouts: 2 of 3 calls failed (≥ 0.5 with 3 calls), so the third finds the circuit open.
        Assert.Equal([HsmFailureKind.Timeout, HsmFailureKind.Timeout, HsmFailureKind.CircuitOpen], kinds);
        Assert.Equal(CircuitState.Open, module.Circuit);

        long handled = f.Simulator.CommandsHandled;
        var watch = Stopwatch.StartNew();
        var fast = await Assert.ThrowsAsync<HsmUnavailableException>(async () => await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, Mac, TestTimeout.Token));
        // A call through to the simulator would take its 2000 ms delay (and the 300 ms timeout first); failing
        // fast means well under that, with room for a loaded CI machine. The simulator's count proves no call went through.
        Assert.True(watch.ElapsedMilliseconds < 1000, $"open circuit took {watch.ElapsedMilliseconds} ms");
        Assert.Contains("circuit open", fast.Message, StringComparison.Ordinal);
        Assert.Equal(HsmFailureKind.CircuitOpen, fast.Kind);
        Assert.Equal(handled, f.Simulator.CommandsHandled);

        f.Simulator.ResponseDelayMs = 0;
        await Task.Delay(2500); // the open period, and the delayed answers still queued on the simulator
        Assert.True(await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, Mac, TestTimeout.Token));
        Assert.Equal(CircuitState.Closed, module.Circuit);
    }

    [Fact]
    public async Task A_wrong_MAC_does_not_count_as_an_HSM_failure()
    {
        await using var f = PayShieldFixture.Start();
        using var zak = await f.Module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        await using var module = new ResilientSecurityModule(f.Module, Options(callsMin: 2));
        for (int i = 0; i < 5; i++) Assert.False(await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, Convert.FromHexString("0000000000000000"), TestTimeout.Token));
        Assert.Equal(CircuitState.Closed, module.Circuit);
    }

    [Fact]
    public async Task Bad_input_does_not_count_as_an_HSM_failure_and_has_no_failure_kind()
    {
        await using var soft = SoftwareModule.Create();
        using var zak = await soft.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        await using var module = new ResilientSecurityModule(soft, Options(callsMin: 2));
        for (int i = 0; i < 4; i++)
        {
            var ex = await Assert.ThrowsAsync<SecurityInputException>(async () => await module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, Data, new byte[2], TestTimeout.Token));
            Assert.Null(HsmFailure.KindOf(ex));
        }
        Assert.Equal(CircuitState.Closed, module.Circuit);
    }

    [Fact]
    public async Task The_resilient_module_offers_no_development_tooling()
    {
        await using var soft = SoftwareModule.Create();
        await using var module = new ResilientSecurityModule(soft, Options());
        Assert.IsAssignableFrom<ISecurityTooling>(soft);
        Assert.False(typeof(ISecurityTooling).IsAssignableFrom(module.GetType()));
    }

    [Fact]
    public async Task An_HSM_that_is_not_listening_is_reported_unavailable_quickly()
    {
        var lmk = Lmk.Generate();
        int port;
        await using (var sim = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions()))
        {
            sim.Start();
            port = sim.Port;
        }
        await using var module = new PayShieldSecurityModule(new PayShieldClient(new PayShieldClientOptions { Port = port, ConnectTimeoutMs = 500 }), lmk);
        using var key = await module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<HsmUnavailableException>(async () => await module.KeyCheckValueAsync(key, TestTimeout.Token));
        // Bounded by the connect timeout, with room for a loaded CI machine.
        Assert.True(watch.ElapsedMilliseconds < 4000, $"took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(HsmFailureKind.Unavailable, ex.Kind);
    }

    [Fact]
    public async Task A_standby_HSM_is_used_when_the_primary_is_not_listening()
    {
        var lmk = Lmk.Generate();
        int deadPort;
        await using (var dead = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions()))
        {
            dead.Start();
            deadPort = dead.Port;
        }
        await using var standby = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions());
        standby.Start();
        var options = new PayShieldClientOptions { Port = deadPort, ConnectTimeoutMs = 500, Standby = [new PayShieldEndpoint("127.0.0.1", standby.Port)] };
        await using var module = new PayShieldSecurityModule(new PayShieldClient(options), lmk);
        using var key = await module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        Assert.Equal(KeyImport.CheckValue(KeyAlgorithm.Tdes, Convert.FromHexString("C99DC32C25B6260190036CD97EDB88DD")), await module.KeyCheckValueAsync(key, TestTimeout.Token));
        Assert.True(standby.CommandsHandled > 0);
    }

    [Fact]
    public async Task An_HSM_that_dies_mid_session_fails_the_calls_in_flight_and_recovers_when_it_returns()
    {
        var lmk = Lmk.Generate();
        // The answer would take 10 s and the client waits 30 s: only the HSM's death can fail the call (a short
        // delay let a loaded machine deliver the answer before the simulator was stopped).
        var sim = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions()) { ResponseDelayMs = 10_000 };
        sim.Start();
        int port = sim.Port;
        await using var module = new PayShieldSecurityModule(new PayShieldClient(new PayShieldClientOptions { Port = port }), lmk);
        using var key = await module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        Task<string> inFlight = module.KeyCheckValueAsync(key, TestTimeout.Token).AsTask();
        await Task.Delay(100);
        await sim.DisposeAsync();
        await Assert.ThrowsAsync<HsmUnavailableException>(() => inFlight);

        await using var again = await StartOnAsync(lmk, port);
        Assert.Equal(6, (await module.KeyCheckValueAsync(key, TestTimeout.Token)).Length);
    }

    [Fact]
    public async Task A_late_answer_never_completes_a_later_command_that_reused_its_header()
    {
        var lmk = Lmk.Generate();
        await using var sim = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions { HeaderLength = 2 }) { ResponseDelayMs = 400 };
        sim.Start();
        // Two-digit headers: only 100 distinct values, so reuse is certain within a few hundred commands.
        await using var bare = new PayShieldSecurityModule(new PayShieldClient(new PayShieldClientOptions { Port = sim.Port, HeaderLength = 2, InFlightMax = 40 }), lmk);
        await using var module = new ResilientSecurityModule(bare, Options(timeoutMs: 150));
        var keys = new List<(SecureKey Key, string Kcv)>();
        for (int i = 0; i < 10; i++)
        {
            byte[] clear = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
            keys.Add((await bare.ImportClearKeyAsync(KeyType.Zak, KeyAlgorithm.Tdes, clear, TestTimeout.Token), KeyImport.CheckValue(KeyAlgorithm.Tdes, clear)));
        }
        var slow = keys.Select(k => module.KeyCheckValueAsync(k.Key, TestTimeout.Token).AsTask()).ToList();
        foreach (var t in slow) await Assert.ThrowsAsync<HsmUnavailableException>(() => t);

        sim.ResponseDelayMs = 0;
        for (int round = 0; round < 30; round++)
        {
            string[] kcvs = await Task.WhenAll(keys.Select(k => module.KeyCheckValueAsync(k.Key, TestTimeout.Token).AsTask()));
            for (int i = 0; i < keys.Count; i++) Assert.Equal(keys[i].Kcv, kcvs[i]);
        }
    }

    [Fact]
    public void A_missing_PKCS11_module_is_reported_unavailable()
    {
        var ex = Assert.Throws<HsmUnavailableException>(() => new Pkcs11CipherEngine(new Pkcs11Options { ModulePath = "/nonexistent/libpkcs11.so", TokenLabel = "x", UserPin = "1" }));
        Assert.Equal(HsmFailureKind.Unavailable, ex.Kind);
    }

    [Fact]
    public void The_CLI_reports_a_missing_token_in_one_line()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "softhsm2.conf"), $"directories.tokendir = {dir.Path}\nobjectstore.backend = file\nlog.level = ERROR\n");
        var result = CliRunner.Run(["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB9F", "--alg", "tdes", "--backend", "pkcs11", "--pkcs11-token", "no-such-token", "--pkcs11-pin", "1234"],
            new Dictionary<string, string> { ["SOFTHSM2_CONF"] = Path.Combine(dir.Path, "softhsm2.conf") });
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: pkcs11: no token labelled 'no-such-token'", result.Stderr.Trim());
    }

    /// <summary>
    /// Starts a simulator on the port the dead one used. Other tests running in parallel bind and connect on ephemeral
    /// ports, so the freed port can be briefly taken: try again for a while rather than fail on a race of the harness.
    /// </summary>
    private static async Task<PayShieldSimulator> StartOnAsync(Lmk lmk, int port)
    {
        for (int attempt = 0; ; attempt++)
        {
            var sim = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions { Port = port });
            try
            {
                sim.Start();
                return sim;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 100)
            {
                await sim.DisposeAsync();
                await Task.Delay(100);
            }
        }
    }
}
