using System.Buffers;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads a <see cref="ShardStreamPlan"/>: one background reader goes through the plan's reads in order, one ranged
/// stream per shard (the next shard's request is sent ahead), skipping members nobody needs, and keeps what it read
/// until the consumer takes it in the planned order.
/// </summary>
/// <remarks>
/// Bounds, by construction: the reader reads a member ahead of its turn only while the members held stay within
/// <c>maxSamples</c> and their bytes within <c>maxBytes</c>; the member the consumer waits for (and what precedes it in
/// its stream) is always read, and the plan's lazy peak, which is what that costs, was checked against the same
/// bounds before the stream was opened. A stream that fails part-way is reopened from the member it stopped at
/// (<see cref="MaxReopens"/> times per shard); what still fails, and a shard shorter than its members, fails the
/// samples concerned, each with the exception, and the reader goes on with the other shards.
/// </remarks>
internal sealed class ShardReadStream : ISampleReadStream
{
    /// <summary>How often a shard's stream that broke part-way is opened again from where it stopped.</summary>
    public const int MaxReopens = 2;

    private const int SkipBufferBytes = 64 * 1024;

    private readonly ShardStreamPlan _plan;
    private readonly BufferPool _pool;
    private readonly int _maxSamples;
    private readonly long _maxBytes;
    private readonly ShardStreamCounters _counters;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, object> _ready = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _next;
    private int _heldSamples;
    private long _heldBytes;

    public ShardReadStream(ShardStreamPlan plan, BufferPool pool, int maxSamples, long maxBytes, ShardStreamCounters counters)
    {
        _plan = plan;
        _pool = pool;
        _maxSamples = maxSamples;
        _maxBytes = maxBytes;
        _counters = counters;
        _reader = Task.Run(ReadAllAsync);
    }

