using System.CommandLine;
using Dataflow.Samples.Bench;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Micro;

var root = new RootCommand("Dataflow.Pipeline samples")
{
    BenchCommand.Create(),
    BenchCommand.CreateChild(),
    MicroCommand.Create(),
    SoakCommand.Create(),
};
return root.Parse(args).Invoke();
