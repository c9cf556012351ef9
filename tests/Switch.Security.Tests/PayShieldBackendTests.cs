using System.Diagnostics;
using Switch.Security.Backends.PayShield;
using Switch.Security.Backends.Software;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Simulators.Hsm;
using Switch.Transport.Sockets;
using System.IO.Pipelines;

namespace Switch.Security.Tests;

/// <summary>A payShield simulator and client on real loopback TCP, plus the module that speaks through them.</summary>
public sealed class PayShieldFixture : IAsyncDisposable
{
    private PayShieldFixture(Lmk lmk, PayShieldSimulator simulator, PayShieldClient client, PayShieldSecurityModule module)
    {
        Lmk = lmk;
        Simulator = simulator;
        Client = client;
        Module = module;
    }

    /// <summary>The simulator's LMK.</summary>
    public Lmk Lmk { get; }

    /// <summary>The simulator.</summary>
    public PayShieldSimulator Simulator { get; }

    /// <summary>The back end under test.</summary>
    public PayShieldSecurityModule Module { get; }

    /// <summary>The module's protocol client.</summary>
    public PayShieldClient Client { get; }

    /// <summary>Starts a simulator on an ephemeral port and connects a client.</summary>
    public static PayShieldFixture Start(bool productionCommandsOnly = false)
    {
        var lmk = Lmk.Generate();
        var simulator = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions { ProductionCommandsOnly = productionCommandsOnly });
        simulator.Start();
        var client = new PayShieldClient(new PayShieldClientOptions { Port = simulator.Port });
        return new PayShieldFixture(lmk, simulator, client, new PayShieldSecurityModule(client, lmk));
    }

    /// <summary>Closes the client, then the simulator.</summary>
    public async ValueTask DisposeAsync()
    {
        await Module.DisposeAsync();
        await Simulator.DisposeAsync();
        Lmk.Dispose();
    }
}

/// <summary>The payShield back end gives the vectors' answers over the host protocol.</summary>
public sealed class PayShieldBackendTests
{
    public static TheoryData<string> Ids => VectorFile.Ids();

    // Outputs a production HSM never gives a host; the simulator gives them through its ◆ test commands (ZA, ZC, ZE).
    private static bool RevealsSecrets(CryptoVector v) => v.Op is "arqc" or "dukpt-tdes" or "dukpt-aes";

