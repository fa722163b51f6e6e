using System.CommandLine;
using System.Runtime.CompilerServices;
using Dataflow.Samples.Commands;
using Dataflow.Tools.Bench;
using Dataflow.Tools.DecodeQuality;
using Dataflow.Tools.Micro;
using Dataflow.Tools.Soak;

namespace Dataflow.Tools;

/// <summary>
/// The measurement tools' entry point: the bench against the decode ceiling and its child command, the kernel
/// micro-benchmarks, the soak and the decode-quality measurement. The user commands are the samples app's.
/// </summary>
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

    /// <summary>Every command, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<Command> CreateCommands(CommandEnvironment environment) =>
    [
        BenchCommand.Create(environment),
        BenchCommand.CreateChild(environment),
        MicroCommand.Create(),
        SoakCommand.Create(environment),
        DecodeQualityCommand.Create(environment),
    ];

    /// <summary>Builds the root command.</summary>
    public static RootCommand CreateRoot(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return CommandRunner.Root("Dataflow.Pipeline measurements: the bench against the bare decode ceiling, kernel micro-benchmarks, the soak, reduced-decode quality.",
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
        if (args.Length > 0 && !args[0].StartsWith('-') && !root.Subcommands.Any(c => c.Name == args[0]))
        {
            // The parser would only say that no command was given; name the word and where the user commands are.
            environment.Error.WriteLine($"error: '{args[0]}' is not a command of the tools ({string.Join(", ", root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}); the user commands (train, scan, preview ...) are the samples app's: ./build.sh {args[0]}");
            return Task.FromResult(ExitCodes.UsageError);
        }

        return CommandRunner.RunAsync(root, args, environment, cancellationToken);
    }
}
