using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Commands;
using Spectre.Console;

namespace Dataflow.Tools.Bench;

/// <summary>
/// The <c>bench</c> command: measures the pipeline against the bare decode ceiling in one invocation,
/// rounds interleaved, each measurement in a fresh child process so that peak memory, GC counts and
/// time to the first batch belong to that variant alone.
/// </summary>
internal static class BenchCommand
{
    private const string ChildCommandName = "bench-variant";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The public <c>bench</c> command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var options = new BenchOptions();
        var rounds = new Option<int>("--rounds") { Description = "Rounds; each runs every variant once, in alternating order", DefaultValueFactory = _ => 5 }
            .Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var variants = new Option<string>("--variants")
        {
            Description = $"Comma-separated variants: {string.Join(", ", BenchVariant.Names)}",
            DefaultValueFactory = _ => "ceiling,pipeline",
        };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON" };
        var command = new Command("bench", "Measure the pipeline against the bare OpenCV decode+resize ceiling, rounds interleaved")
        {
            rounds, variants, json,
        };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            BenchSettings settings = options.Read(parse);
            int r = parse.GetValue(rounds);
            string[] names = parse.GetValue(variants)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (string name in names)
            {
                if (!BenchVariant.Names.Contains(name))
                {
                    throw new ArgumentException($"--variants: unknown variant '{name}'; use {string.Join(", ", BenchVariant.Names)}.", "--variants");
                }
            }

            if (!File.Exists(ChildBuild))
            {
                throw new UsageException($"{ChildEnvironmentVariable}: the executable '{ChildBuild}' does not exist (./build.sh bench sets it to the native build; unset it to measure in this build).");
            }

