using System.CommandLine;
using Dataflow.Samples.Commands;

namespace Dataflow.Samples;

/// <summary>The samples' entry point: a root command whose default is <c>train</c>, and one sub-command per sample.</summary>
/// <remarks>The measurements (bench, micro, soak, decode-quality) are an app of their own, <c>Dataflow.Tools</c>.</remarks>
public static class Program
{
    /// <summary>Runs the command line against the process's console.</summary>
    public static Task<int> Main(string[] args)
    {
        // Our own messages name the file and the reason; OpenCV's native warnings would only repeat them. Without the
        // native runtime there is nothing to quieten: the first pipeline built says which package to add (one line).
        try
        {
            OpenCvSharp.Cv2.SetLogLevel(OpenCvSharp.LogLevel.ERROR);
        }
        catch (TypeInitializationException)
        {
        }

        return RunAsync(args, CommandEnvironment.FromConsole());
    }

    /// <summary>Every command, in the order <c>--help</c> lists them. A new command is one file (or folder) and one line here.</summary>
    public static IReadOnlyList<Command> CreateCommands(CommandEnvironment environment) =>
    [
        TrainCommand.Create(environment),
        ScanCommand.Create(environment),
        PreviewCommand.Create(environment),
        DumpCommand.Create(environment),
        DigestCommand.Create(environment),
        PlanCommand.Create(environment),
        CatalanCommand.Create(environment),
        CheckpointsCommand.Create(environment),
        AugmentPreviewCommand.Create(environment),
        PackCommand.Create(environment),
        IndexCommand.Create(environment),
        PredictCommand.Create(environment),
        MakeDetectionCommand.Create(environment),
        TrainDetectCommand.Create(environment),
        PredictDetectCommand.Create(environment),
    ];

    /// <summary>Builds the root command; with no sub-command it runs <c>train</c>.</summary>
    public static RootCommand CreateRoot(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return CommandRunner.Root("Dataflow.Pipeline samples: train a classifier on a folder of images (default: the embedded digits), and look at datasets.",
            CreateCommands(environment));
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A user error (bad option, missing folder) prints one line
    /// to the error writer and returns a non-zero exit code; nothing prints a stack trace.
    /// </summary>
    public static Task<int> RunAsync(string[] args, CommandEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        RootCommand root = CreateRoot(environment);
        return CommandRunner.RunAsync(root, WithDefaultCommand(args, root), environment, cancellationToken);
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
