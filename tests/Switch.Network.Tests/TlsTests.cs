using Switch.Common.Configuration;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Switch.Network.Config;
using Switch.Network.Connector;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>TLS 1.2/1.3 with certificates made at test time: server auth, mutual auth, and refusal of untrusted peers.</summary>
public sealed class TlsTests
{
    private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("Switch Test CA");
    private static readonly X509Certificate2 OtherCa = TestCertificates.CreateCa("Untrusted CA");
    private static readonly X509Certificate2 ServerCert = TestCertificates.Issue(Ca, "localhost", server: true);
    private static readonly X509Certificate2 ClientCert = TestCertificates.Issue(Ca, "terminal-1", server: false);
    private static readonly X509Certificate2 UntrustedClientCert = TestCertificates.Issue(OtherCa, "intruder", server: false);
    private static readonly X509Certificate2 UntrustedServerCert = TestCertificates.Issue(OtherCa, "localhost", server: true);

    private static Task<Switch.Network.Acceptor.IsoListener> StartTlsListenerAsync(bool requireClientCert, X509Certificate2? serverCert = null)
    {
        var options = TestSupport.ListenerOptions();
        options.Tls = new TlsOptions
        {
            Enabled = true,
            Certificate = serverCert ?? ServerCert,
            TrustedCa = [Ca],
            RequireClientCertificate = requireClientCert,
        };
        return TestSupport.StartListenerAsync(options, new ApprovingHandler());
    }

    private static async Task<IsoConnector> StartTlsConnectorAsync(IPEndPoint endpoint, X509Certificate2? clientCert, bool expectUsable)
    {
        var options = ConnectorSupport.Options(endpoint);
        options.Reconnect.InitialDelayMs = 200;
        options.Tls = new TlsOptions { Enabled = true, Certificate = clientCert, TrustedCa = [Ca], TargetHost = "localhost" };
        var connector = await ConnectorSupport.StartAsync(options, waitUsable: expectUsable);
        if (!expectUsable) Assert.False(await connector.WaitUsableAsync(TimeSpan.FromMilliseconds(800), CancellationToken.None));
        return connector;
    }

