using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Tests.Distributed;

namespace Dataflow.Samples.Tests;

/// <summary>The samples app as a real process whose OpenCV native library cannot load.</summary>
[TestClass]
public sealed class OpenCvRuntimeTests
{
    private static string NativeLibrary => OperatingSystem.IsWindows() ? "OpenCvSharpExtern.dll" : "libOpenCvSharpExtern.so";

    /// <summary>
    /// The app's output folder again at <paramref name="target"/> without the native library: the app's own files copied,
    /// everything else linked.
    /// </summary>
    private static void MirrorWithoutNativeLibrary(string source, string target)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (Path.GetFileName(file) == NativeLibrary)
            {
                continue;
            }

            string to = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            if (Path.GetFileName(file).StartsWith("Dataflow.Samples.", StringComparison.Ordinal))
            {
                File.Copy(file, to);
            }
            else
            {
                File.CreateSymbolicLink(to, file);
            }
        }
    }

    [TestMethod]
    public async Task Digest_AppWithoutOpenCvSharpExtern_FailsOnceBeforeAnyReadNamingTheLibraryItsPackageVersionAndGtk()
    {
        using var data = new TempDataset().WithClasses(2, 3, 12, 10);
        string app = data.Root + "-app";
        MirrorWithoutNativeLibrary(AppContext.BaseDirectory, app);
        try
        {
            SamplesProcess.Result run = await SamplesProcess.RunDllAsync(Path.Combine(app, "Dataflow.Samples.dll"), new Dictionary<string, string>(),
                "digest", "--data", data.Root, "--size", "8x8");

            Assert.AreEqual(1, run.ExitCode, run.Output + run.Error);
            string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.HasCount(1, lines, run.Error);
            StringAssert.StartsWith(lines[0], "error: OpenCV's native library OpenCvSharpExtern could not be loaded, so no image can be decoded (DllNotFoundException: ");
            StringAssert.Contains(lines[0], OperatingSystem.IsWindows()
                ? "Add the runtime package for this platform (win-x64) to the application: OpenCvSharp4.runtime.win version 4.13.0.20260627 (the same version as OpenCvSharp4), as in: dotnet add package OpenCvSharp4.runtime.win --version 4.13.0.20260627."
                : "Add the runtime package for this platform (linux-x64) to the application: OpenCvSharp4.official.runtime.linux-x64 version 4.13.0.20260627 (the same version as OpenCvSharp4), as in: dotnet add package OpenCvSharp4.official.runtime.linux-x64 --version 4.13.0.20260627. "
                    + "On Linux, OpenCvSharpExtern needs GTK 3 as well: sudo apt-get install libgtk-3-0 (Debian, Ubuntu); ldd on libOpenCvSharpExtern.so lists any library still missing.");
            Assert.DoesNotContain("could be batched", run.Output + run.Error, "the run fails at build, not after an epoch of failed decodes");
            Assert.DoesNotContain("sha256", run.Output);
        }
        finally
        {
            Directory.Delete(app, recursive: true);
        }
    }
}