    public static TheoryData<string> SecretRevealingIds => VectorFile.Ids(RevealsSecrets);

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task PayShield_back_end_reproduces_the_vector(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        await using var f = PayShieldFixture.Start();
        Assert.Equal(v.Out, await CryptoTool.RunAsync(f.Module, v.Op, v.In, TestTimeout.Token));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Switch_crypto_with_backend_payshield_reproduces_the_vector(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        var args = CliRunner.Arguments(v.Op, v.In);
        args.AddRange(["--backend", "payshield", "--store", Path.Combine(Path.GetTempPath(), "switch-no-store")]);
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal(v.Out, result.Json());
    }

    // The production commands agree with the test commands: KQ verifies the generated ARQC, and G0 uses the derived PIN key.
    [Theory]
    [MemberData(nameof(SecretRevealingIds))]
    public async Task The_production_commands_accept_what_the_test_commands_produce(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        await using var f = PayShieldFixture.Start();
        if (v.Op == "arqc") await ArqcIsVerifiedByKqAsync(f, v);
        else await DukptPinKeyIsUsedByG0Async(f, v);
    }

    [Fact]
    public async Task A_production_only_simulator_refuses_the_test_commands_with_one_clear_line()
    {
        await using var f = PayShieldFixture.Start(productionCommandsOnly: true);
        using var imk = await f.Module.KeyAsync(KeyType.ImkAc, "0123456789ABCDEFFEDCBA9876543210");
        using var bdk = await f.Module.KeyAsync(KeyType.Bdk, "0123456789ABCDEFFEDCBA9876543210");
        using var aesBdk = await f.Module.KeyAsync(KeyType.Bdk, "FEDCBA9876543210F1F1F1F1F1F1F1F1", KeyAlgorithm.Aes);
        var card = EmvCryptograms.Context("4012345678909", "00", [0, 1], [1, 2, 3, 4]);
        var refusals = new (string Command, Func<Task> Call)[]
        {
            ("ZA", async () => await f.Module.GenerateArqcAsync(imk, EmvScheme.EmvCsk, card, new byte[8], TestTimeout.Token)),
            ("ZC", async () => await f.Module.DeriveDukptTdesAsync(bdk, Convert.FromHexString("FFFF9876543210E00001"), TestTimeout.Token)),
            ("ZE", async () => await f.Module.DeriveDukptAesAsync(aesBdk, 16, Convert.FromHexString("123456789012345600000001"), TestTimeout.Token)),
        };
        foreach (var (command, call) in refusals)
        {
            var ex = await Assert.ThrowsAsync<HsmErrorException>(call);
            Assert.Equal(PayShieldCodes.UnknownCommand, ex.ErrorCode);
            Assert.StartsWith($"payshield: the HSM has no {command} command (", ex.Message, StringComparison.Ordinal);
            Assert.Contains("--backend software or pkcs11", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', ex.Message);
        }
        // Production commands still work on the same connection.
        Assert.Equal("08D7B4", await f.Module.KeyCheckValueAsync(bdk, TestTimeout.Token));
    }

    [Fact]
    public async Task A_payShield_that_answers_unknown_codes_with_response_code_ZZ_gives_the_same_refusal()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        Task server = AnswerEverythingWithZzAsync(listener);
        using var lmk = Lmk.Generate();
        var options = new PayShieldClientOptions { Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port };
        await using (var module = new PayShieldSecurityModule(new PayShieldClient(options), lmk))
        {
            using var bdk = await module.KeyAsync(KeyType.Bdk, "0123456789ABCDEFFEDCBA9876543210");
            var ex = await Assert.ThrowsAsync<HsmErrorException>(async () => await module.DeriveDukptTdesAsync(bdk, Convert.FromHexString("FFFF9876543210E00001"), TestTimeout.Token));
            Assert.Equal("ZZ", ex.ErrorCode);
            Assert.StartsWith("payshield: the HSM has no ZC command (", ex.Message, StringComparison.Ordinal);
        }
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    // A stand-in for firmware that answers every command code it does not know with response code ZZ, error 00.
    private static async Task AnswerEverythingWithZzAsync(System.Net.Sockets.TcpListener listener)
    {
        var socket = await listener.AcceptSocketAsync();
        await using var connection = FramedConnection.FromSocket(socket, PayShieldLink.Format, new PayShieldLinkCounters(), int.MaxValue, int.MaxValue);
        while (true)
        {
            ReadResult result = await connection.ReadAsync();
            var buffer = result.Buffer;
            while (connection.Format.TryReadMessage(ref buffer, default, out var message))
                await connection.SendAsync(default, PayShieldLink.Bytes(PayShieldLink.Text(message)[..4] + "ZZ00"), default);
            connection.AdvanceTo(buffer.Start, buffer.End, partialFrameLeft: !buffer.IsEmpty, progressed: true);
            if (result.IsCompleted) return; // the client closed the connection
        }
    }

    [Theory]
    [InlineData("ZA", "ZZ00", true, "ZZ")]   // response code ZZ: how common payShield emulators answer an unknown command code
    [InlineData("ZA", "ZBZZ", true, "ZZ")]   // this simulator's unknown command
    [InlineData("ZC", "ZD67", true, "67")]   // command not licensed
    [InlineData("ZE", "ZF68", true, "68")]   // command disabled
    [InlineData("ZA", "ZB15", false, "15")]  // the command exists but the input is bad
    [InlineData("ZA", "ZB00", false, "00")]
    public void Unsupported_command_answers_are_recognised(string command, string response, bool unsupported, string error)
    {
        Assert.Equal(unsupported, PayShieldCodes.IsUnsupported(command, response + "1234", out string code));
        Assert.Equal(error, code);
    }

    [Fact]
    public async Task Sim_hsm_with_production_commands_only_makes_crypto_refuse_in_one_line()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliRunner.Run(["keys", "init", "--store", dir.Path]).ExitCode);
        int port = FreePort();
        using var sim = StartSimHsm(port, dir.Path, "--production-commands-only");
        try
        {
            await WaitListeningAsync(sim, port);
            foreach (CryptoVector v in new[] { VectorFile.Get("p015-dukpt-tdes"), VectorFile.Get("p031-arqc") })
            {
                var args = CliRunner.Arguments(v.Op, v.In);
                args.AddRange(["--backend", "payshield", "--hsm-host", "127.0.0.1", "--hsm-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", dir.Path]);
                var result = CliRunner.Run(args);
                Assert.Equal(1, result.ExitCode);
                Assert.Equal("", result.Stdout);
                Assert.StartsWith("error: payshield: HSM refused the request (error ZZ): the HSM has no Z", result.Stderr, StringComparison.Ordinal);
                Assert.Single(result.Stderr.TrimEnd().Split('\n'));
            }
        }
        finally
        {
            await StopAsync(sim);
        }
    }

