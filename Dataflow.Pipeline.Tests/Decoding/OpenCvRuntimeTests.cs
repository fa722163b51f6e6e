using Dataflow.Pipeline.Decoding;

namespace Dataflow.Pipeline.Tests.Decoding;

[TestClass]
public sealed class OpenCvRuntimeTests
{
    private static readonly DllNotFoundException Missing = new("Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies.");

    [TestMethod]
    public void Describe_LinuxX64_NamesTheLibraryTheCauseThePackageItsVersionAndGtk() => Assert.AreEqual(
        "OpenCV's native library OpenCvSharpExtern could not be loaded, so no image can be decoded (DllNotFoundException: Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies.). "
        + "Add the runtime package for this platform (linux-x64) to the application: OpenCvSharp4.official.runtime.linux-x64 version 4.13.0.20260627 (the same version as OpenCvSharp4), "
        + "as in: dotnet add package OpenCvSharp4.official.runtime.linux-x64 --version 4.13.0.20260627. "
        + "On Linux, OpenCvSharpExtern needs GTK 3 as well: sudo apt-get install libgtk-3-0 (Debian, Ubuntu); ldd on libOpenCvSharpExtern.so lists any library still missing.",
        OpenCvRuntime.Describe(Missing, "linux-x64", "4.13.0.20260627"));

    [TestMethod]
    public void Describe_Windows_NamesTheWindowsPackageAndNoGtk() => Assert.AreEqual(
        "OpenCV's native library OpenCvSharpExtern could not be loaded, so no image can be decoded (DllNotFoundException: Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies.). "
        + "Add the runtime package for this platform (win-x86) to the application: OpenCvSharp4.runtime.win version 4.13.0.20260627 (the same version as OpenCvSharp4), "
        + "as in: dotnet add package OpenCvSharp4.runtime.win --version 4.13.0.20260627.",
        OpenCvRuntime.Describe(Missing, "win-x86", "4.13.0.20260627"));

    [TestMethod]
    public void Describe_PlatformWithoutAPackage_SaysSoAndNamesThePackagesThatExist()
    {
        foreach (string platform in new[] { "osx-arm64", "linux-arm64" })
        {
            string message = OpenCvRuntime.Describe(Missing, platform, "4.13.0.20260627");
            StringAssert.Contains(message, $"No OpenCvSharp runtime package is published for {platform}: the runtime packages are OpenCvSharp4.runtime.win (Windows x64 and x86) "
                + "and OpenCvSharp4.official.runtime.linux-x64 (Linux x64), version 4.13.0.20260627 (that of OpenCvSharp4); elsewhere, build OpenCvSharpExtern from OpenCvSharp's sources and put it on the library search path.");
            Assert.AreEqual(platform.StartsWith("linux", StringComparison.Ordinal), message.Contains("libgtk-3-0", StringComparison.Ordinal), platform);
        }
    }

    [TestMethod]
    public void EnsureLoaded_RuntimeReferenced_LoadsAndNamesThePlatformAndTheManagedVersion()
    {
        OpenCvRuntime.EnsureLoaded();
        Assert.AreEqual("4.13.0.20260627", OpenCvRuntime.ManagedVersion, "the OpenCvSharp4 package this repository pins");
        if (OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.AreEqual("linux-x64", OpenCvRuntime.Platform);
        }
    }
}
