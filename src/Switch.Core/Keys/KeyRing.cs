using System.Collections.Concurrent;
using Switch.Security;
using Switch.Security.Keys;

namespace Switch.Core.Keys;

/// <summary>Working keys by key store name, loaded into the security module once and then served from memory.</summary>
public interface IKeyRing
{
    /// <summary>The loaded key named <paramref name="name"/>; <see cref="KeyNotFoundException"/> when the store has none.</summary>
    ValueTask<SecureKey> GetAsync(string name, CancellationToken ct);
}

/// <summary>
/// The key ring over the file key store: a key is read from the store and loaded into the module on first use, then
/// cached by name (the module also caches by reference). The store is read again only for a name not seen before.
/// </summary>
public sealed class KeyRing(ISecurityModule module, FileKeyStore store) : IKeyRing
{
    private readonly ConcurrentDictionary<string, Task<SecureKey>> _keys = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<SecureKey> GetAsync(string name, CancellationToken ct)
    {
        var task = _keys.GetOrAdd(name, n => LoadAsync(n));
        if (task.IsCompletedSuccessfully) return new ValueTask<SecureKey>(task.Result);
        return AwaitAsync(name, task);
    }

    private async Task<SecureKey> LoadAsync(string name) =>
        await module.LoadStoredKeyAsync(store.Get(name), CancellationToken.None).ConfigureAwait(false);

    private async ValueTask<SecureKey> AwaitAsync(string name, Task<SecureKey> task)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch
        {
            // A failed load (HSM down, key missing) is not cached: the next transaction tries again.
            _keys.TryRemove(new KeyValuePair<string, Task<SecureKey>>(name, task));
            throw;
        }
    }
}
