using System.Net.Security;
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
            RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                cert is null ? !tls.RequireClientCertificate : Validate(cert, errors, trusted, checkName: false),
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
            RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                cert is not null && Validate(cert, errors, trusted, checkName: true),
        };
        if (OperatingSystem.IsLinux()) options.CipherSuitesPolicy = StrongSuites();
        return options;
    }

    private static bool Validate(X509Certificate cert, SslPolicyErrors errors, X509Certificate2Collection? trusted, bool checkName)
    {
        if (checkName && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        if (trusted is null) return errors == SslPolicyErrors.None;
        // A configured CA replaces the system store: only certificates it issued are accepted.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var cert2 = cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        return chain.Build(cert2);
    }

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
        string? password = tls.CertificatePasswordEnv is null ? null : Environment.GetEnvironmentVariable(tls.CertificatePasswordEnv);
        return X509CertificateLoader.LoadPkcs12FromFile(path, password);
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