            return Run(environment, settings, names, r, parse.GetValue(json));
        });
        return command;
    }

    /// <summary>The hidden command a child process runs: one variant, its measurement as one JSON line on stdout.</summary>
    public static Command CreateChild(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var options = new BenchOptions();
        var variant = new Option<string>("--variant") { Required = true };
        var command = new Command(ChildCommandName, "Run one bench variant (used by bench)") { variant };
        command.Hidden = true;
        options.AddTo(command);
        command.SetAction(parse =>
        {
            BenchMeasurement m = BenchVariant.Run(parse.GetValue(variant)!, options.Read(parse));
            environment.Out.WriteLine(JsonSerializer.Serialize(m, BenchMeasurementJson.Default.BenchMeasurement));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The native AOT build's whole command line: <c>bench-variant</c> and its options, nothing else (the other
    /// commands serialize with reflection, which that build does not have).
    /// </summary>
    public static Task<int> RunChildAsync(string[] args, CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = new RootCommand("Dataflow.Pipeline bench measurements (native AOT build)") { CreateChild(environment) };
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 || args.Length == 0 || args[0] != ChildCommandName)
        {
            string problem = args.Length == 0 || args[0] != ChildCommandName
                ? $"this native build runs '{ChildCommandName}' only (build.sh bench starts it); run the other commands with ./build.sh"
                : parse.Errors[0].Message;
            environment.Error.WriteLine($"error: {problem}");
            return Task.FromResult(ExitCodes.UsageError);
        }

        return parse.InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error });
    }

    private static int Run(CommandEnvironment environment, BenchSettings settings, string[] variants, int rounds, bool json)
    {
        IAnsiConsole console = environment.Console;
        var machine = MachineInfo.Describe();
        double loadBefore = MachineInfo.LoadAverage();
        var all = new List<BenchMeasurement>();
        for (int round = 0; round < rounds; round++)
        {
            // Alternate the order so that a drift in machine load hits every variant alike.
            IEnumerable<string> order = round % 2 == 0 ? variants : variants.Reverse();
            foreach (string variant in order)
            {
                BenchMeasurement m = RunChild(settings, variant);
                all.Add(m);
                if (!json)
                {
                    console.MarkupLineInterpolated($"[grey]round {round + 1}/{rounds} {variant}: {m.ImagesPerSecond:F0} images/s, peak RSS {m.PeakRssMiB:F0} MiB[/]");
                }
            }
        }

        var summaries = variants.Select(v => BenchSummary.Of(v, all.Where(m => m.Variant == v).ToList())).ToList();
        var ratios = BenchRatio.All(variants, all, rounds);
        var report = new
        {
            machine,
            childBuild = ChildBuild,
            loadAverageBefore = loadBefore,
            loadAverageAfter = MachineInfo.LoadAverage(),
            settings = new
            {
                settings.Data,
                settings.Width,
                settings.Height,
                color = EnumSpellings.Of(settings.Color),
                interpolation = EnumSpellings.Of(settings.Interpolation),
                settings.Normalization,
                settings.Flip,
                settings.BatchSize,
                settings.Epochs,
                settings.OpenCvThreads,
                settings.CeilingThreads,
                settings.Parallelism,
                settings.SplitStages,
                rounds,
            },
            variants = summaries,
            ratios,
            measurements = all,
        };
        if (json)
        {
            environment.Out.WriteLine(JsonSerializer.Serialize(report, Json));
            return 0;
        }

        console.MarkupLineInterpolated($"[bold]{settings.Data}[/]: {settings.Width}x{settings.Height} {EnumSpellings.Of(settings.Color)} {EnumSpellings.Of(settings.Interpolation)}, batch {settings.BatchSize}, {settings.Epochs} epoch(s), {rounds} rounds; {machine.Cpu}, {machine.Cores} cores, load {loadBefore:F2} -> {report.loadAverageAfter:F2}");
        console.MarkupLineInterpolated($"[grey]each measurement a fresh process of {ChildBuild}[/]");
        var table = new Table().AddColumns("variant", "images/s median", "min", "max", "CPU ms/image", "of it trainer", "peak RSS MiB", "alloc B/image", "GC 0/1/2", "first batch s");
        foreach (BenchSummary s in summaries)
        {
            table.AddRow(s.Variant, F(s.ImagesPerSecondMedian, 0), F(s.ImagesPerSecondMin, 0), F(s.ImagesPerSecondMax, 0), F(s.CpuMsPerImage, 3), F(s.TrainerMsPerImage, 3),
                F(s.PeakRssMiB, 0), F(s.AllocatedBytesPerImage, 0), $"{s.Gen0}/{s.Gen1}/{s.Gen2}", s.FirstBatchSeconds is double f ? F(f, 3) : "-");
        }

        console.Write(table);
        foreach (string variant in variants.Where(v => v.StartsWith("discover", StringComparison.Ordinal)))
        {
            var runs = all.Where(m => m.Variant == variant).ToList();
            console.MarkupLineInterpolated($"{variant}: {runs[0].Images} samples; discovery [bold]{BenchSummary.Median(runs.Select(m => m.DiscoverySeconds ?? 0)):F3}[/] s, split and plan {BenchSummary.Median(runs.Select(m => m.PlanSeconds ?? 0)):F3} s (medians), [bold]{BenchSummary.Median(runs.Select(m => m.RetainedBytesPerSample ?? 0)):F1}[/] bytes kept per sample (set + selection + plan), peak RSS {runs.Max(m => m.PeakRssMiB):F0} MiB");
        }

        foreach (BenchRatio ratio in ratios)
        {
            console.MarkupLineInterpolated($"{ratio.Numerator} / {ratio.Denominator}: [bold]{ratio.MedianOfRoundRatios:F3}[/] images/s (median of per-round ratios; rounds {ratio.Min:F3}..{ratio.Max:F3}); from CPU ms/image {ratio.CpuRatioMedian:F3}, without the trainer's time {ratio.CpuRatioWithoutTrainerMedian:F3}");
            if (ratio.LaterEpochsMedian is double later)
            {
                console.MarkupLineInterpolated($"  epochs after the first: [bold]{later:F3}[/]x the ceiling's images/s (median of rounds)");
            }
        }

        return 0;
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// <summary>
    /// The executable that runs each measurement: <see cref="ChildEnvironmentVariable"/> when set (build.sh sets the
    /// native AOT build of this app), else this process's own app.
    /// </summary>
    public static string ChildBuild =>
        Environment.GetEnvironmentVariable(ChildEnvironmentVariable) is { Length: > 0 } child ? child : Environment.ProcessPath!;

    /// <summary>Names an executable of this app that runs the measurements (a native AOT build, say).</summary>
    public const string ChildEnvironmentVariable = "DATAFLOW_BENCH_CHILD";

    private static BenchMeasurement RunChild(BenchSettings settings, string variant)
    {
        var start = new ProcessStartInfo
        {
            FileName = ChildBuild,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Run by the `dotnet` host: the app's dll comes first; run by the app host (or native): it does not.
        if (Path.GetFileNameWithoutExtension(start.FileName).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        }

        start.ArgumentList.Add(ChildCommandName);
        foreach (string argument in settings.ChildArguments(variant))
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start)!;
        Task<string> error = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {variant} run failed (exit code {child.ExitCode}): {error.Result}{output}");
        }

        string line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        return JsonSerializer.Deserialize(line, BenchMeasurementJson.Default.BenchMeasurement)
            ?? throw new InvalidOperationException($"The {variant} run printed no measurement: {output}");
    }

    /// <summary>The options shared by the bench and its child runs.</summary>
    private sealed class BenchOptions
    {
        private readonly Option<string> _data = new("--data") { Description = "Dataset root: one sub-folder per class (pipeline-shards: a folder or location of shards; pipeline-objects: s3://bucket/prefix or az://container/prefix)", Required = true };
        private readonly Option<int> _width = new("--width") { Description = "Target width", DefaultValueFactory = _ => 224 };
        private readonly Option<int> _height = new("--height") { Description = "Target height", DefaultValueFactory = _ => 224 };
        private readonly Option<string> _color = new Option<string>("--color") { Description = $"Channels: {string.Join(", ", EnumSpellings.Colors)}", DefaultValueFactory = _ => "rgb" }
            .OneOf(EnumSpellings.Colors);
        private readonly Option<string> _interpolation = new Option<string>("--interpolation") { Description = $"Resampling: {string.Join(", ", EnumSpellings.Interpolations)}", DefaultValueFactory = _ => "bilinear" }
            .OneOf(EnumSpellings.Interpolations);
        private readonly Option<string> _normalization = new Option<string>("--normalization")
        {
            Description = $"Normalization preset: {string.Join(", ", NormalizationOptions.Presets.Keys)}",
            DefaultValueFactory = _ => "imagenet",
        }.OneOf([.. NormalizationOptions.Presets.Keys]);
        private readonly Option<bool> _flip = new("--flip") { Description = "Random horizontal flip in the pipeline", DefaultValueFactory = _ => true };
        private readonly Option<int> _batchSize = new("--batch-size") { Description = "Images per batch", DefaultValueFactory = _ => 32 };
        private readonly Option<int> _epochs = new("--epochs") { Description = "Passes over the data per measurement (the ceiling makes as many)", DefaultValueFactory = _ => 1 };
        private readonly Option<int?> _openCvThreads = new("--opencv-threads") { Description = "Cv2.SetNumThreads in every variant (default: OpenCV's own choice)" };
        private readonly Option<int?> _ceilingThreads = new("--ceiling-threads") { Description = "Threads of the ceiling loop (default: one per core)" };
        private readonly Option<int?> _parallelism = new("--parallelism") { Description = "MaxDegreeOfParallelism of the pipeline's CPU stages (default: the library's)" };
        private readonly Option<bool> _splitStages = new("--split-stages") { Description = "Add a no-op user stage after augment: decode, augment and normalize then run in separate blocks instead of one" };
        private readonly Option<int> _shuffleBuffer = new Option<int>("--shuffle-buffer") { Description = "Shuffle buffer of the shards-* variants, in samples (also what a shard stream may hold)", DefaultValueFactory = _ => 256 }
            .Require<Option<int>, int>(v => v >= 1, "must be at least 1");

        private readonly Option<int?> _bytesInFlight = new Option<int?>("--bytes-in-flight") { Description = "StorageOptions.MaxBytesInFlight of the shards-* and objects-* variants, in MiB (default: the library's, 64)" }
            .Require<Option<int?>, int?>(v => v is null or >= 1, "must be at least 1");

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { _data, _width, _height, _color, _interpolation, _normalization, _flip, _batchSize, _epochs, _openCvThreads, _ceilingThreads, _parallelism, _splitStages, _shuffleBuffer, _bytesInFlight })
            {
                command.Options.Add(option);
            }
        }

        public BenchSettings Read(ParseResult parse)
        {
            string normalization = parse.GetValue(_normalization)!;
            // A missing folder is a usage error (exit 2), as in every other command.
            string raw = parse.GetValue(_data)!;
            string data = Dataflow.Pipeline.Sources.StorageLocation.IsRemote(raw) ? raw : FolderOption.Require(raw, "--data");

            var settings = new BenchSettings
            {
                Data = data,
                Width = parse.GetValue(_width),
                Height = parse.GetValue(_height),
                Color = EnumSpellings.ParseColor(parse.GetValue(_color)!),
                Interpolation = EnumSpellings.ParseInterpolation(parse.GetValue(_interpolation)!),
                Normalization = normalization,
                Flip = parse.GetValue(_flip),
                BatchSize = parse.GetValue(_batchSize),
                Epochs = parse.GetValue(_epochs),
                OpenCvThreads = parse.GetValue(_openCvThreads),
                CeilingThreads = parse.GetValue(_ceilingThreads),
                Parallelism = parse.GetValue(_parallelism),
                SplitStages = parse.GetValue(_splitStages),
                ShuffleBuffer = parse.GetValue(_shuffleBuffer),
                BytesInFlightMiB = parse.GetValue(_bytesInFlight),
            };

            // The library's ranges, each failure naming the flag that set the value.
            var flags = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [nameof(PipelineOptions.Width)] = _width.Name,
                [nameof(PipelineOptions.Height)] = _height.Name,
                [nameof(PipelineOptions.BatchSize)] = _batchSize.Name,
                [nameof(PipelineOptions.Epochs)] = _epochs.Name,
            };
            foreach (string stage in new[] { nameof(PipelineOptions.Decode), nameof(PipelineOptions.Augment), nameof(PipelineOptions.Normalize) })
            {
                flags[stage + "." + nameof(StageOptions.MaxDegreeOfParallelism)] = _parallelism.Name;
                flags[stage + "." + nameof(StageOptions.BoundedCapacity)] = _parallelism.Name;
            }

            LibraryOptionFailures.Check(settings.PipelineOptions(reducedDecode: true), flags);
            return settings;
        }
    }
}

