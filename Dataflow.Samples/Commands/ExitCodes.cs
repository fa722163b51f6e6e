namespace Dataflow.Samples.Commands;

/// <summary>The process exit codes of every command.</summary>
public static class ExitCodes
{
    /// <summary>The command did its job.</summary>
    public const int Success = 0;

    /// <summary>The command ran but could not finish: a dataset without classes or images, unreadable files, a failed run.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong: an unknown option, a value out of range, a missing folder or file.</summary>
    public const int UsageError = 2;

    /// <summary>The run was cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
