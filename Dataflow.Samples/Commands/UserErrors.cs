using System.Diagnostics.CodeAnalysis;
using Dataflow.Pipeline;

namespace Dataflow.Samples.Commands;

/// <summary>Which exceptions are the user's problem (shown as one line) and what that line says.</summary>
public static class UserErrors
{
    /// <summary>True when <paramref name="exception"/> is a user error; <paramref name="line"/> is then the one line to print.</summary>
    public static bool TryDescribe(Exception exception, [NotNullWhen(true)] out string? line)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception e = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerException! : exception;
        line = e switch
        {
            UsageException => e.Message,
            OperationCanceledException => "cancelled",
            // Options validated by the library name the option, its range and the value.
            ArgumentException => e.Message,
            SampleFailedException => e.Message,
            // The dataset's own fault (nothing decodes, too many files fail): the count and the reasons with their paths.
            FailureBudgetExceededException => e.Message,
            DirectoryNotFoundException or FileNotFoundException or InvalidDataException or UnauthorizedAccessException => e.Message,
            IOException => e.Message,
            // A missing native runtime: the library names it, its package and version.
            DllNotFoundException => e.Message,
            _ => null,
        };
        if (line is not null)
        {
            // The one-line promise: messages with embedded newlines (a list of reasons, indented) are folded into one.
            line = string.Join(' ', line.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return line is not null;
    }
}
