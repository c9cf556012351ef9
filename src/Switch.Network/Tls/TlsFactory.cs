using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Switch.Network.Config;

namespace Switch.Network.Tls;

/// <summary>Builds SslStream options from <see cref="TlsOptions"/>: TLS 1.2/1.3 only, AEAD suites only, optional mutual auth against a configured CA.</summary>
public static class TlsFactory
{
    /// <summary>The protocols ever enabled: older ones are broken or deprecated (PCI DSS).</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Server side options of a listener.</summary>
    public static SslServerAuthenticationOptions ServerOptions(TlsOptions tls)
    {
        var certificate = tls.Certificate ?? LoadPkcs12(tls);
        var trusted = TrustedCa(tls);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = tls.RequireClientCertificate,
            EnabledSslProtocols = Protocols,
            // Revocation lists are not reachable from a switch's network zone; trust is the configured CA.
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (sender, cert, _, errors) => cert is null
                ? !tls.RequireClientCertificate || Refuse(sender, "the client sent no certificate, and this listener requires one (tls.requireClientCertificate)")
                : Validate(sender, cert, errors, trusted, checkName: false, "client"),
        };
        if (OperatingSystem.IsLinux()) options.CipherSuitesPolicy = StrongSuites();
        return options;
    }

    /// <summary>Client side options of a connector connecting to <paramref name="host"/>.</summary>
    public static SslClientAuthenticationOptions ClientOptions(TlsOptions tls, string host)
    {
        var trusted = TrustedCa(tls);
        var certificate = tls.Certificate ?? (tls.CertificatePath is null ? null : LoadPkcs12(tls));
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = tls.TargetHost ?? host,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificates = certificate is null ? null : [certificate],
            RemoteCertificateValidationCallback = (sender, cert, _, errors) => cert is null
                ? Refuse(sender, "the server sent no certificate")
                : Validate(sender, cert, errors, trusted, checkName: true, "server", tls.TargetHost ?? host),
        };
        if (OperatingSystem.IsLinux()) options.CipherSuitesPolicy = StrongSuites();
        return options;
    }

    private static bool Validate(object sender, X509Certificate cert, SslPolicyErrors errors, X509Certificate2Collection? trusted, bool checkName,
        string side, string? expectedHost = null)
    {
        string who = $"the {side} certificate '{cert.Subject}' (issued by '{cert.Issuer}')";
        if (checkName && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return Refuse(sender, $"{who} does not name the expected host '{expectedHost}' (tls.targetHost)");
        if (trusted is null)
            return errors == SslPolicyErrors.None || Refuse(sender, $"{who} is not trusted by the system certificate store ({errors})");
        // A configured CA replaces the system store: only certificates it issued are accepted.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var cert2 = cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        if (chain.Build(cert2)) return true;
        string status = string.Join(", ", chain.ChainStatus.Select(c => c.Status).Distinct());
        return Refuse(sender, $"{who} is not signed by the pinned CA (tls.caCertificatePath; chain: {status})");
    }

    /// <summary>Why the certificate check of a handshake refused the peer, kept until the handshake's failure is logged.</summary>
    private static readonly ConditionalWeakTable<object, string> Refusals = new();

    private static bool Refuse(object sender, string reason)
    {
        Refusals.AddOrUpdate(sender, reason);
        return false;
    }

    /// <summary>
    /// A failed handshake as a sentence naming what failed: the certificate check's own reason when it refused the peer,
    /// otherwise the deadline, the peer closing, or the protocol and suites offered. The runtime's messages are not
    /// quoted: a host that trims resources turns them into bare keys (net_auth_SSPI).
    /// </summary>
    public static string DescribeFailure(SslStream stream, Exception error, int deadlineMs)
    {
        if (Refusals.TryGetValue(stream, out string? reason))
        {
            Refusals.Remove(stream);
            return reason;
        }
        return error switch
        {
            OperationCanceledException => $"the handshake did not complete within {deadlineMs} ms",
            AuthenticationException when error.InnerException is { } inner && Readable(inner.Message) is { } detail =>
                $"the peer and this side agree on no protocol or cipher suite (TLS 1.2/1.3 with AEAD suites only), or the peer refused this side's certificate: {detail}",
            AuthenticationException => "the peer and this side agree on no protocol or cipher suite (TLS 1.2/1.3 with AEAD suites only), or the peer refused this side's certificate",
            IOException or System.Net.Sockets.SocketException => "the peer closed or reset the connection during the handshake (a plain TCP peer, or one that refused this side's certificate)",
            _ => $"the handshake failed ({error.GetType().Name})",
        };
    }

    /// <summary>The text of a lower-level error when it is a sentence (OpenSSL's "error:0A000102:SSL routines::unsupported protocol"), not a resource key.</summary>
    private static string? Readable(string message) =>
        message.Contains(' ', StringComparison.Ordinal) || message.Contains(':', StringComparison.Ordinal) ? message : null;

    private static X509Certificate2Collection? TrustedCa(TlsOptions tls)
    {
        if (tls.TrustedCa is not null) return tls.TrustedCa;
        if (tls.CaCertificatePath is null) return null;
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(tls.CaCertificatePath);
        return collection;
    }

    private static X509Certificate2 LoadPkcs12(TlsOptions tls)
    {
        string path = tls.CertificatePath ?? throw new ArgumentException("TLS needs a certificate", nameof(tls));
        return X509CertificateLoader.LoadPkcs12FromFile(path, tls.CertificatePassword);
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static CipherSuitesPolicy StrongSuites() => new(
    [
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]);
}
