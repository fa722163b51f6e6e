using System.Text;
using Dataflow.Samples.Tests.Support;

namespace Dataflow.Samples.Tests.Distributed;

/// <summary>Runs the samples app as real processes: plain children with launcher variables, or under Open MPI's mpirun.</summary>
internal static class SamplesProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    private static string SamplesDll => Path.Combine(AppContext.BaseDirectory, "Dataflow.Samples.dll");

    /// <summary>Runs <c>dotnet Dataflow.Samples.dll ARGS</c> with extra environment variables.</summary>
    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartAsync(ChildProcess.DotnetHost, [SamplesDll, .. args], environment);

    /// <summary>Runs <c>dotnet DLL ARGS</c>: a copy of the samples app elsewhere.</summary>
    public static Task<Result> RunDllAsync(string dll, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartAsync(ChildProcess.DotnetHost, [dll, .. args], environment);

    /// <summary>Runs <paramref name="processes"/> copies of the samples app under <c>mpirun</c> (oversubscribed: this machine has few cores).</summary>
    public static Task<Result> MpirunAsync(int processes, params string[] args)
    {
        string? mpirun = FindOnPath("mpirun");
        Assert.IsNotNull(mpirun, "mpirun (Open MPI) is not installed: run ./build.sh test as root, or sudo apt-get install -y openmpi-bin");
        return StartAsync(mpirun, ["--oversubscribe", "--allow-run-as-root", "-n", processes.ToString(System.Globalization.CultureInfo.InvariantCulture), ChildProcess.DotnetHost, SamplesDll, .. args],
            new Dictionary<string, string>());
    }

    private static async Task<Result> StartAsync(string file, string[] args, IReadOnlyDictionary<string, string> environment)
    {
        // The test process's own launcher variables (under mpirun, say) never reach a child unless a test sets them.
        (int code, string output, string error) = await ChildProcess.RunAsync(file, args, environment,
            ["RANK", "WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID", "SLURM_NTASKS"]);
        return new Result(code, output, error);
    }

    private static string? FindOnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, name))
        .FirstOrDefault(File.Exists);
}

/// <summary>The rows of the sample lists that <c>digest --samples</c> and <c>plan --out</c> write, per rank.</summary>
internal sealed record ListedRow(int Rank, int Epoch, int Batch, string Path, float Weight)
{
    public static List<ListedRow> Read(string file, int rank) =>
        [.. File.ReadAllLines(file, Encoding.UTF8).Select(line => line.Split('\t')).Select(f =>
            new ListedRow(rank, int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), f[2],
                float.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>
    /// Checks every epoch of the ranks' lists: the rows of weight 1 are the epoch exactly once, rows of weight 0 repeat a
    /// sample, and every rank made the same number of steps.
    /// </summary>
    public static void AssertExactPartition(IReadOnlyList<ListedRow> rows, IReadOnlyCollection<string> epoch, int epochs, int worldSize)
    {
        for (int e = 0; e < epochs; e++)
        {
            var inEpoch = rows.Where(r => r.Epoch == e).ToList();
            string[] real = [.. inEpoch.Where(r => r.Weight == 1f).Select(r => r.Path)];
            CollectionAssert.AreEquivalent(epoch.ToArray(), real, $"epoch {e}: the ranks' real rows are not the epoch exactly once");
            Assert.IsTrue(inEpoch.Where(r => r.Weight == 0f).All(r => epoch.Contains(r.Path)), $"epoch {e}: a padding row is not a sample of the epoch");
            int[] steps = [.. Enumerable.Range(0, worldSize).Select(rank => inEpoch.Where(r => r.Rank == rank).Select(r => r.Batch).Distinct().Count())];
            Assert.AreEqual(1, steps.Distinct().Count(), $"epoch {e}: step counts per rank {string.Join(", ", steps)}");
        }
    }
}
