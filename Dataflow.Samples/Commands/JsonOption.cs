using System.CommandLine;

namespace Dataflow.Samples.Commands;

/// <summary>The <c>--json</c> flag every command has.</summary>
public static class JsonOption
{
    /// <summary>A new <c>--json</c> option.</summary>
    public static Option<bool> Create() => new("--json")
    {
        Description = "Write one JSON document to standard output instead of tables and progress.",
    };
}