    [Fact]
    public async Task A_tls_connector_signs_on_and_is_answered_without_a_client_certificate()
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: false);
        await using var connector = await StartTlsConnectorAsync(listener.LocalEndPoint, clientCert: null, expectUsable: true);
        var result = await connector.SendAsync(TestSupport.Authorization("000001"));
        Assert.Equal(MuxStatus.Answered, result.Status);
        Assert.Equal(EndpointHealth.SignedOn, connector.Health);
    }

    [Fact]
    public async Task Mutual_tls_accepts_a_client_certificate_issued_by_the_configured_ca()
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: true);
        await using var connector = await StartTlsConnectorAsync(listener.LocalEndPoint, ClientCert, expectUsable: true);
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000002"))).IsAnswered);
    }

    [Fact]
    public async Task Mutual_tls_refuses_a_client_certificate_from_another_ca()
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: true);
        await using var connector = await StartTlsConnectorAsync(listener.LocalEndPoint, UntrustedClientCert, expectUsable: false);
        // With TLS 1.3 the client's handshake completes before the server has judged its certificate:
        // the refusal is counted a moment after the client gives up, so wait for it (bounded).
        await WaitFor.ConditionAsync(() => listener.Metrics.Snapshot().ConnectionsRefused >= 1);
        Assert.Equal(0, listener.Metrics.Snapshot().ConnectionsOpened);
    }

    [Fact]
    public async Task Mutual_tls_refuses_a_client_without_a_certificate()
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: true);
        await using var connector = await StartTlsConnectorAsync(listener.LocalEndPoint, clientCert: null, expectUsable: false);
        // See above: the server counts the refusal after the TLS 1.3 client has finished its side.
        await WaitFor.ConditionAsync(() => listener.Metrics.Snapshot().ConnectionsRefused >= 1);
        Assert.Equal(0, listener.Metrics.Snapshot().ConnectionsOpened);
    }

    [Fact]
    public async Task A_connector_refuses_a_server_certificate_from_an_untrusted_ca()
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: false, UntrustedServerCert);
        await using var connector = await StartTlsConnectorAsync(listener.LocalEndPoint, clientCert: null, expectUsable: false);
        Assert.Equal(EndpointHealth.Down, connector.Health);
    }

    [Theory]
    [InlineData(System.Security.Authentication.SslProtocols.Tls12)]
    [InlineData(System.Security.Authentication.SslProtocols.Tls13)]
    public async Task Tls_1_2_and_1_3_negotiate_aead_cipher_suites_only(System.Security.Authentication.SslProtocols protocol)
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: false);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(listener.LocalEndPoint);
        await using var ssl = new System.Net.Security.SslStream(tcp.GetStream());
        using var cts = new CancellationTokenSource(TestSupport.Timeout);
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocol,
            CertificateChainPolicy = TrustTestCa(),
        }, cts.Token);
        Assert.Equal(protocol, ssl.SslProtocol);
        string suite = ssl.NegotiatedCipherSuite.ToString();
        Assert.True(suite.Contains("GCM", StringComparison.Ordinal) || suite.Contains("CHACHA20", StringComparison.Ordinal), suite);
    }

    private static X509ChainPolicy TrustTestCa()
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(Ca);
        return policy;
    }

    private static async Task<(Switch.Network.Acceptor.IsoListener Listener, CollectingLogSink Log)> StartLoggedTlsListenerAsync(bool requireClientCert)
    {
        var options = TestSupport.ListenerOptions();
        options.Tls = new TlsOptions { Enabled = true, Certificate = ServerCert, TrustedCa = [Ca], RequireClientCertificate = requireClientCert };
        var (logger, sink) = CollectingLogSink.Create();
        var listener = new Switch.Network.Acceptor.IsoListener(options, TestSupport.Specs, new ApprovingHandler(), logger);
        listener.Start();
        await Task.Yield();
        return (listener, sink);
    }

    private static async Task<string> HandshakeFailureAsync(CollectingLogSink log)
    {
        string? line = null;
        await WaitFor.ConditionAsync(() => (line = log.Messages().FirstOrDefault(m => m.Contains("TLS handshake with", StringComparison.Ordinal))) is not null);
        // A sentence naming the peer and what failed, never a bare runtime resource key.
        Assert.DoesNotContain("net_", line, StringComparison.Ordinal);
        Assert.Matches(@"TLS handshake with .*127\.0\.0\.1:\d+.* failed: \S+ \S+ \S+", line);
        return line!;
    }

    [Fact]
    public async Task A_refused_client_certificate_is_logged_as_not_signed_by_the_pinned_ca_with_the_peer_address()
    {
        var (listener, log) = await StartLoggedTlsListenerAsync(requireClientCert: true);
        await using (listener)
        {
            await using var connector = await StartTlsConnectorAsync(listener.LocalEndPoint, UntrustedClientCert, expectUsable: false);
            string line = await HandshakeFailureAsync(log);
            Assert.Contains("client certificate 'CN=intruder'", line, StringComparison.Ordinal);
            Assert.Contains("is not signed by the pinned CA", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_logged_as_sending_none()
    {
        var (listener, log) = await StartLoggedTlsListenerAsync(requireClientCert: true);
        await using (listener)
        {
            await using var connector = await StartTlsConnectorAsync(listener.LocalEndPoint, clientCert: null, expectUsable: false);
            Assert.Contains("the client sent no certificate", await HandshakeFailureAsync(log), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_plain_tcp_peer_on_a_tls_listener_is_logged_as_a_failed_handshake_in_words()
    {
        var (listener, log) = await StartLoggedTlsListenerAsync(requireClientCert: false);
        await using (listener)
        {
            await using var raw = await RawClient.ConnectAsync(listener.LocalEndPoint);
            await raw.SendMessageAsync(TestSupport.Echo("000001"));
            await raw.ClosedByPeerAsync(TestSupport.Timeout);
            string line = await HandshakeFailureAsync(log);
            Assert.Contains("on listener test", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_client_offering_only_a_cbc_suite_is_logged_as_agreeing_on_no_protocol_or_suite()
    {
        if (!OperatingSystem.IsLinux()) return;
        var cbcOnly = new System.Net.Security.CipherSuitesPolicy([System.Net.Security.TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256]);
        var (listener, log) = await StartLoggedTlsListenerAsync(requireClientCert: false);
        await using (listener)
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(listener.LocalEndPoint);
            await using var ssl = new System.Net.Security.SslStream(tcp.GetStream());
            using var cts = new CancellationTokenSource(TestSupport.Timeout);
            await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12,
                CipherSuitesPolicy = cbcOnly,
                CertificateChainPolicy = TrustTestCa(),
            }, cts.Token));
            Assert.Contains("agree on no protocol or cipher suite", await HandshakeFailureAsync(log), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_connector_logs_an_untrusted_server_certificate_naming_the_endpoint_and_the_pinned_ca()
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: false, UntrustedServerCert);
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Reconnect.InitialDelayMs = 200;
        options.Tls = new TlsOptions { Enabled = true, TrustedCa = [Ca], TargetHost = "localhost" };
        TestSupport.Validate(new NetworkConfig { Connectors = [options] });
        var (logger, log) = CollectingLogSink.Create();
        await using var connector = new IsoConnector(options, TestSupport.Specs, logger);
        connector.Start();
        string line = await HandshakeFailureAsync(log);
        Assert.Contains($"127.0.0.1:{listener.LocalEndPoint.Port}", line, StringComparison.Ordinal);
        Assert.Contains("server certificate 'CN=localhost' (issued by 'CN=Untrusted CA') is not signed by the pinned CA", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_tcp_client_cannot_talk_to_a_tls_listener()
    {
        await using var listener = await StartTlsListenerAsync(requireClientCert: false);
        await using var raw = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await raw.SendMessageAsync(TestSupport.Echo("000001"));
        Assert.True(await raw.ClosedByPeerAsync(TestSupport.Timeout));
    }
}

/// <summary>Certificates made in memory for the tests (ECDSA P-256; leaves valid for a day, CAs for two).</summary>
internal static class TestCertificates
{
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // The CA outlives its leaves by a day: a leaf's validity must fit inside its issuer's.
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        return Reload(ca);
    }

    public static X509Certificate2 Issue(X509Certificate2 ca, string commonName, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(commonName);
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    /// <summary>A PKCS#12 round trip gives a certificate whose key SslStream can use on every platform.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}

/// <summary>TLS from configuration files: a PKCS#12 with its password in the environment and a PEM CA.</summary>
public sealed class TlsConfigFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task A_listener_and_a_connector_configured_with_files_do_mutual_tls()
    {
        var ca = TestCertificates.CreateCa("File CA");
        var server = TestCertificates.Issue(ca, "localhost", server: true);
        var client = TestCertificates.Issue(ca, "switch-client", server: false);
        string password = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        string caPem = Write("ca.pem", System.Text.Encoding.ASCII.GetBytes(ca.ExportCertificatePem()));
        var listenerOptions = TestSupport.ListenerOptions();
        listenerOptions.Tls = new TlsOptions
        {
            Enabled = true,
            CertificatePath = Write("server.pfx", server.Export(X509ContentType.Pkcs12, password)),
            CertificatePassword = password,
            CaCertificatePath = caPem,
            RequireClientCertificate = true,
        };
        await using var listener = await TestSupport.StartListenerAsync(listenerOptions, new ApprovingHandler());
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Tls = new TlsOptions
        {
            Enabled = true,
            CertificatePath = Write("client.pfx", client.Export(X509ContentType.Pkcs12, password)),
            CertificatePassword = password,
            CaCertificatePath = caPem,
            TargetHost = "localhost",
        };
        await using var connector = await ConnectorSupport.StartAsync(options);
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000001"))).IsAnswered);
    }

    [Fact]
    public void A_certificate_that_does_not_open_with_its_password_is_reported_at_start_up()
    {
        var ca = TestCertificates.CreateCa("File CA");
        string env = $"SWITCH_TEST_PFX_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(env, "wrong");
        string pfx = Write("server.pfx", TestCertificates.Issue(ca, "localhost", server: true).Export(X509ContentType.Pkcs12, "right"));
        string json = $$$"""{"listeners":[{"name":"pos","tls":{"enabled":true,"certificatePath":"{{{pfx}}}","certificatePasswordEnv":"{{{env}}}"}}]}""";
        var ex = Assert.Throws<ConfigException>(() => TestSupport.Parse(json));
        Assert.Equal("network.listeners[0].tls.certificatePath", ex.Key);
    }

    [Fact]
    public void A_password_variable_that_is_not_set_is_reported_at_start_up()
    {
        var ca = TestCertificates.CreateCa("File CA");
        string pfx = Write("server.pfx", TestCertificates.Issue(ca, "localhost", server: true).Export(X509ContentType.Pkcs12, "x"));
        string json = $$$"""{"listeners":[{"name":"pos","tls":{"enabled":true,"certificatePath":"{{{pfx}}}","certificatePasswordEnv":"SWITCH_TEST_UNSET_VARIABLE"}}]}""";
        var ex = Assert.Throws<ConfigException>(() => TestSupport.Parse(json));
        Assert.Equal("network.listeners[0].tls.certificatePasswordEnv", ex.Key);
    }

    [Fact]
    public void A_ca_file_without_certificates_is_reported_at_start_up()
    {
        string pem = Write("empty.pem", "not a certificate"u8.ToArray());
        string json = $$$"""{"connectors":[{"name":"iss","endpoints":["h:1"],"tls":{"enabled":true,"caCertificatePath":"{{{pem}}}"}}]}""";
        var ex = Assert.Throws<ConfigException>(() => TestSupport.Parse(json));
        Assert.Equal("network.connectors[0].tls.caCertificatePath", ex.Key);
    }
}