/// <summary>One variant over all rounds.</summary>
internal sealed record BenchSummary(
    string Variant, int Rounds, double ImagesPerSecondMedian, double ImagesPerSecondMin, double ImagesPerSecondMax,
    double CpuMsPerImage, double TrainerMsPerImage, double PeakRssMiB, double AllocatedBytesPerImage, int Gen0, int Gen1, int Gen2, double? FirstBatchSeconds)
{
    /// <summary>Medians over the rounds, except peak RSS: the largest round.</summary>
    public static BenchSummary Of(string variant, IReadOnlyList<BenchMeasurement> runs)
    {
        var rates = runs.Select(m => m.ImagesPerSecond).ToList();
        return new BenchSummary(variant, runs.Count, Median(rates), rates.Min(), rates.Max(),
            Median(runs.Select(m => m.CpuMsPerImage)), Median(runs.Select(m => m.TrainerMsPerImage)), runs.Max(m => m.PeakRssMiB), Median(runs.Select(m => m.AllocatedBytesPerImage)),
            (int)Median(runs.Select(m => (double)m.Gen0)), (int)Median(runs.Select(m => (double)m.Gen1)), (int)Median(runs.Select(m => (double)m.Gen2)),
            runs.All(m => m.FirstBatchSeconds is not null) ? Median(runs.Select(m => m.FirstBatchSeconds!.Value)) : null);
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>
/// Throughput of a pipeline variant over a ceiling variant, per round (they ran back to back), and the same ratio
/// from CPU time per image (ceiling's over pipeline's): what the throughput ratio is when both have the cores to
/// themselves, and robust to a machine shared with other work, where throughput also depends on the CPU share a
/// process's threads win; and that CPU ratio without the time spent in the trainer callback (the bench's stand-in
/// for a model, which reads every value of every batch).
/// </summary>
internal sealed record BenchRatio(string Numerator, string Denominator, double MedianOfRoundRatios, double Min, double Max, double CpuRatioMedian, double CpuRatioWithoutTrainerMedian)
{
    /// <summary>The epochs after the first of the numerator over the ceiling's whole run, median of the rounds (null with one epoch).</summary>
    public double? LaterEpochsMedian { get; init; }

    /// <summary>Every pipeline variant over every ceiling variant that ran.</summary>
    public static List<BenchRatio> All(IReadOnlyList<string> variants, IReadOnlyList<BenchMeasurement> runs, int rounds)
    {
        var result = new List<BenchRatio>();
        foreach (string p in variants.Where(v => v.StartsWith("pipeline", StringComparison.Ordinal)))
        {
            foreach (string c in variants.Where(v => v.StartsWith("ceiling", StringComparison.Ordinal)))
            {
                var pr = runs.Where(m => m.Variant == p).ToList();
                var cr = runs.Where(m => m.Variant == c).ToList();
                var perRound = Enumerable.Range(0, rounds).Select(i => pr[i].ImagesPerSecond / cr[i].ImagesPerSecond).ToList();
                var cpu = Enumerable.Range(0, rounds).Select(i => cr[i].CpuMsPerImage / pr[i].CpuMsPerImage);
                var cpuOwn = Enumerable.Range(0, rounds).Select(i => cr[i].CpuMsPerImage / (pr[i].CpuMsPerImage - pr[i].TrainerMsPerImage));
                double? later = pr.All(m => m.LaterEpochsImagesPerSecond is not null)
                    ? BenchSummary.Median(Enumerable.Range(0, rounds).Select(i => pr[i].LaterEpochsImagesPerSecond!.Value / cr[i].ImagesPerSecond))
                    : null;
                result.Add(new BenchRatio(p, c, BenchSummary.Median(perRound), perRound.Min(), perRound.Max(), BenchSummary.Median(cpu), BenchSummary.Median(cpuOwn))
                {
                    LaterEpochsMedian = later,
                });
            }
        }

        return result;
    }
}

/// <summary>What the bench ran on.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Os, string Runtime, long MemoryMiB)
{
    /// <summary>This machine.</summary>
    public static MachineInfo Describe()
    {
        string cpu = RuntimeInformation.ProcessArchitecture.ToString();
        const string cpuinfo = "/proc/cpuinfo";
        if (File.Exists(cpuinfo))
        {
            cpu = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        return new MachineInfo(cpu, Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024));
    }

    /// <summary>The one-minute load average (Linux), or -1.</summary>
    public static double LoadAverage()
    {
        const string loadavg = "/proc/loadavg";
        return File.Exists(loadavg) ? double.Parse(File.ReadAllText(loadavg).Split(' ')[0], CultureInfo.InvariantCulture) : -1;
    }
}
