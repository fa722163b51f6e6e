using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// Where a command writes and keeps things: a Spectre console for tables and progress, plain writers for
/// JSON and error lines, and the cache folder for the embedded dataset. Tests pass writers over strings.
/// </summary>
public sealed class CommandEnvironment
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>Creates an environment.</summary>
    /// <param name="console">Tables, progress and per-epoch lines.</param>
    /// <param name="output">Machine-readable output (<c>--json</c>) and help.</param>
    /// <param name="error">The one-line error messages.</param>
    /// <param name="cacheRoot">The folder for the cut embedded dataset; null for <see cref="DefaultCacheRoot"/>.</param>
    public CommandEnvironment(IAnsiConsole console, TextWriter output, TextWriter error, string? cacheRoot = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        Console = console;
        Out = output;
        Error = error;
        CacheRoot = cacheRoot ?? DefaultCacheRoot();
    }

    /// <summary>The human-readable output.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Machine-readable output.</summary>
    public TextWriter Out { get; }

    /// <summary>Error lines.</summary>
    public TextWriter Error { get; }

    /// <summary>The cache folder (the digits are cut into <c>CacheRoot/digits/&lt;hash&gt;</c>).</summary>
    public string CacheRoot { get; }

    /// <summary>Keeps <paramref name="resource"/> until the command ends: <see cref="CommandRunner"/> then disposes it (<see cref="DisposeOwned"/>). Thread-safe.</summary>
    public T Own<T>(T resource)
        where T : IDisposable
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_owned)
        {
            _owned.Add(resource);
        }

        return resource;
    }

    /// <summary>Disposes what <see cref="Own"/> kept, the last kept first, and forgets it.</summary>
    public void DisposeOwned()
    {
        IDisposable[] owned;
        lock (_owned)
        {
            owned = [.. _owned];
            _owned.Clear();
        }

        for (int i = owned.Length - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }
    }

    /// <summary>True when the console is a live terminal (progress bars are drawn only then).</summary>
    public bool IsInteractive => Console.Profile.Capabilities.Interactive;

    /// <summary>The process's console.</summary>
    /// <remarks>Through <see cref="Output.ProcessOutput"/>: nothing reaches the output that the app does not write (no
    /// terminal control codes of .NET's console before a <c>--json</c> document).</remarks>
    public static CommandEnvironment FromConsole()
    {
        (IAnsiConsole console, TextWriter output, TextWriter error) = Output.ProcessOutput.Open();
        return new CommandEnvironment(console, output, error);
    }

    /// <summary>An environment over in-memory writers, with no colours, no live display and a fixed width.</summary>
    public static CommandEnvironment ForWriters(TextWriter output, TextWriter error, string? cacheRoot = null, int width = 120)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = width;
        return new CommandEnvironment(console, output, error, cacheRoot);
    }

    /// <summary><c>$DATAFLOW_CACHE</c>, else <c>$XDG_CACHE_HOME/dataflow-pipeline</c>, else <c>~/.cache/dataflow-pipeline</c>.</summary>
    public static string DefaultCacheRoot()
    {
        string? explicitRoot = Environment.GetEnvironmentVariable("DATAFLOW_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitRoot))
        {
            return explicitRoot;
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string baseDir = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "dataflow-pipeline");
    }
}
