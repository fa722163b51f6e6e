using System.CommandLine;
using System.Runtime.CompilerServices;
using Dataflow.Samples.Bench;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Micro;

namespace Dataflow.Samples;

/// <summary>The samples' entry point: a root command whose default is <c>train</c>, and one sub-command per sample.</summary>
public static class Program
{
    /// <summary>Runs the command line against the process's console.</summary>
    public static Task<int> Main(string[] args)
    {
        // Our own messages name the file and the reason; OpenCV's native warnings would only repeat them.
        OpenCvSharp.Cv2.SetLogLevel(OpenCvSharp.LogLevel.ERROR);

        // Published as native AOT (build.sh bench: the bench's measurements start as a deployed trainer would), the
        // app runs the bench's child command alone; the compiler drops every other command from that build, since
        // this switch is a constant there.
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            return RunNativeAsync(args, CommandEnvironment.FromConsole());
        }

        return RunAsync(args, CommandEnvironment.FromConsole());
    }

    /// <summary>
    /// The native AOT build's command line: the bench's child command (<c>bench-variant</c>) alone. Any other command
    /// is a one-line error saying so (the other commands serialize with reflection, which that build does not have).
    /// </summary>
    public static Task<int> RunNativeAsync(string[] args, CommandEnvironment environment) => BenchCommand.RunChildAsync(args, environment);

    /// <summary>Every command, in the order <c>--help</c> lists them. A new command is one file (or folder) and one line here.</summary>
    public static IReadOnlyList<Command> CreateCommands(CommandEnvironment environment) =>
    [
        TrainCommand.Create(environment),
        ScanCommand.Create(environment),
        PreviewCommand.Create(environment),
        DigestCommand.Create(environment),
        PlanCommand.Create(environment),
        CatalanCommand.Create(environment),
        CheckpointsCommand.Create(environment),
        BenchCommand.Create(environment),
        BenchCommand.CreateChild(environment),
        MicroCommand.Create(),
        SoakCommand.Create(environment),
        AugmentPreviewCommand.Create(environment),
        DecodeQualityCommand.Create(environment),
        PackCommand.Create(environment),
        IndexCommand.Create(environment),
        PredictCommand.Create(environment),
    ];

    /// <summary>Builds the root command; with no sub-command it runs <c>train</c>.</summary>
    public static RootCommand CreateRoot(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var root = new RootCommand("Dataflow.Pipeline samples: train a classifier on a folder of images (default: the embedded digits), and look at datasets.");
        foreach (Command command in CreateCommands(environment))
        {
            root.Subcommands.Add(command);
        }

        // One number parser for every command's numeric options: a value that is not a number is one line naming it.
        OptionRules.ParseNumbers(root);
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A user error (bad option, missing folder) prints one line
    /// to the error writer and returns a non-zero exit code; nothing prints a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CommandEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        RootCommand root = CreateRoot(environment);
        ParseResult parse = root.Parse(WithDefaultCommand(args, root));
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
    }

    /// <summary>With no sub-command (nothing, or only options) the arguments go to <c>train</c>.</summary>
    private static string[] WithDefaultCommand(string[] args, RootCommand root)
    {
        if (args.Length > 0 && (root.Subcommands.Any(c => c.Name == args[0]) || args[0] is "--help" or "-h" or "-?" or "--version"))
        {
            return args;
        }

        return ["train", .. args];
    }
}
