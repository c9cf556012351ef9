using Switch.Iso8583.Vocabulary;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>The holder swaps whole snapshots: a transaction keeps the table it started with.</summary>
public sealed class RouteSnapshotTests
{
    private const string Pan = "4111112233445566";

    [Fact]
    public void A_transaction_in_flight_keeps_the_snapshot_it_started_with()
    {
        var holder = new RouteTableHolder();
        Assert.True(holder.TryPublish(RouteTable.Build([R("old", "411111", "issuer-a")], 1)));
        RouteTable inFlight = holder.Current;
        Assert.True(holder.TryPublish(RouteTable.Build([R("new", "411111", "issuer-b")], 2)));
        Assert.Equal("issuer-a", inFlight.Lookup(new RouteRequest(Pan, MtiClass.Financial, "000000", "978"))?.Destination);
        Assert.Equal("issuer-b", holder.Current.Lookup(new RouteRequest(Pan, MtiClass.Financial, "000000", "978"))?.Destination);
    }

    [Fact]
    public void An_older_snapshot_never_replaces_a_newer_one()
    {
        var holder = new RouteTableHolder();
        var v5 = RouteTable.Build([R("five", "411111")], 5);
        Assert.True(holder.TryPublish(v5));
        Assert.False(holder.TryPublish(RouteTable.Build([R("four", "411111")], 4)));
        Assert.Same(v5, holder.Current);
    }

    [Fact]
    public void The_first_snapshot_is_the_empty_table()
    {
        var holder = new RouteTableHolder();
        Assert.Same(RouteTable.Empty, holder.Current);
        Assert.Equal(0, holder.Current.Version);
        Assert.Empty(holder.Current.Routes);
    }
}
