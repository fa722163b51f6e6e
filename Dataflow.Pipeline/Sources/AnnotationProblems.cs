namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Every problem a source found in a dataset's annotation files at discovery (a class out of range, a box with a negative
/// size, a line that is not numbers …), carried by the <see cref="InvalidDataException"/> that refuses the dataset: its
/// message shows the first few, <see cref="TryGet"/> gives them all (up to <see cref="MaxKept"/>).
/// </summary>
public static class AnnotationProblems
{
    /// <summary>The most problems an exception keeps; the count counts them all.</summary>
    public const int MaxKept = 10_000;

    private const string ProblemsKey = "Dataflow.AnnotationProblems", CountKey = "Dataflow.AnnotationProblemCount";

    /// <summary>
    /// The problems <paramref name="exception"/> carries, each naming its file and line, row or annotation id, and why, in
    /// the order found; false when it is not a source's refusal of its annotations.
    /// </summary>
    /// <param name="exception">An exception thrown by a source's discovery.</param>
    /// <param name="problems">The problems kept (at most <see cref="MaxKept"/>).</param>
    /// <param name="count">How many were found.</param>
    public static bool TryGet(Exception exception, out IReadOnlyList<string> problems, out int count)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is InvalidDataException && exception.Data[ProblemsKey] is string[] kept && exception.Data[CountKey] is int found)
        {
            (problems, count) = (kept, found);
            return true;
        }

        (problems, count) = ([], 0);
        return false;
    }

    /// <summary>An exception with <paramref name="message"/> that carries <paramref name="problems"/>.</summary>
    internal static InvalidDataException Exception(string message, string[] problems, int count)
    {
        var exception = new InvalidDataException(message);
        exception.Data[ProblemsKey] = problems;
        exception.Data[CountKey] = count;
        return exception;
    }
}
