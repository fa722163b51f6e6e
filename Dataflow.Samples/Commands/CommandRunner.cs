using System.CommandLine;

namespace Dataflow.Samples.Commands;

/// <summary>
/// Parses and runs a command line the same way in every app of the repository (the samples and the tools): one
/// number parser for every numeric option, and a user error as one line on the error writer with a non-zero exit
/// code, never a stack trace.
/// </summary>
public static class CommandRunner
{
    /// <summary>A root command holding <paramref name="commands"/>, in the order <c>--help</c> lists them.</summary>
    public static RootCommand Root(string description, IEnumerable<Command> commands)
    {
        // The apps read every kind of location the project ships a store for.
        Dataflow.Pipeline.Sources.S3Storage.Register();
        Dataflow.Pipeline.Sources.AzureBlobStorage.Register();
        Dataflow.Pipeline.Sources.ParquetDatasets.Register();
        var root = new RootCommand(description);
        foreach (Command command in commands)
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>Gives every numeric option of <paramref name="root"/> its one-line parser (<see cref="OptionRules.ParseNumbers"/>), then parses and runs <paramref name="args"/>.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args, CommandEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);

        // One number parser for every command's numeric options: a value that is not a number is one line naming it.
        OptionRules.ParseNumbers(root);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line: the first problem, naming the option; --help says the rest.
            string message = string.Join(' ', parse.Errors[0].Message.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            environment.Error.WriteLine($"error: {message} (see --help)");
            return ExitCodes.UsageError;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = environment.Out,
                Error = environment.Error,
                EnableDefaultExceptionHandler = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (UserErrors.TryDescribe(e, out string? line))
        {
            environment.Error.WriteLine($"error: {line}");
            return e switch
            {
                OperationCanceledException => ExitCodes.Cancelled,
                UsageException or ArgumentException => ExitCodes.UsageError,
                _ => ExitCodes.Failed,
            };
        }
        finally
        {
            // The datasets the command resolved, with the sources they made (file handles, object-store clients).
            environment.DisposeOwned();
        }
    }
}
