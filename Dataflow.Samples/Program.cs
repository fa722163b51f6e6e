using System.CommandLine;
using Dataflow.Samples.Bench;

var root = new RootCommand("Dataflow.Pipeline samples")
{
    BenchCommand.Create(),
    BenchCommand.CreateChild(),
};
return root.Parse(args).Invoke();
