using Switch.Core.MasterData;

namespace Switch.Core.Hosting;

/// <summary>The master data snapshot in use; a reload publishes a new one and transactions in flight keep theirs.</summary>
public sealed class MasterDataHolder(MasterDataSnapshot initial)
{
    private MasterDataSnapshot _current = initial;

    /// <summary>The snapshot a new transaction reads (once).</summary>
    public MasterDataSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Publishes <paramref name="snapshot"/> unless it is older than the current one; true when published.</summary>
    public bool TryPublish(MasterDataSnapshot snapshot)
    {
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (snapshot.Version < current.Version) return false;
            if (Interlocked.CompareExchange(ref _current, snapshot, current) == current) return true;
        }
    }
}
