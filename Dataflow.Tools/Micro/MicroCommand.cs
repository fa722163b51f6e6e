using System.CommandLine;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Dataflow.Tools.Micro;

/// <summary>The <c>micro</c> command: BenchmarkDotNet micro-benchmarks of the per-image kernels.</summary>
internal static class MicroCommand
{
    /// <summary>Creates the command; arguments after <c>--</c> go to BenchmarkDotNet (e.g. <c>--filter '*Normalize*'</c>).</summary>
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A short run (3 warm-ups, 5 iterations) instead of BenchmarkDotNet's default" };
        var rest = new Argument<string[]>("benchmark-args") { Description = "Arguments for BenchmarkDotNet, e.g. --filter '*Normalize*'", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("micro", "BenchmarkDotNet micro-benchmarks of the per-image kernels (normalize + layout, colour, flip, assemble)") { quick, rest };
        command.SetAction(parse =>
        {
            // In process: the app is already built in Release, and a child build per benchmark would take minutes on 2 cores.
            Job job = (parse.GetValue(quick) ? Job.ShortRun.WithWarmupCount(3).WithIterationCount(5) : Job.Default)
                .WithToolchain(InProcessEmitToolchain.Instance);
            IConfig config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
            string[] args = parse.GetValue(rest) ?? [];
            BenchmarkSwitcher.FromTypes([typeof(KernelBenchmarks), typeof(AssembleBenchmarks), typeof(SourceCropBenchmarks)]).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
            return 0;
        });
        return command;
    }
}
