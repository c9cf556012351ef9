using System.Threading.Channels;
using Switch.Journal.Events;

namespace Switch.Core.Authorization;

/// <summary>
/// One partition of the on-us authorizer: a queue read by one worker, the only code that touches the partition's
/// <see cref="OnUsState"/>. Decisions, undos of aborted decisions, replayed events and resets all go through the
/// queue in order, so a balance change needs no lock and no retry, and a replay is ordered with live work. The queue
/// is bounded by a count of what waits in it: a decision past the bound is refused at once (96), a replayed event
/// waits for room; an undo is never refused nor made to wait (a journal outage aborts every decision, and a blocked
/// abort would hold a thread the workers need), and undos are bounded by the decisions in flight.
/// </summary>
internal sealed class OnUsPartition : IAsyncDisposable
{
    private readonly Channel<Work> _queue;
    private readonly Task _worker;
    private readonly Serilog.ILogger _log;
    private readonly int _queueMax;
    private int _waiting;

    public OnUsPartition(int index, int queueMax, int reversalEntriesMax, TimeSpan reversalWindow, Serilog.ILogger log)
    {
        Index = index;
        _log = log;
        _queueMax = queueMax;
        State = new OnUsState(reversalEntriesMax, reversalWindow);
        _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });
        _worker = Task.Run(RunAsync);
    }

    /// <summary>The partition's number.</summary>
    public int Index { get; }

    /// <summary>The state (touched only by the worker, and by tests after <see cref="RunAsync"/> ends or through <see cref="InspectAsync"/>).</summary>
    internal OnUsState State { get; }

    /// <summary>Queues a decision; false when <c>queueMax</c> items wait already (the caller answers 96 at once) or the partition is stopped.</summary>
    public bool TryDecide(Work work)
    {
        if (Interlocked.Increment(ref _waiting) > _queueMax)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }
        work.Counted = true;
        if (_queue.Writer.TryWrite(work)) return true;
        Interlocked.Decrement(ref _waiting);
        return false;
    }

    /// <summary>Queues a replayed event or a reset; waits while the queue is at its bound (the start-up replay is paced by the workers).</summary>
    public void EnqueuePaced(Work work)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _waiting) >= _queueMax) spin.SpinOnce(sleep1Threshold: 20);
        Interlocked.Increment(ref _waiting);
        work.Counted = true;
        if (!_queue.Writer.TryWrite(work)) throw new ObjectDisposedException(nameof(OnUsAuthorizer), "the on-us authorizer is stopped");
    }

    /// <summary>Queues an undo or an inspection: never refused nor made to wait (see the type's summary); false only once stopped.</summary>
    public bool Enqueue(Work work) => _queue.Writer.TryWrite(work);

    /// <summary>Runs <paramref name="read"/> on the worker, after everything queued before it.</summary>
    public Task<T> InspectAsync<T>(Func<OnUsState, T> read)
    {
        var work = new InspectWork<T>(read);
        return Enqueue(work) ? work.Result.Task : Task.FromException<T>(new ObjectDisposedException(nameof(OnUsAuthorizer), "the on-us authorizer is stopped"));
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var work))
            {
                if (work.Counted) Interlocked.Decrement(ref _waiting);
                try
                {
                    work.Run(State);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // One bad item never stops the partition; the item itself reports to its caller when it can.
                    _log.Error(ex, "on-us partition {Partition}: {Work} failed", Index, work.GetType().Name);
                    work.Fail(ex);
                }
            }
        }
    }

    /// <summary>Stops taking work and waits for the worker to finish what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    /// <summary>An item of the queue.</summary>
    internal abstract class Work
    {
        /// <summary>Whether the item counts against the queue's bound.</summary>
        public bool Counted { get; set; }

        /// <summary>Runs on the worker.</summary>
        public abstract void Run(OnUsState state);

        /// <summary>Reports a failure of <see cref="Run"/> to whoever waits for it.</summary>
        public virtual void Fail(Exception ex) { }
    }

    /// <summary>Folds events (a replayed one, +1; an aborted decision's, −1 in reverse order).</summary>
    internal sealed class FoldWork(IReadOnlyList<(JournalEvent Event, EffectDetail Detail)> events, int sign) : Work
    {
        public override void Run(OnUsState state)
        {
            if (sign > 0)
            {
                foreach (var (e, d) in events) state.Fold(e, d, +1);
            }
            else
            {
                for (int i = events.Count - 1; i >= 0; i--) state.Fold(events[i].Event, events[i].Detail, -1);
            }
        }
    }

    /// <summary>Puts an account back to its master data state.</summary>
    internal sealed class ResetWork(string accountId) : Work
    {
        public override void Run(OnUsState state) => state.Reset(accountId);
    }

    private sealed class InspectWork<T>(Func<OnUsState, T> read) : Work
    {
        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(OnUsState state) => Result.SetResult(read(state));

        public override void Fail(Exception ex) => Result.TrySetException(ex);
    }
}
