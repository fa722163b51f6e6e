namespace Dataflow.Samples.Tests;

/// <summary>The repository the tests were built from (its build.sh, its docs).</summary>
internal static class Repository
{
    /// <summary>The repository's root: the first folder above the test assembly that holds build.sh and Dataflow.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "build.sh")) && File.Exists(Path.Combine(folder.FullName, "Dataflow.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no build.sh and Dataflow.sln above {AppContext.BaseDirectory}: the tests run from the repository's build output");
    }
}
