using Dataflow.Pipeline.Distributed;

namespace Dataflow.Pipeline.Planning;

/// <summary>
/// One rank's share of what remains of an epoch, by the exact-step-count rule every partition follows: full steps of
/// <c>BatchSize</c> per rank, then the last step's <c>L</c> samples split as evenly as possible (<c>⌊L/W⌋</c> or
/// <c>⌈L/W⌉</c> each, the first <c>L mod W</c> ranks one more) and settled by the <see cref="RemainderPolicy"/>; with
/// drop-last the whole short step is left out. A pure function of its numbers.
/// </summary>
/// <param name="FullSteps">Steps in which every rank takes a whole batch.</param>
/// <param name="Take">Samples of the last step this rank is given (before the policy settles them).</param>
/// <param name="TakeFrom">Where this rank's part of the last step starts, counted from the last step's start.</param>
/// <param name="Tail">Samples of the last step this rank keeps.</param>
/// <param name="Pad">True when the rank adds one repeated row (weight 0) to even out the step counts.</param>
/// <param name="Dropped">Samples of the last step no rank keeps (the same number on every rank).</param>
/// <param name="Extra">Ranks given one sample more of the last step than the others (<c>L mod W</c>).</param>
internal readonly record struct StepShare(int FullSteps, int Take, int TakeFrom, int Tail, bool Pad, int Dropped, int Extra)
{
    /// <summary>Samples this rank is given from what remains: its full steps and its part of the last step.</summary>
    public long Given(int batchSize) => (long)FullSteps * batchSize + Take;

    /// <summary>Samples this rank keeps (its batches' real rows).</summary>
    public long Kept(int batchSize) => (long)FullSteps * batchSize + Tail;

    /// <summary>Rank <paramref name="rank"/>'s share of <paramref name="remaining"/> samples.</summary>
    public static StepShare Of(long remaining, int batchSize, int worldSize, int rank, RemainderPolicy policy, bool dropLast)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(remaining);
        long stride = (long)batchSize * worldSize;
        int fullSteps = (int)(remaining / stride);
        int last = (int)(remaining - fullSteps * stride);
        if (last == 0)
        {
            return new StepShare(fullSteps, 0, 0, 0, false, 0, 0);
        }

        int quotient = last / worldSize, extra = last % worldSize;
        int take = quotient + (rank < extra ? 1 : 0);
        int from = rank * quotient + Math.Min(rank, extra);
        if (dropLast)
        {
            return new StepShare(fullSteps, take, from, 0, false, last, extra);
        }

        return policy switch
        {
            RemainderPolicy.Drop => new StepShare(fullSteps, take, from, quotient, false, extra, extra),
            RemainderPolicy.Pad => new StepShare(fullSteps, take, from, take, extra > 0 && rank >= extra, 0, extra),
            _ => new StepShare(fullSteps, take, from, take, false, 0, extra),
        };
    }
}
