using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;

namespace Switch.Core.Tests.MasterData;

/// <summary>A throwaway database (md_test_…) that can also say what master data it holds.</summary>
public sealed class PostgresDatabase() : ThrowawayDatabase("md_test_")
{
    /// <summary>A snapshot of what the database holds now.</summary>
    public async Task<MasterDataSnapshot> SnapshotAsync()
    {
        await using var dataSource = Options.CreateDataSource();
        return await new PostgresMasterDataSource(dataSource, Options.Describe(), new MasterDataOptions()).LoadAsync(CancellationToken.None);
    }
}
