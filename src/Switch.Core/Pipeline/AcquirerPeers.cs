using System.Text.Json.Serialization;
using Switch.Common.Configuration;
using Switch.Core.MasterData;

namespace Switch.Core.Pipeline;

/// <summary>
/// One peer acquirer network (a <c>core.acquirers</c> row, docs/core.md "Acquirer peers"): every connection on
/// <see cref="Listener"/> is that acquirer's host. Its requests carry its institution id in DE32 and its own terminals in
/// DE41/42, which are not in the switch's master data; its PIN blocks come under the zone PIN key the two networks
/// exchanged (<see cref="ZpkRef"/>), and its MAC, when the networks agreed on one, under a zone MAC key (<see cref="ZakRef"/>).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class AcquirerPeerOptions
{
    /// <summary>The network listener the acquirer's connections arrive on.</summary>
    public string Listener { get; init; } = "";

    /// <summary>The acquirer's institution id: DE32 of each of its requests must be this (1–11 digits).</summary>
    public string InstitutionId { get; init; } = "";

    /// <summary>Key store name of the zone PIN key its DE52 is enciphered under.</summary>
    public string ZpkRef { get; init; } = "";

    /// <summary>Key store name of the zone MAC key of its DE64/DE128; absent: the acquirer sends no MAC.</summary>
    public string? ZakRef { get; init; }
}

/// <summary>The acquirer peers by listener name, read once at start (immutable).</summary>
public sealed class AcquirerPeers
{
    private readonly Dictionary<string, AcquirerPeerOptions> _byListener;

    /// <summary>Creates the set; <see cref="Validate"/> has checked the rows.</summary>
    public AcquirerPeers(IEnumerable<AcquirerPeerOptions> peers) => _byListener = peers.ToDictionary(p => p.Listener, StringComparer.Ordinal);

    /// <summary>No acquirer peers: every listener serves the master data's terminals.</summary>
    public static AcquirerPeers None { get; } = new([]);

    /// <summary>The acquirer whose connections arrive on <paramref name="listener"/>, or null (a terminals listener).</summary>
    public AcquirerPeerOptions? For(string listener) => _byListener.GetValueOrDefault(listener);

    /// <summary>
    /// The profile a request of the acquirer is handled with: its own DE41/DE42, the acquirer's ZPK in place of a TPK
    /// (PIN verify and translate accept either), its ZAK in place of a TAK. Built per request: acquirers' terminals are
    /// theirs to manage and never enter the master data.
    /// </summary>
    public static TerminalProfile Profile(AcquirerPeerOptions peer, string terminalId, string merchantId) =>
        new(terminalId, merchantId, peer.ZpkRef, peer.ZakRef, MacRequired: peer.ZakRef is not null, BdkRef: null, KsnField: null);

    /// <summary>Checks the rows of <c>core.acquirers</c>; throws <see cref="ConfigException"/> naming the key.</summary>
    public static void Validate(ConfigSection section, IReadOnlyList<AcquirerPeerOptions> peers, string switchInstitutionId)
    {
        var listeners = new HashSet<string>(StringComparer.Ordinal);
        var institutions = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < peers.Count; i++)
        {
            var p = peers[i] ?? throw section.Error($"acquirers[{i}]", "is null; expected an object");
            string at = $"acquirers[{i}]";
            if (p.Listener.Length == 0) throw section.Error($"{at}.listener", "is empty; name the network listener the acquirer connects to");
            if (!listeners.Add(p.Listener)) throw section.Error($"{at}.listener", $"\"{p.Listener}\" is given to two acquirers");
            if (p.InstitutionId.Length is < 1 or > 11 || !p.InstitutionId.All(char.IsAsciiDigit))
                throw section.Error($"{at}.institutionId", $"is \"{p.InstitutionId}\"; expected 1 to 11 digits");
            if (p.InstitutionId == switchInstitutionId) throw section.Error($"{at}.institutionId", "is the switch's own institution id");
            if (!institutions.Add(p.InstitutionId)) throw section.Error($"{at}.institutionId", $"\"{p.InstitutionId}\" is given to two acquirers");
            if (p.ZpkRef.Length == 0) throw section.Error($"{at}.zpkRef", "is empty; name the acquirer's zone PIN key in the key store");
            if (p.ZakRef is { Length: 0 }) throw section.Error($"{at}.zakRef", "is empty; leave it out (no MAC) or name a zone MAC key in the key store");
        }
    }

    /// <summary>Checks that every acquirer's listener is a configured network listener.</summary>
    public static void RequireListeners(ConfigSection section, IReadOnlyList<AcquirerPeerOptions> peers, IEnumerable<string> listenerNames)
    {
        var known = new HashSet<string>(listenerNames, StringComparer.Ordinal);
        for (int i = 0; i < peers.Count; i++)
        {
            if (!known.Contains(peers[i].Listener))
                throw section.Error($"acquirers[{i}].listener", $"\"{peers[i].Listener}\" is not a network listener ({string.Join(", ", known)})");
        }
    }
}
