using System.Text;
using Microsoft.Win32.SafeHandles;
using Spectre.Console;

namespace Dataflow.Samples.Output;

/// <summary>
/// The process's standard output and error as plain streams over their file descriptors, and the Spectre console
/// over standard output. .NET's own console streams, <see cref="Console.CancelKeyPress"/> and
/// <see cref="Console.WindowWidth"/> put a terminal into keypad mode (<c>ESC[?1h ESC=</c>) on first use, and
/// under <c>mpirun</c> standard output is a pseudo-terminal: those bytes would come before a <c>--json</c> document.
/// Written through these streams, the output holds what the app writes and nothing else; the terminal's width is read
/// only when a table or progress bar is drawn on a terminal.
/// </summary>
public sealed class ProcessOutput : IAnsiConsoleOutput
{
    private const int RedirectedWidth = 160;

    private ProcessOutput(TextWriter writer, bool isTerminal)
    {
        Writer = writer;
        IsTerminal = isTerminal;
    }

    /// <inheritdoc />
    public TextWriter Writer { get; }

    /// <inheritdoc />
    public bool IsTerminal { get; }

    /// <inheritdoc />
    /// <remarks>Written to a file or a pipe: wrapping at an 80-column fallback would only break lines.</remarks>
    public int Width => IsTerminal ? TerminalSize(static () => Console.WindowWidth, 80) : RedirectedWidth;

    /// <inheritdoc />
    public int Height => IsTerminal ? TerminalSize(static () => Console.WindowHeight, 24) : 24;

    /// <summary>Standard output, standard error, and the Spectre console over standard output.</summary>
    public static (IAnsiConsole Console, TextWriter Out, TextWriter Error) Open()
    {
        if (OperatingSystem.IsWindows())
        {
            return (AnsiConsole.Console, Console.Out, Console.Error);
        }

        TextWriter output = OpenDescriptor(1);
        TextWriter error = OpenDescriptor(2);
        bool terminal = !Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal && !Console.IsInputRedirected ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new ProcessOutput(output, terminal),
        });
        return (console, output, error);
    }

    /// <inheritdoc />
    public void SetEncoding(Encoding encoding)
    {
        // The writers are UTF-8 from the start.
    }

    /// <summary>The terminal's size, or the fallback where it reports none (a pseudo-terminal without a size).</summary>
    private static int TerminalSize(Func<int> read, int fallback)
    {
        try
        {
            int size = read();
            return size > 0 ? size : fallback;
        }
        catch (IOException)
        {
            return fallback;
        }
    }

    private static StreamWriter OpenDescriptor(int descriptor) =>
        new(new FileStream(new SafeFileHandle(descriptor, ownsHandle: false), FileAccess.Write, bufferSize: 0), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 12)
        {
            AutoFlush = true,
        };
}
