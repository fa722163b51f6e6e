using System.Text;

namespace Dataflow.Pipeline;

/// <summary>
/// Ends a run in which more samples failed than <see cref="PipelineOptions.MaxFailures"/> or
/// <see cref="PipelineOptions.MaxFailureFraction"/> allow, or in which an epoch could batch no sample at all.
/// The message summarises the failures by stage and reason, with a few paths of each.
/// </summary>
public sealed class FailureBudgetExceededException : Exception
{
    private const int PathsPerReason = 3;
    private const int ReasonsShown = 8;

    /// <summary>Creates the exception.</summary>
    public FailureBudgetExceededException(string what, IReadOnlyList<SkippedSample> failures)
        : base(Summarise(what, failures))
    {
        Failures = failures;
    }

    /// <summary>The failures counted against the budget (path, epoch, stage, reason).</summary>
    public IReadOnlyList<SkippedSample> Failures { get; }

    private static string Summarise(string what, IReadOnlyList<SkippedSample> failures)
    {
        ArgumentNullException.ThrowIfNull(what);
        ArgumentNullException.ThrowIfNull(failures);
        var text = new StringBuilder(what);
        var groups = failures.GroupBy(f => (f.Stage, f.Reason)).OrderByDescending(g => g.Count()).ToList();
        foreach (var group in groups.Take(ReasonsShown))
        {
            string paths = string.Join(", ", group.Select(f => f.Path).Distinct().Take(PathsPerReason));
            string more = group.Select(f => f.Path).Distinct().Count() > PathsPerReason ? ", ..." : "";
            text.Append($"\n  {group.Count()} x {group.Key.Stage}: {group.Key.Reason} ({paths}{more})");
        }

        if (groups.Count > ReasonsShown)
        {
            text.Append($"\n  ... and {groups.Count - ReasonsShown} other reasons (see the run's report)");
        }

        return text.ToString();
    }
}