    [Fact]
    public async Task Thousands_of_pipelined_MAC_verifications_all_succeed()
    {
        await using var f = PayShieldFixture.Start();
        using var zak = await f.Module.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        byte[] data = Convert.FromHexString("962EAA2CE763");
        byte[] mac = Convert.FromHexString("824F270ABC8B3D87");
        var tasks = Enumerable.Range(0, 5000).Select(i => f.Module.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, data, i % 2 == 0 ? mac : mac.Reverse().ToArray(), TestTimeout.Token).AsTask());
        bool[] results = await Task.WhenAll(tasks);
        for (int i = 0; i < results.Length; i++) Assert.Equal(i % 2 == 0, results[i]);
    }

    [Fact]
    public async Task Wrong_PIN_wrong_CVV_and_keys_from_another_LMK_are_reported_by_error_code()
    {
        await using var f = PayShieldFixture.Start();
        using var zpk = await f.Module.KeyAsync(KeyType.Zpk, "FD2C1F8DD5950801F97896E143A544D3");
        using var pvk = await f.Module.KeyAsync(KeyType.Pvk, "F855F2E949E92BCFC4B39887613BB3EA");
        using var cvk = await f.Module.KeyAsync(KeyType.Cvk, "98E99D4AA9BBB30476373827551E3179");
        const string pan = "5400805092626701";
        string pvv = await f.Module.GeneratePvvAsync(pvk, pan, "2694", 0, TestTimeout.Token);
        Assert.Equal("9052", pvv);
        byte[] right = await EncodeAsync("2694", pan);
        byte[] wrong = await EncodeAsync("2695", pan);
        Assert.True(await f.Module.VerifyPinPvvAsync(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, right), pan, pvk, 0, pvv, TestTimeout.Token));
        Assert.False(await f.Module.VerifyPinPvvAsync(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, wrong), pan, pvk, 0, pvv, TestTimeout.Token));
        Assert.False(await f.Module.VerifyCvvAsync(cvk, "4642711594932", "2604", "201", "667", TestTimeout.Token));

        using var other = Lmk.Generate();
        await using var foreignModule = new PayShieldSecurityModule(new PayShieldClient(new PayShieldClientOptions()), other);
        using var foreign = await foreignModule.KeyAsync(KeyType.Zpk, "FD2C1F8DD5950801F97896E143A544D3");
        var ex = await Assert.ThrowsAsync<SecurityInputException>(async () => await f.Module.KeyCheckValueAsync(foreign, TestTimeout.Token));
        Assert.Contains("error 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sim_hsm_verb_serves_the_protocol_to_a_separate_crypto_process()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliRunner.Run(["keys", "init", "--store", dir.Path]).ExitCode);
        int port = FreePort();
        using var sim = StartSimHsm(port, dir.Path);
        try
        {
            await WaitListeningAsync(sim, port);
            var result = CliRunner.Run(["crypto", "mac", "--alg", "aes-cmac", "--key", "2B7E151628AED2A6ABF7158809CF4F3C", "--data", "6BC1BEE22E409F96E93D7E117393172A",
                "--backend", "payshield", "--hsm-host", "127.0.0.1", "--hsm-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", dir.Path]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal("070A16B46B4D4144F79BDD9DD04A287C", result.Json()["mac"]);

            // Test commands are on by default: the separate process answers a DUKPT vector like the software back end.
            CryptoVector v = VectorFile.Get("p015-dukpt-tdes");
            var args = CliRunner.Arguments(v.Op, v.In);
            args.AddRange(["--backend", "payshield", "--hsm-host", "127.0.0.1", "--hsm-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", dir.Path]);
            var dukpt = CliRunner.Run(args);
            Assert.True(dukpt.ExitCode == 0, dukpt.Stderr);
            Assert.Equal(v.Out, dukpt.Json());
        }
        finally
        {
            await StopAsync(sim);
        }
    }

    [Fact]
    public async Task Sim_hsm_without_a_key_store_runs_on_a_throwaway_lmk_and_answers_the_protocol()
    {
        using var dir = new TempDir();
        int port = FreePort();
        using var sim = StartSimHsm(port, Path.Combine(dir.Path, "no-store-here"));
        try
        {
            string? first = await sim.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains($"127.0.0.1:{port}", first, StringComparison.Ordinal);
            Assert.Contains("\"lmk\":\"throwaway\"", first, StringComparison.Ordinal);
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            var stream = client.GetStream();
            byte[] nc = System.Text.Encoding.ASCII.GetBytes("0000NC");
            await stream.WriteAsync(new byte[] { 0, (byte)nc.Length });
            await stream.WriteAsync(nc);
            byte[] reply = new byte[64];
            int n = await stream.ReadAtLeastAsync(reply, 12).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("0000ND00", System.Text.Encoding.ASCII.GetString(reply, 2, n - 2), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dir.Path, "no-store-here", "lmk.json")));
        }
        finally
        {
            await StopAsync(sim);
        }
    }

    private static Process StartSimHsm(int port, string store, params string[] extra)
    {
        var psi = new ProcessStartInfo(Path.Combine(CliRunner.RepoRoot, "switch")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "sim", "hsm", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store }.Concat(extra)) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static async Task WaitListeningAsync(Process sim, int port)
    {
        string? first = await sim.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains($"127.0.0.1:{port}", first, StringComparison.Ordinal);
    }

    private static async Task StopAsync(Process sim)
    {
        sim.Kill(entireProcessTree: true);
        await sim.WaitForExitAsync();
        CapturedOutput.Record(await sim.StandardError.ReadToEndAsync());
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task<byte[]> EncodeAsync(string pin, string pan)
    {
        // A terminal's job: make the block under the same ZPK value with the software back end.
        await using var soft = SoftwareModule.Create();
        using var key = await soft.KeyAsync(KeyType.Zpk, "FD2C1F8DD5950801F97896E143A544D3");
        return await EncodeWithAsync(soft, key, pin, pan);
    }

    private static async Task ArqcIsVerifiedByKqAsync(PayShieldFixture f, CryptoVector v)
    {
        using var imk = await f.Module.KeyAsync(KeyType.ImkAc, v.In["imk"]);
        var card = EmvCryptograms.Context(v.In["pan"], v.In["psn"], Convert.FromHexString(v.In["atc"]), Convert.FromHexString(v.In["un"]));
        EmvScheme scheme = EmvCryptograms.ParseScheme(v.In["scheme"]);
        byte[] arqc = Convert.FromHexString(v.Out["arqc"]);
        Assert.True(await f.Module.VerifyArqcAsync(imk, scheme, card, Convert.FromHexString(v.In["data"]), arqc, TestTimeout.Token));
        arqc[0] ^= 1;
        Assert.False(await f.Module.VerifyArqcAsync(imk, scheme, card, Convert.FromHexString(v.In["data"]), arqc, TestTimeout.Token));
    }

    // The HSM derives the PIN key inside G0: a PIN block made under the vector's pin_key must translate correctly.
    private static async Task DukptPinKeyIsUsedByG0Async(PayShieldFixture f, CryptoVector v)
    {
        bool aes = v.Op == "dukpt-aes";
        var algorithm = aes ? KeyAlgorithm.Aes : KeyAlgorithm.Tdes;
        const string pan = "4012345678909";
        await using var soft = SoftwareModule.Create();
        using var pinKey = await soft.KeyAsync(KeyType.Tpk, v.Out["pin_key"], algorithm);
        using var zpkSoft = await soft.KeyAsync(KeyType.Zpk, "022BB21ECDE7A47F621FA7A97FD1676C");
        var format = aes ? PinBlockFormat.Iso4 : PinBlockFormat.Iso0;
        byte[] block = aes ? await soft.EncodePinBlock4Async(pinKey, "1234", pan, TestTimeout.Token) : await EncodeWithAsync(soft, pinKey, "1234", pan);
        using var bdk = await f.Module.KeyAsync(KeyType.Bdk, v.In["bdk"], algorithm);
        using var zpk = await f.Module.KeyAsync(KeyType.Zpk, "022BB21ECDE7A47F621FA7A97FD1676C");
        var output = new byte[16];
        int n = await f.Module.TranslateDukptPinAsync(bdk, Convert.FromHexString(v.In["ksn"]), format, block, pan, zpk, PinBlockFormat.Iso0, output, TestTimeout.Token);
        Assert.Equal("1234", await soft.RevealPinAsync(new EncryptedPinBlock(zpkSoft, PinBlockFormat.Iso0, output.AsMemory(0, n)), pan, TestTimeout.Token));
    }

    private static async Task<byte[]> EncodeWithAsync(ISecurityTooling soft, SecureKey key, string pin, string pan)
    {
        var clear = new byte[8];
        PinBlock.Encode(PinBlockFormat.Iso0, pin, pan, clear);
        var engine = new SoftwareCipherEngine();
        using var h = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210"));
        var enc = new byte[8];
        engine.EncryptEcb(h, Backends.KeyPart.Whole, clear, enc);
        using var temp = await soft.KeyAsync(KeyType.Zpk, "0123456789ABCDEFFEDCBA9876543210");
        var output = new byte[8];
        await soft.TranslatePinAsync(new EncryptedPinBlock(temp, PinBlockFormat.Iso0, enc), pan, key, PinBlockFormat.Iso0, output, TestTimeout.Token);
        return output;
    }
}
