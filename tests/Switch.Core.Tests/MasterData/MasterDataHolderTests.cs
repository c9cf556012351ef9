using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;

namespace Switch.Core.Tests.MasterData;

/// <summary>The snapshot in service only moves forward: an older or equal version never replaces a newer one.</summary>
public sealed class MasterDataHolderTests
{
    private static MasterDataSnapshot Version(long v) => new([], [], [], [], [], v);

    [Fact]
    public void A_newer_snapshot_replaces_the_current_one_and_an_older_or_equal_one_does_not()
    {
        var holder = new MasterDataHolder();
        Assert.Same(MasterDataSnapshot.Empty, holder.Current);

        MasterDataSnapshot v2 = Version(2);
        Assert.True(holder.TryPublish(v2));
        Assert.False(holder.TryPublish(Version(1)));
        Assert.False(holder.TryPublish(Version(2)));
        Assert.Same(v2, holder.Current);
        Assert.True(holder.TryPublish(Version(3)));
        Assert.Equal(3, holder.Current.Version);
    }

    [Fact]
    public void Concurrent_publishers_leave_the_highest_version_in_service()
    {
        var holder = new MasterDataHolder();
        Parallel.For(1, 2_001, v => holder.TryPublish(Version(v)));
        Assert.Equal(2_000, holder.Current.Version);
    }
}
