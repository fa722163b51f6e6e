namespace Dataflow.Pipeline.Internal;

/// <summary>
/// How the library reads environment variables: the process's, or, while a pipeline discovers its dataset, the function
/// given to <see cref="ImagePipelineBuilder.UseEnvironment"/>, so that the storage packages (endpoints, regions,
/// connection strings) see the same variables as the launcher's rank and world size.
/// </summary>
internal static class EnvironmentVariables
{
    private static readonly AsyncLocal<Func<string, string?>?> Scoped = new();

    /// <summary>The function that reads one variable (null when unset) here: the innermost <see cref="Use"/>, else the process's.</summary>
    public static Func<string, string?> Current => Scoped.Value ?? Environment.GetEnvironmentVariable;

    /// <summary>Reads <paramref name="name"/> through <see cref="Current"/>.</summary>
    public static string? Read(string name) => Current(name);

    /// <summary>Makes <paramref name="variable"/> <see cref="Current"/> for this asynchronous flow until the result is disposed.</summary>
    public static Scope Use(Func<string, string?> variable)
    {
        Func<string, string?>? previous = Scoped.Value;
        Scoped.Value = variable;
        return new Scope(previous);
    }

    /// <summary>Restores the function that was current before <see cref="Use"/>.</summary>
    internal readonly struct Scope(Func<string, string?>? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }
}
