using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.PayShield;
using Switch.Security.Backends.Pkcs11;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Simulators.Hsm;

namespace Switch.Benchmarks;

/// <summary>
/// The security module's hot path per back end: PIN translate (ZPK → ZPK, ISO format 0) and MAC verify (ISO 9797-1
/// algorithm 3 over a 64-byte message). Each invocation runs <see cref="Batch"/> operations: one after another for the
/// in-process back ends (one core), all in flight at once for payShield (pipelined on one loopback connection).
/// ops/s = Batch / mean.
/// </summary>
[MemoryDiagnoser]
public class SecurityBenchmarks
{
    /// <summary>Operations per invocation.</summary>
    public const int Batch = 256;

    private const string Pan = "4690592981884714";
    private ISecurityTooling _module = null!;
    private ISecurityModule _ops = null!;
    private SecureKey _from = null!, _to = null!, _mac = null!;
    private byte[] _block = null!, _data = null!, _macValue = null!, _output = null!;
    private string? _tokenDir;

    /// <summary>software, software behind the resilience wrapper, pkcs11 (SoftHSM2) or payshield (simulator on loopback).</summary>
    [Params("software", "software-resilient", "pkcs11", "payshield")]
    public string Backend { get; set; } = "software";

    /// <summary>Opens the back end and loads the keys.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _module = Backend switch
        {
            "software" or "software-resilient" => new ComposedSecurityModule(new SoftwareCipherEngine()),
            "pkcs11" => new ComposedSecurityModule(new Pkcs11CipherEngine(CreateToken())),
            _ => StartPayShield(),
        };
        _from = Import(KeyType.Zpk, "FD2C1F8DD5950801F97896E143A544D3");
        _to = Import(KeyType.Zpk, "022BB21ECDE7A47F621FA7A97FD1676C");
        _mac = Import(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        _block = Convert.FromHexString("A5F4EC8ABAE7E43E");
        _data = Convert.FromHexString(string.Concat(Enumerable.Repeat("962EAA2CE7631234", 8)));
        _macValue = new byte[8];
        _module.GenerateMacAsync(_mac, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, _data, _macValue, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _output = new byte[8];
        _ops = Backend == "software-resilient" ? new Switch.Security.Resilience.ResilientSecurityModule(_module, new Switch.Security.Resilience.HsmResilienceOptions(), cancellableCalls: false) : _module;
    }

    /// <summary>Closes the back end and removes the throwaway token.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _module.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_tokenDir is not null) Directory.Delete(_tokenDir, recursive: true);
    }

    /// <summary>PIN translate ZPK → ZPK.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task PinTranslate()
    {
        if (Backend == "payshield")
        {
            var tasks = new Task<int>[Batch];
            for (int i = 0; i < Batch; i++) tasks[i] = _ops.TranslatePinAsync(new EncryptedPinBlock(_from, PinBlockFormat.Iso0, _block), Pan, _to, PinBlockFormat.Iso0, new byte[8], CancellationToken.None).AsTask();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return;
        }
        for (int i = 0; i < Batch; i++) await _ops.TranslatePinAsync(new EncryptedPinBlock(_from, PinBlockFormat.Iso0, _block), Pan, _to, PinBlockFormat.Iso0, _output, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>MAC verify, retail MAC over 64 bytes.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task MacVerify()
    {
        if (Backend == "payshield")
        {
            var tasks = new Task<bool>[Batch];
            for (int i = 0; i < Batch; i++) tasks[i] = _ops.VerifyMacAsync(_mac, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, _data, _macValue, CancellationToken.None).AsTask();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return;
        }
        for (int i = 0; i < Batch; i++)
        {
            if (!await _ops.VerifyMacAsync(_mac, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, _data, _macValue, CancellationToken.None).ConfigureAwait(false)) throw new InvalidOperationException("MAC mismatch");
        }
    }

    private SecureKey Import(KeyType type, string hex) =>
        _module.ImportClearKeyAsync(type, KeyAlgorithm.Tdes, Convert.FromHexString(hex), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    private PayShieldSecurityModule StartPayShield()
    {
        var lmk = Lmk.Generate();
        var simulator = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions());
        simulator.Start();
        // The module disposes the simulator after its client.
        return new PayShieldSecurityModule(new PayShieldClient(new PayShieldClientOptions { Port = simulator.Port, InFlightMax = 1024 }), lmk, companion: simulator);
    }

    // A throwaway SoftHSM2 token, as the tests make one.
    private Pkcs11Options CreateToken()
    {
        _tokenDir = Directory.CreateTempSubdirectory("switch-bench-softhsm-").FullName;
        string conf = Path.Combine(_tokenDir, "softhsm2.conf");
        Directory.CreateDirectory(Path.Combine(_tokenDir, "tokens"));
        File.WriteAllText(conf, $"directories.tokendir = {Path.Combine(_tokenDir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        _ = NativeMethods.setenv("SOFTHSM2_CONF", conf, 1);
        var psi = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678" }) psi.ArgumentList.Add(a);
        psi.Environment["SOFTHSM2_CONF"] = conf;
        using var p = Process.Start(psi)!;
        p.WaitForExit(30_000);
        return new Pkcs11Options { TokenLabel = "bench", UserPin = "1234" };
    }

    private static class NativeMethods
    {
        [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        internal static extern int setenv(string name, string value, int overwrite);
    }
}
