using System.Text.Json;
using Switch.Core.Keys;
using Switch.Journal;
using Switch.Journal.Pan;
using Switch.Security.Keys;

namespace Switch.Core.Tests.MasterData;

/// <summary>A temporary key store, spool and configuration file for one test: what `db seed demo` reads and writes.</summary>
public sealed class SeedEnvironment : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("md-seed-").FullName;

    public string KeyStore => Path.Combine(_dir, "keys");

    public string Spool => Path.Combine(_dir, "spool");

    /// <summary>A configuration file on <paramref name="connectionString"/>, with the issuer-sim connector unless told otherwise.</summary>
    public string Config(string connectionString, bool withIssuerSim = true, int adminPort = 1)
    {
        string connectors = withIssuerSim ? """[ { "name": "issuer-sim" } ]""" : "[]";
        string path = Path.Combine(_dir, $"switch-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""
            {
              "network": { "connectors": {{connectors}} },
              "security": { "keyStorePath": {{JsonSerializer.Serialize(KeyStore)}} },
              "journal": { "spool": { "directory": {{JsonSerializer.Serialize(Spool)}} } },
              "admin": { "bind": "127.0.0.1", "port": {{adminPort}} },
              "postgres": { "connectionString": {{JsonSerializer.Serialize(connectionString)}}, "connectTimeoutMs": 3000 }
            }
            """);
        return path;
    }

    /// <summary>Runs <c>switch db seed demo</c> with the arguments after it.</summary>
    public static CliRunner.Result Seed(string config, params string[] more) =>
        CliRunner.Run(["db", "seed", "demo", .. more, "--config", config], timeoutMs: 180_000);

    /// <summary>The journal's PAN protector over the keys the seed put in the store.</summary>
    public PanProtector Protector()
    {
        using Lmk lmk = Lmk.Load(KeyStore);
        return PanKeys.Load(new FileKeyStore(KeyStore), lmk, new PanKeyOptions());
    }

    /// <summary>Journal options on this environment's spool (mock Kafka, as the default configuration).</summary>
    public JournalOptions JournalOptions => new() { Spool = new SpoolOptions { Directory = Spool } };

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
