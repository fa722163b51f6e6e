namespace Dataflow.Samples.Commands;

/// <summary>A problem with what the user asked for; its message is printed as the one error line.</summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates the exception with the line to print (it names the option or path).</summary>
    public UsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the line to print and its cause.</summary>
    public UsageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
