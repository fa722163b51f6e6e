namespace Dataflow.Pipeline.Graph;

/// <summary>
/// How many skipped samples a run tolerates: a count over the run (<see cref="PipelineOptions.MaxFailures"/>) and a
/// fraction of each epoch (<see cref="PipelineOptions.MaxFailureFraction"/>). Past either, the run faults with a
/// <see cref="FailureBudgetExceededException"/> summarising the reasons.
/// </summary>
internal sealed class FailureBudget
{
    private readonly int? _maxFailures;
    private readonly double _maxFraction;

    public FailureBudget(int? maxFailures, double maxFraction)
    {
        _maxFailures = maxFailures;
        _maxFraction = maxFraction;
    }

    /// <summary>The exception that ends the run when the failures so far exceed the budget; null while within it.</summary>
    public FailureBudgetExceededException? IsExceeded(PipelineReport report, int epoch, int epochLength)
    {
        long total = report.SkippedCount;
        if (_maxFailures is int max && total > max)
        {
            return new FailureBudgetExceededException(
                $"{total} samples failed, more than {nameof(PipelineOptions.MaxFailures)} = {max}.", report.Skipped);
        }

        long inEpoch = report.SkippedIn(epoch);
        if (_maxFraction < 1 && inEpoch > _maxFraction * epochLength)
        {
            return new FailureBudgetExceededException(
                $"{inEpoch} of the {epochLength} samples of epoch {epoch} failed, more than {nameof(PipelineOptions.MaxFailureFraction)} = {_maxFraction}.",
                report.Skipped.Where(s => s.Epoch == epoch).ToList());
        }

        return null;
    }

    /// <summary>The exception for an epoch in which no sample could be batched.</summary>
    public static FailureBudgetExceededException NothingBatched(PipelineReport report, int epoch, int epochLength) =>
        new($"None of the {epochLength} samples of epoch {epoch} could be batched.",
            report.Skipped.Where(s => s.Epoch == epoch).ToList());
}
