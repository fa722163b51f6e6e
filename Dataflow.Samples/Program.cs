using System.CommandLine;
using Dataflow.Samples.Bench;
using Dataflow.Samples.Micro;

var root = new RootCommand("Dataflow.Pipeline samples")
{
    BenchCommand.Create(),
    BenchCommand.CreateChild(),
    MicroCommand.Create(),
};
return root.Parse(args).Invoke();
