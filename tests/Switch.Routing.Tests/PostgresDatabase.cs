using Npgsql;
using Switch.Routing.Postgres;

namespace Switch.Routing.Tests;

/// <summary>A throwaway database (routing_test_…) that can also open a migrated route store on itself.</summary>
public sealed class PostgresDatabase() : ThrowawayDatabase("routing_test_")
{
    /// <summary>A migrated store on this database.</summary>
    public async Task<(NpgsqlDataSource DataSource, RouteStore Store)> OpenStoreAsync(RoutingOptions? routing = null)
    {
        var dataSource = Options.CreateDataSource();
        var store = new RouteStore(dataSource, Options.Describe(), routing ?? new RoutingOptions());
        await store.MigrateAsync(CancellationToken.None);
        return (dataSource, store);
    }
}
