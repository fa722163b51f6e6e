using System.Numerics;
using System.Threading.Tasks.Dataflow;

namespace Dataflow.Samples.Generators;

/// <summary>
/// The Catalan numbers 1, 1, 2, 5, 14, 42 … as an endless Dataflow source: a producer walks the lazy
/// <see cref="Sequence"/> and sends each number into a bounded buffer, so it computes the next number
/// only when the consumer has made room (back-pressure), never running more than
/// <see cref="BoundedCapacity"/> numbers ahead. <see cref="BigInteger"/> keeps it exact for ever.
/// </summary>
/// <remarks>The C# counterpart of a Python generator consumed by <c>itertools.islice</c> in chunks.</remarks>
public sealed class CatalanSource : IAsyncDisposable
{
    private readonly BufferBlock<BigInteger> _buffer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private long _produced;

    /// <summary>Starts producing into a buffer of <paramref name="boundedCapacity"/> numbers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="boundedCapacity"/> is below 1.</exception>
    public CatalanSource(int boundedCapacity)
    {
        if (boundedCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(boundedCapacity), boundedCapacity, $"Parameter \"boundedCapacity\" must be at least 1, was {boundedCapacity}.");
        }

        BoundedCapacity = boundedCapacity;
        _buffer = new BufferBlock<BigInteger>(new DataflowBlockOptions { BoundedCapacity = boundedCapacity });
        _producer = Task.Run(ProduceAsync);
    }

    /// <summary>The most numbers produced and not yet taken.</summary>
    public int BoundedCapacity { get; }

    /// <summary>The block to receive from (or link to).</summary>
    public IReceivableSourceBlock<BigInteger> Source => _buffer;

    /// <summary>Numbers the buffer has accepted so far.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>The Catalan numbers, lazily: C₀ = 1, Cₙ₊₁ = Cₙ · 2(2n + 1) / (n + 2) (the division is exact).</summary>
    public static IEnumerable<BigInteger> Sequence()
    {
        BigInteger c = BigInteger.One;
        for (long n = 0; ; n++)
        {
            yield return c;
            c = c * (2 * (2 * n + 1)) / (n + 2);
        }
    }

    /// <summary>Receives the next <paramref name="count"/> numbers, waiting for the producer as needed.</summary>
    public async Task<BigInteger[]> TakeAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var chunk = new BigInteger[count];
        for (int i = 0; i < count; i++)
        {
            chunk[i] = await _buffer.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        }

        return chunk;
    }

    /// <summary>Stops the producer and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _buffer.Complete();
        try
        {
            await _producer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ProduceAsync()
    {
        foreach (BigInteger value in Sequence())
        {
            // SendAsync waits while the buffer is full: the sequence is not advanced until there is room.
            if (!await _buffer.SendAsync(value, _stop.Token).ConfigureAwait(false))
            {
                return;
            }

            Interlocked.Increment(ref _produced);
        }
    }
}