    /// <inheritdoc />
    public async ValueTask<PooledBuffer> ReadNextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_next >= _plan.Entries.Length)
                {
                    throw new InvalidOperationException($"Every one of the {_plan.Entries.Length} samples was already read.");
                }

                if (_ready.Remove(_next, out object? result))
                {
                    _next++;
                    Pulse();
                    if (result is Exception e)
                    {
                        throw e;
                    }

                    var buffer = (PooledBuffer)result;
                    _heldSamples--;
                    _heldBytes -= buffer.Length;
                    return buffer;
                }

                if (_reader.IsCompleted)
                {
                    // Not expected: the reader hands every entry a buffer or an exception before it ends.
                    throw new InvalidOperationException($"The shard reader stopped before {_plan.Entries[_next]} was read.", _reader.Exception?.InnerException);
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the reader and returns every buffer still held.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Its outcome was handed to the samples it concerned; nothing is left to report.
        }

        lock (_lock)
        {
            foreach (object result in _ready.Values)
            {
                (result as PooledBuffer)?.Dispose();
            }

            _ready.Clear();
            _heldSamples = 0;
            _heldBytes = 0;
        }

        _stop.Dispose();
    }

    private void Pulse()
    {
        TaskCompletionSource changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private async Task ReadAllAsync()
    {
        CancellationToken token = _stop.Token;
        var open = new OpenShard?[_plan.Visits.Count];
        byte[] skip = ArrayPool<byte>.Shared.Rent(SkipBufferBytes);
        try
        {
            foreach (var (v, m) in _plan.Reads)
            {
                ShardStreamPlan.Visit visit = _plan.Visits[v];
                ShardStreamPlan.Member member = visit.Members[m];
                await WaitForRoomAsync(member, token).ConfigureAwait(false);
                if (member.TooLarge)
                {
                    // Not read: the stream passes over its bytes on the way to the next member it needs.
                    Deliver(member, ShardSampleSource.TooLarge(_plan.Entries[member.EntryAt(0)], _plan.MaxMemberBytes));
                }
                else
                {
                    OpenShard shard = open[v] ??= OpenShard.Start(visit, visit.Start, _counters, token);
                    if (v + 1 < open.Length && open[v + 1] is null)
                    {
                        // The next shard's request goes out now: its first bytes arrive while this one is read.
                        ShardStreamPlan.Visit after = _plan.Visits[v + 1];
                        open[v + 1] = OpenShard.Start(after, after.Start, _counters, token);
                    }

                    Deliver(member, await ReadMemberAsync(shard, visit, member, skip, token).ConfigureAwait(false));
                }

                if (m == visit.Members.Length - 1 && open[v] is { } done)
                {
                    await done.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                Pulse(); // a consumer waiting on a reader that stopped early sees it stopped
            }

            ArrayPool<byte>.Shared.Return(skip);
            foreach (OpenShard? shard in open)
            {
                if (shard is not null)
                {
                    await shard.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Waits until <paramref name="member"/> may be read: it is due (or before the sample due), or holding it keeps within the bounds.</summary>
    private async Task WaitForRoomAsync(ShardStreamPlan.Member member, CancellationToken token)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (member.Step <= _next
                    || (_heldSamples + member.Count <= _maxSamples && _heldBytes + ((long)member.Length * member.Count) <= _maxBytes))
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(token).ConfigureAwait(false);
        }
    }

    /// <summary>The member's bytes (in a rented buffer), or the exception that stands for them.</summary>
    private async Task<object> ReadMemberAsync(OpenShard shard, ShardStreamPlan.Visit visit, ShardStreamPlan.Member member, byte[] skip, CancellationToken token)
    {
        string where = visit.Store.Describe(visit.Key);
        while (true)
        {
            if (shard.Failed is Exception failed)
            {
                return failed;
            }

            PooledBuffer? buffer = null;
            try
            {
                Stream stream = await shard.StreamAsync().ConfigureAwait(false);
                while (shard.Position < member.Offset)
                {
                    int read = await stream.ReadAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, member.Offset - shard.Position)), token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return Truncated(where, member, 0);
                    }

                    shard.Position += read;
                }

                buffer = _pool.Rent(member.Length);
                int got = await stream.ReadAtLeastAsync(buffer.Array.AsMemory(0, member.Length), member.Length, throwOnEndOfStream: false, token).ConfigureAwait(false);
                shard.Position += got;
                if (got < member.Length)
                {
                    buffer.Dispose();
                    return Truncated(where, member, got);
                }

                return buffer;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                buffer?.Dispose();
                throw;
            }
            catch (Exception e)
            {
                buffer?.Dispose();
                if (!shard.IsOpen || e is not IOException || shard.Reopens >= MaxReopens)
                {
                    // The request itself failed (after the store's retries), or the stream keeps breaking: every sample
                    // left in this shard fails with it.
                    shard.Fail(shard.IsOpen
                        ? new StorageException($"Reading '{where}' broke at byte {shard.Position} ({shard.Reopens} times reopened): {e.Message}", (e as StorageException)?.Status ?? 0, e)
                        : e);
                    return shard.Failed!;
                }

                // The connection broke part-way: ask again from this member on.
                await shard.ReopenAsync(member.Offset, token).ConfigureAwait(false);
            }
        }
    }

    private static InvalidDataException Truncated(string where, ShardStreamPlan.Member member, int read) =>
        new($"The shard '{where}' is truncated: a sample needs {member.Length} bytes at offset {member.Offset}, {read} were there.");

    private void Deliver(ShardStreamPlan.Member member, object result)
    {
        // A sample listed at several positions (a repeat) gets its own copy at each.
        var results = new object[member.Count];
        results[0] = result;
        for (int i = 1; i < results.Length; i++)
        {
            if (result is PooledBuffer original)
            {
                PooledBuffer copy = _pool.Rent(original.Length);
                original.Span.CopyTo(copy.Array);
                results[i] = copy;
            }
            else
            {
                results[i] = result;
            }
        }

        lock (_lock)
        {
            for (int i = 0; i < results.Length; i++)
            {
                _ready[member.EntryAt(i)] = results[i];
                if (results[i] is PooledBuffer buffer)
                {
                    _heldSamples++;
                    _heldBytes += buffer.Length;
                }
            }

            _counters.Held(_heldSamples, _heldBytes);
            Pulse();
        }
    }

    /// <summary>One shard's ranged stream, from its request to its disposal; the position is the shard's byte offset.</summary>
    private sealed class OpenShard : IAsyncDisposable
    {
        private readonly ShardStreamPlan.Visit _visit;
        private readonly ShardStreamCounters _counters;
        private Task<Stream>? _opening;

        private OpenShard(ShardStreamPlan.Visit visit, long offset, ShardStreamCounters counters, Task<Stream> opening)
        {
            _visit = visit;
            _counters = counters;
            Position = offset;
            _opening = opening;
        }

        public long Position { get; set; }

        public int Reopens { get; private set; }

        public Exception? Failed { get; private set; }

        /// <summary>True once the request was answered (failures after that are the stream's).</summary>
        public bool IsOpen => _opening is { IsCompletedSuccessfully: true };

        public static OpenShard Start(ShardStreamPlan.Visit visit, long offset, ShardStreamCounters counters, CancellationToken token)
        {
            counters.Opened();
            offset = StartOf(visit, offset);
            return new OpenShard(visit, offset, counters, OpenAsync(visit, offset, token));
        }

        public Task<Stream> StreamAsync() => _opening ?? throw new ObjectDisposedException(_visit.Store.Describe(_visit.Key));

        public void Fail(Exception e) => Failed = e;

        public async Task ReopenAsync(long offset, CancellationToken token)
        {
            await DisposeStreamAsync().ConfigureAwait(false);
            Reopens++;
            Position = offset = StartOf(_visit, offset);
            _counters.Opened();
            _opening = OpenAsync(_visit, offset, token);
        }

        // A gzip shard cannot be entered part-way: its stream starts at the beginning and is read forward to the member.
        private static long StartOf(ShardStreamPlan.Visit visit, long offset) => ShardFiles.IsGzip(visit.Key) ? 0 : offset;

        // A store that fails at once (a local file that is gone) fails the request's task, as a remote store does.
        private static async Task<Stream> OpenAsync(ShardStreamPlan.Visit visit, long offset, CancellationToken token) =>
            (await ShardFiles.OpenAsync(visit.Store, visit.Key, offset, visit.End - offset, token).ConfigureAwait(false)).Stream;

        public ValueTask DisposeAsync() => new(DisposeStreamAsync());

        private async Task DisposeStreamAsync()
        {
            Task<Stream>? opening = _opening;
            _opening = null;
            if (opening is null)
            {
                return;
            }

            try
            {
                Stream stream = await opening.ConfigureAwait(false);
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A request that failed (or was cancelled) has no stream to close; its failure was handed on.
            }
        }
    }
}
