using System.Collections.Concurrent;

namespace Dataflow.Pipeline.Graph;

/// <summary>
/// A task scheduler with a fixed set of threads of its own, for the run's decode workers.
/// </summary>
/// <remarks>
/// <para>A Dataflow block's worker task keeps processing messages for as long as its input has one. The decode
/// workers always have input (reading is far quicker than decoding), so on the thread pool they hold a thread each
/// without end: with one worker per core they hold every thread the pool starts with, and the reads, the batch
/// hand-over and the trainer wait in its queue until the pool decides it is starved and adds a thread (tens to
/// hundreds of milliseconds; docs/performance.md measured the first batch waiting that long). On threads of their own
/// the workers leave the pool free for that light work, which then runs as soon as it is queued.</para>
/// <para>Threads start with the first task and end when the scheduler is disposed (after the run's blocks have
/// completed). A task queued after that runs on the thread pool, so no block can be stranded.</para>
/// </remarks>
internal sealed class WorkerThreads : TaskScheduler, IDisposable
{
    [ThreadStatic]
    private static WorkerThreads? t_owner;

    private readonly BlockingCollection<Task> _queue = new(new ConcurrentQueue<Task>());
    private readonly string _name;
    private readonly int _count;
    private int _started;

    /// <param name="name">Names the threads (<c>name-0</c>, <c>name-1</c>, ...), as seen in a debugger or a profile.</param>
    /// <param name="count">How many threads: the most tasks that run at once.</param>
    public WorkerThreads(string name, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _name = name;
        _count = count;
    }

    /// <inheritdoc />
    public override int MaximumConcurrencyLevel => _count;

    /// <summary>Lets the threads finish what is queued, then end.</summary>
    public void Dispose() => _queue.CompleteAdding();

    /// <inheritdoc />
    protected override void QueueTask(Task task)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            for (int i = 0; i < _count; i++)
            {
                new Thread(Work) { IsBackground = true, Name = $"{_name}-{i}" }.Start();
            }
        }

        try
        {
            _queue.Add(task);
        }
        catch (InvalidOperationException)
        {
            // Disposed: the run is over, but a late task must still run (a block completing, a cancellation).
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Scheduler.TryExecuteTask(state.Task), (Scheduler: this, Task: task), preferLocal: false);
        }
    }

    /// <inheritdoc />
    /// <remarks>Runs inline only on its own threads, so a worker never runs on a thread it does not own.</remarks>
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        !taskWasPreviouslyQueued && ReferenceEquals(t_owner, this) && TryExecuteTask(task);

    /// <inheritdoc />
    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Work()
    {
        t_owner = this;
        foreach (Task task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }
}
