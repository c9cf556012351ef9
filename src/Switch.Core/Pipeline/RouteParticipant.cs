using Serilog;
using Switch.Iso8583.Vocabulary;
using Switch.Routing;

namespace Switch.Core.Pipeline;

/// <summary>
/// Routes by BIN: reads the route table once for the transaction (a reload in flight never changes its route) and
/// looks the PAN up with the MTI class, processing code and currency; no route is 15 (no such issuer).
/// </summary>
public sealed class RouteParticipant(RouteTableHolder routes, ILogger log) : IParticipant
{
    private readonly ILogger _log = log.ForContext<RouteParticipant>();

    /// <inheritdoc/>
    public string Name => "route";

    /// <inheritdoc/>
    public bool Always => false;

    /// <inheritdoc/>
    public ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        var txn = context.Transaction;
        if (txn?.Pan is null) return ValueTask.CompletedTask;
        RouteTable table = routes.Current;
        context.RouteTable = table;
        var request = new RouteRequest(txn.Pan, Mti.Class(txn.Mti), txn.ProcessingCode, context.Request.GetString(49));
        context.Route = table.Lookup(request);
        if (context.Route is null)
        {
            context.Decide(ResponseCode.NoSuchIssuer, Name);
            _log.Information("No route for {Transaction} (table version {Version}): answered 15", txn, table.Version);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) { }

    /// <inheritdoc/>
    public void Abort(TransactionContext context) { }
}
